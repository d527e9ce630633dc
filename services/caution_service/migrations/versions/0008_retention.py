"""Retention (issue 14 item 4): the job's runs, what each erased and the totals /metrics reports
(shared/retention_job.py), and the consultation log's anchor, from which its chain is verified once its
oldest entries are pruned (consultation_pruning.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "cautions_retention_runs",
        sa.Column("job", sa.String(64), primary_key=True),
        sa.Column("last_run_on", sa.Date()),
        sa.Column("last_started_at", sa.DateTime(timezone=True)),
        sa.Column("last_finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "cautions_retention_log",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(200)),
    )
    op.create_table(
        "cautions_retention_totals",
        sa.Column("item", sa.String(64), primary_key=True),
        sa.Column("deleted", sa.BigInteger(), nullable=False),
    )

    op.add_column("consultation_heads", sa.Column("pruned_through_id", ROW_ID))
    op.add_column("consultation_heads", sa.Column("pruned_through_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("consultation_heads") as table:
        table.drop_column("pruned_through_hash")
        table.drop_column("pruned_through_id")
    for name in ("cautions_retention_totals", "cautions_retention_log", "cautions_retention_runs"):
        op.drop_table(name)
