"""The notification service's tables as `metadata.create_all` made them before there were migrations.

They have not changed since they were first made, so one revision holds them all; a database made by the
earlier code is stamped here (migrations/__init__.py, legacy_revision).

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_consumer_tables()
    _create_notification_tables()
    _create_subscriptions_and_reminders()


def _create_consumer_tables() -> None:
    op.create_table(
        "consumer_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("head", sa.BigInteger, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "skipped_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("position", sa.BigInteger),
        sa.Column("event_id", sa.String(64)),
        sa.Column("event_type", sa.String(200)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "known_cautions",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("police_reference", sa.String(100), nullable=False),
        sa.Column("period_ends_on", sa.Date, nullable=False),
    )


def _create_notification_tables() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("caution_id", sa.String(36), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("recipient_role", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("event_id", sa.String(64)),
        sa.Column("event_type", sa.String(200)),
        sa.Column("position", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notifications_scope", "notifications", ["force", "recipient_role", "created_at", "id"])
    op.create_index("ix_notifications_caution", "notifications", ["caution_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("notification_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_notification", "deliveries", ["notification_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
    )


def _create_subscriptions_and_reminders() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("event_types", sa.Text, nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("caution_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.UniqueConstraint("caution_id", "kind"),
    )
    op.create_index("ix_reminders_due", "reminders", ["status", "due_at"])


def downgrade() -> None:
    for table in ("reminders", "subscriptions", "delivery_attempts", "deliveries", "notifications",
                  "known_cautions", "skipped_events", "consumer_state"):
        op.drop_table(table)
