"""Feed gaps (issue 15): the NATS consumer found events missing before the ones it was handed and held those
back instead of moving past the hole. How many holes there were and the latest one are kept with the
position, so `GET /v1/consumer` and /metrics can say that one is open, and how it was filled.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("gaps", "gap_after", "gap_before", "gap_found_at", "gap_filled_at", "gap_filled_by")


def upgrade() -> None:
    with op.batch_alter_table("consumer_state") as table:
        table.add_column(sa.Column("gaps", sa.BigInteger(), nullable=False, server_default="0"))
        table.add_column(sa.Column("gap_after", sa.BigInteger()))
        table.add_column(sa.Column("gap_before", sa.BigInteger()))
        table.add_column(sa.Column("gap_found_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("gap_filled_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("gap_filled_by", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("consumer_state") as table:
        for name in reversed(COLUMNS):
            table.drop_column(name)
