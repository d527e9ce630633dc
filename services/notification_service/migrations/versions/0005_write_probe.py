"""/readyz proves the database takes writes (issue 15 item 3): a one-row table it rewrites on every probe
(shared/write_probe.py). The row is made here, so the probe only ever updates it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "notifications_write_probe",
        sa.Column("probe", sa.String(32), primary_key=True),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(table, [{"probe": "probe", "probed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("notifications_write_probe")
