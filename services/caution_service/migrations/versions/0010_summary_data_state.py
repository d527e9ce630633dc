"""Caution summaries say whether each person's data is held, restricted or erased, for the retention job.

The job (services/caution_service/retention_people.py) finds the victims whose details and the offenders
whose identity have outlived their period without reading every caution's events. Every erasure was
recorded after this revision's code, so existing rows are all "held" until a later event says otherwise.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("caution_summaries", sa.Column("offender_data", sa.String(16), nullable=False,
                                                 server_default="held"))
    op.add_column("caution_summaries", sa.Column("victim_data", sa.String(16), nullable=False,
                                                 server_default="held"))


def downgrade() -> None:
    with op.batch_alter_table("caution_summaries") as table:
        table.drop_column("victim_data")
        table.drop_column("offender_data")
