"""Worklists (issue 19): each caution's required actions over time, one row per action and interval of days, for
GET /v1/worklist (projections/worklist.py).

Created empty. The projector starts the new projection at position 0, so its next batches project the whole store
into it (the other projections, already there, pass those events by); readiness reports it behind until then.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worklist_items",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("due_on_the_day", sa.Boolean, nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.Column("police_reference", sa.String(100), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_worklist_items_force_role_due", "worklist_items", ["force", "role", "due_on", "caution_id"])


def downgrade() -> None:
    op.drop_table("worklist_items")
