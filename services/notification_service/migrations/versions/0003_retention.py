"""Retention (issue 14 item 4): the job's runs, what each erased and the totals /metrics reports
(shared/retention_job.py). The same tables as the caution service's 0008 makes in its own database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications_retention_runs",
        sa.Column("job", sa.String(64), primary_key=True),
        sa.Column("last_run_on", sa.Date()),
        sa.Column("last_started_at", sa.DateTime(timezone=True)),
        sa.Column("last_finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "notifications_retention_log",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(200)),
    )
    op.create_table(
        "notifications_retention_totals",
        sa.Column("item", sa.String(64), primary_key=True),
        sa.Column("deleted", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for name in ("notifications_retention_totals", "notifications_retention_log", "notifications_retention_runs"):
        op.drop_table(name)
