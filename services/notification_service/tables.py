"""The notification service's own database: what it derived, where it delivered, how far it has read."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.write_probe import probe_table

metadata = MetaData()

consumer_state = Table(
    "consumer_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("head", BigInteger, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_error_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    # holes in the positions a transport handed over (migration 0004): how many, and the latest one
    Column("gaps", BigInteger, nullable=False, default=0, server_default="0"),
    Column("gap_after", BigInteger),
    Column("gap_before", BigInteger),
    Column("gap_found_at", DateTime(timezone=True)),
    Column("gap_filled_at", DateTime(timezone=True)),  # null while the gap is open
    Column("gap_filled_by", String(16)),  # feed | redelivery
)

skipped_events = Table(
    "skipped_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position", BigInteger),  # null when the event was too malformed to say
    Column("event_id", String(64)),
    Column("event_type", String(200)),
    Column("reason", Text, nullable=False),
    Column("skipped_at", DateTime(timezone=True), nullable=False),
)

cautions = Table(  # what the rules need to remember about each caution
    "known_cautions",
    metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("police_reference", String(100), nullable=False),
    Column("period_ends_on", Date, nullable=False),
    Column("workshop_gap_days", Integer),  # null for a caution remembered before migration 0006 kept it
)

sessions = Table(  # what the session rules need to remember about each workshop session (migration 0006)
    "known_sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("provider", String(200), nullable=False),
    Column("workshop", String(8), nullable=False),
    Column("venue_name", String(300), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # planned | held | cancelled
    Column("register_recorded", Boolean, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    # one of the two: a notice is about a caution or about a workshop session (migration 0006)
    Column("caution_id", String(36)),
    Column("session_id", String(36)),
    Column("force", String(64), nullable=False),
    Column("recipient_role", String(32), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("event_id", String(64)),
    Column("event_type", String(200)),
    Column("position", BigInteger),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_notifications_scope", "force", "recipient_role", "created_at", "id"),
    Index("ix_notifications_caution", "caution_id"),
    Index("ix_notifications_session", "session_id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("notification_id", String(36), nullable=False),
    Column("channel", String(16), nullable=False),  # webhook | email
    Column("target", String(500), nullable=False),  # subscription id or email address
    Column("status", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_notification", "notification_id"),
)

attempts = Table(
    "delivery_attempts",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | failed
    Column("detail", Text),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("force", String(64), nullable=False),
    Column("event_types", Text, nullable=False),  # JSON list; empty means all
    Column("secret", Text, nullable=False),  # sealed (shared/secret_box.py): never in clear at rest
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("caution_id", String(36), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # scheduled | cancelled | fired
    UniqueConstraint("caution_id", "kind"),
    Index("ix_reminders_due", "status", "due_at"),
)

session_reminders = Table(  # a session's reminders, one row of each kind, as `reminders` is for a caution's
    "session_reminders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session_id", String(36), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # scheduled | cancelled | fired
    UniqueConstraint("session_id", "kind"),
    Index("ix_session_reminders_due", "status", "due_at"),
)

# /readyz rewrites its one row to prove the database takes writes (shared/write_probe.py); kept apart from
# `metadata`, which the store creates and reads.
write_probe = probe_table("notifications_write_probe", MetaData())
