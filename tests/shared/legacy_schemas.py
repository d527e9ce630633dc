"""Frozen copies of the DDL the services' `metadata.create_all` (and the idempotency ALTER) ran before there
were migrations, for the tests that adopt such a database. Never edit these to follow the code: they are
what databases out there hold. `{ts}` and `{serial}` are the two spellings that differ between SQLite and
PostgreSQL (DateTime(timezone=True), and an autoincrementing integer key).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

# Before commit dedbfa1: no position column, no consultation log.
CAUTIONS_BEFORE_POSITION = [
    """CREATE TABLE cautions_idempotency (principal_id VARCHAR(400) NOT NULL, "key" VARCHAR(200) NOT NULL,
       fingerprint VARCHAR(64) NOT NULL, status_code INTEGER NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,
       created_at {ts} NOT NULL, PRIMARY KEY (principal_id, "key"))""",
    "CREATE TABLE projection_positions (name VARCHAR(64) NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (name))",
    """CREATE TABLE caution_summaries (caution_id VARCHAR(36) NOT NULL, force VARCHAR(64) NOT NULL,
       police_reference VARCHAR(100) NOT NULL, offender_reference VARCHAR(100) NOT NULL,
       legal_basis VARCHAR(32) NOT NULL, status VARCHAR(32) NOT NULL, version INTEGER NOT NULL,
       round INTEGER NOT NULL, issued_at {ts} NOT NULL, issued_on DATE NOT NULL, period_ends_on DATE NOT NULL,
       next_action VARCHAR(64), next_action_role VARCHAR(32), next_action_due_on DATE,
       deadline_passed BOOLEAN NOT NULL, closed_on DATE, spent_on DATE, position BIGINT NOT NULL,
       PRIMARY KEY (caution_id))""",
    "CREATE INDEX ix_summaries_force_status_issued ON caution_summaries (force, status, issued_on, caution_id)",
    "CREATE INDEX ix_summaries_force_issued ON caution_summaries (force, issued_on, caution_id)",
    "CREATE INDEX ix_summaries_open_period ON caution_summaries (status, period_ends_on)",
    "CREATE INDEX ix_summaries_force_due ON caution_summaries (force, next_action_due_on)",
    "CREATE INDEX ix_summaries_force_offender_issued ON caution_summaries "
    "(force, offender_reference, issued_on, caution_id)",
    """CREATE TABLE compliance_history (caution_id VARCHAR(36) NOT NULL, entry INTEGER NOT NULL,
       position BIGINT NOT NULL, event_type VARCHAR(64) NOT NULL, summary TEXT NOT NULL,
       occurred_at VARCHAR(40) NOT NULL, recorded_at VARCHAR(40) NOT NULL, recorded_by_id VARCHAR(200) NOT NULL,
       recorded_by_role VARCHAR(32) NOT NULL, recorded_by_force VARCHAR(64) NOT NULL, details TEXT NOT NULL,
       corrects_entry INTEGER, previous_hash VARCHAR(64) NOT NULL, entry_hash VARCHAR(64) NOT NULL,
       PRIMARY KEY (caution_id, entry))""",
]

# What the code at the last commit before migrations added on top (its ALTER, then the consultation log).
CAUTIONS_AT_LAST_CREATE_ALL = CAUTIONS_BEFORE_POSITION + [
    "ALTER TABLE cautions_idempotency ADD COLUMN position INTEGER",
    """CREATE TABLE consultations (id {bigserial} NOT NULL, at {ts} NOT NULL, force VARCHAR(64) NOT NULL,
       caution_id VARCHAR(36) NOT NULL, what VARCHAR(32) NOT NULL, principal_id VARCHAR(255) NOT NULL,
       role VARCHAR(32) NOT NULL, purpose VARCHAR(200), request_id VARCHAR(64), PRIMARY KEY (id))""",
    "CREATE INDEX ix_consultations_caution ON consultations (caution_id, at, id)",
    "CREATE INDEX ix_consultations_force_at ON consultations (force, at, id)",
]

NOTIFICATIONS = [
    """CREATE TABLE consumer_state (name VARCHAR(64) NOT NULL, position BIGINT NOT NULL, head BIGINT NOT NULL,
       last_error TEXT, last_error_at {ts}, updated_at {ts}, PRIMARY KEY (name))""",
    """CREATE TABLE deliveries (id VARCHAR(36) NOT NULL, notification_id VARCHAR(36) NOT NULL,
       channel VARCHAR(16) NOT NULL, target VARCHAR(500) NOT NULL, status VARCHAR(16) NOT NULL,
       attempts INTEGER NOT NULL, next_attempt_at {ts} NOT NULL, last_error TEXT, PRIMARY KEY (id))""",
    "CREATE INDEX ix_deliveries_notification ON deliveries (notification_id)",
    "CREATE INDEX ix_deliveries_due ON deliveries (status, next_attempt_at)",
    """CREATE TABLE delivery_attempts (delivery_id VARCHAR(36) NOT NULL, attempt INTEGER NOT NULL, at {ts} NOT NULL,
       outcome VARCHAR(16) NOT NULL, detail TEXT, PRIMARY KEY (delivery_id, attempt))""",
    """CREATE TABLE known_cautions (caution_id VARCHAR(36) NOT NULL, force VARCHAR(64) NOT NULL,
       police_reference VARCHAR(100) NOT NULL, period_ends_on DATE NOT NULL, PRIMARY KEY (caution_id))""",
    """CREATE TABLE notifications (id VARCHAR(36) NOT NULL, caution_id VARCHAR(36) NOT NULL, force VARCHAR(64) NOT NULL,
       recipient_role VARCHAR(32) NOT NULL, kind VARCHAR(64) NOT NULL, title VARCHAR(300) NOT NULL, body TEXT NOT NULL,
       event_id VARCHAR(64), event_type VARCHAR(200), position BIGINT, created_at {ts} NOT NULL, PRIMARY KEY (id))""",
    "CREATE INDEX ix_notifications_caution ON notifications (caution_id)",
    "CREATE INDEX ix_notifications_scope ON notifications (force, recipient_role, created_at, id)",
    """CREATE TABLE reminders (id VARCHAR(36) NOT NULL, caution_id VARCHAR(36) NOT NULL, kind VARCHAR(64) NOT NULL,
       due_at {ts} NOT NULL, status VARCHAR(16) NOT NULL, PRIMARY KEY (id), UNIQUE (caution_id, kind))""",
    "CREATE INDEX ix_reminders_due ON reminders (status, due_at)",
    """CREATE TABLE skipped_events (id {serial} NOT NULL, position BIGINT, event_id VARCHAR(64),
       event_type VARCHAR(200), reason TEXT NOT NULL, skipped_at {ts} NOT NULL, PRIMARY KEY (id))""",
    """CREATE TABLE subscriptions (id VARCHAR(36) NOT NULL, url VARCHAR(2000) NOT NULL, force VARCHAR(64) NOT NULL,
       event_types TEXT NOT NULL, secret VARCHAR(200) NOT NULL, active BOOLEAN NOT NULL, created_at {ts} NOT NULL,
       PRIMARY KEY (id))""",
]

_SPELLINGS = {
    "sqlite": {"ts": "DATETIME", "serial": "INTEGER", "bigserial": "INTEGER"},
    "postgresql": {"ts": "TIMESTAMP WITH TIME ZONE", "serial": "SERIAL", "bigserial": "BIGSERIAL"},
}


def create_legacy(engine: Engine, statements: list[str]) -> None:
    spellings = _SPELLINGS[engine.dialect.name]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement.format(**spellings)))
