"""Workshop sessions (issue 18): what the service remembers of each session, its reminders, notices about a
session rather than a caution, and the gap between the workshops that a caution's booking deadlines need.

A caution remembered before this revision has no gap (null): its notices say so rather than guess one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-19
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("known_cautions") as table:
        table.add_column(sa.Column("workshop_gap_days", sa.Integer()))
    with op.batch_alter_table("notifications") as table:
        table.alter_column("caution_id", existing_type=sa.String(36), nullable=True)
        table.add_column(sa.Column("session_id", sa.String(36)))
    op.create_index("ix_notifications_session", "notifications", ["session_id"])
    op.create_table(
        "known_sessions",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("workshop", sa.String(8), nullable=False),
        sa.Column("venue_name", sa.String(300), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("register_recorded", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "session_reminders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.UniqueConstraint("session_id", "kind"),
    )
    op.create_index("ix_session_reminders_due", "session_reminders", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_session_reminders_due", table_name="session_reminders")
    op.drop_table("session_reminders")
    op.drop_table("known_sessions")
    op.drop_index("ix_notifications_session", table_name="notifications")
    op.execute(sa.text("DELETE FROM notifications WHERE caution_id IS NULL"))  # session notices have no home before
    with op.batch_alter_table("notifications") as table:
        table.drop_column("session_id")
        table.alter_column("caution_id", existing_type=sa.String(36), nullable=False)
    with op.batch_alter_table("known_cautions") as table:
        table.drop_column("workshop_gap_days")
