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
    false,
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
    # issue 19 (migration 0007): urgent notices are delivered first and say so on every channel
    Column("priority", String(8), nullable=False, default="normal", server_default="normal"),  # urgent | normal
    Column("due_on", Date),  # the UK day the action the notice asks for is due; null when nothing is due by a day
    Column("state", String(16), nullable=False, default="open", server_default="open"),  # open | done | superseded
    Column("done_at", DateTime(timezone=True)),
    Column("superseded_at", DateTime(timezone=True)),
    # what within the caution the notice is about, when the event that completes it must name the same:
    # the workshop ("A"), the safeguarding concern's entry number ("7"); null when any such event will do
    Column("topic", String(64)),
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
    # the notification's priority, copied so the dispatcher orders its queue without a join (migration 0007)
    Column("urgent", Boolean, nullable=False, default=False, server_default=false()),
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

safeguarding_concerns = Table(  # each concern raised on a caution, until acknowledged (migration 0007)
    "safeguarding_concerns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("caution_id", String(36), nullable=False),
    Column("concern", Integer, nullable=False),  # the raising entry's number in the caution's record (its version)
    Column("force", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),  # urgent | routine
    Column("source", String(32), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),  # when it was recorded
    # The escalation is this row's reminder: due at escalate_at, fired once (escalated_at set by a conditional
    # update), never while or once acknowledged.
    Column("escalate_at", DateTime(timezone=True), nullable=False),
    Column("escalated_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    UniqueConstraint("caution_id", "concern"),
    Index("ix_safeguarding_concerns_open", "acknowledged_at", "escalated_at", "escalate_at"),
)

# /readyz rewrites its one row to prove the database takes writes (shared/write_probe.py); kept apart from
# `metadata`, which the store creates and reads.
write_probe = probe_table("notifications_write_probe", MetaData())
