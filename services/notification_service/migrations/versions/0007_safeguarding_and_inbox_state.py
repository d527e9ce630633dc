"""Safeguarding concerns and inbox states (issue 19): a notice's priority (urgent | normal), due day, state (open,
done, superseded, with when) and the topic the event completing it must name; a delivery's urgency, so the
dispatcher sends urgent ones first; each safeguarding concern until acknowledged, with its escalation.

Notices made before this revision are normal and open, with no due day: nothing recorded says otherwise.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.add_column(sa.Column("priority", sa.String(8), nullable=False, server_default="normal"))
        table.add_column(sa.Column("due_on", sa.Date()))
        table.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="open"))
        table.add_column(sa.Column("done_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("topic", sa.String(64)))
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "safeguarding_concerns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("caution_id", sa.String(36), nullable=False),
        sa.Column("concern", sa.Integer(), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("caution_id", "concern"),
    )
    op.create_index("ix_safeguarding_concerns_open", "safeguarding_concerns",
                    ["acknowledged_at", "escalated_at", "escalate_at"])


def downgrade() -> None:
    op.drop_index("ix_safeguarding_concerns_open", table_name="safeguarding_concerns")
    op.drop_table("safeguarding_concerns")
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("urgent")
    with op.batch_alter_table("notifications") as table:
        for column in ("topic", "superseded_at", "done_at", "state", "due_on", "priority"):
            table.drop_column(column)
