"""Offender search (issue 14 item 6): the blind index of offender names and dates of birth, a read model of keyed
terms (services/caution_service/search_index.py). The projector fills it from the event store on its next run:
a new projection starts at position 0.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offender_search",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("term", sa.String(64), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_offender_search_force_term", "offender_search", ["force", "term"])


def downgrade() -> None:
    op.drop_index("ix_offender_search_force_term", table_name="offender_search")
    op.drop_table("offender_search")
    op.execute("DELETE FROM projection_positions WHERE name = 'offender_search'")
