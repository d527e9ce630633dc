"""The rows the notification service keeps of workshop sessions: their facts and their reminders.

Called inside the store's transactions (store.py), so a session event's facts, reminders and notices commit
with the feed position like a caution event's. A session's reminder is one row of each kind, re-armed in place,
so a replayed or repeated event can never make a second.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from .moments import utc
from .sessions import SessionFacts
from .tables import session_reminders, sessions


def read(conn: Connection, session_id: str) -> SessionFacts | None:
    row = conn.execute(select(sessions).where(sessions.c.session_id == session_id)).mappings().first()
    if row is None:
        return None
    found = dict(row)
    return SessionFacts(**{**found, "starts_at": utc(found["starts_at"]), "ends_at": utc(found["ends_at"])})


def remember(conn: Connection, before: SessionFacts | None, after: SessionFacts) -> None:
    if before is None:
        conn.execute(insert(sessions).values(**dataclasses.asdict(after)))
        return
    updates = {name: value for name, value in dataclasses.asdict(after).items() if getattr(before, name) != value}
    if updates:
        conn.execute(update(sessions).where(sessions.c.session_id == after.session_id).values(**updates))


def schedule(conn: Connection, reminder_id: str, session_id: str, kind: str, due_at: datetime) -> None:
    r = session_reminders.c
    if conn.execute(select(r.id).where(r.id == reminder_id)).first() is None:
        conn.execute(insert(session_reminders).values(id=reminder_id, session_id=session_id, kind=kind,
                                                      due_at=utc(due_at), status="scheduled"))
    else:
        conn.execute(update(session_reminders).where(r.id == reminder_id).values(due_at=utc(due_at),
                                                                                 status="scheduled"))


def cancel(conn: Connection, session_id: str, kinds: list[str]) -> None:
    r = session_reminders.c
    conn.execute(update(session_reminders).where(r.session_id == session_id, r.kind.in_(kinds),
                                                 r.status == "scheduled").values(status="cancelled"))


def due(conn: Connection, now: datetime) -> Sequence[Any]:
    r = session_reminders.c
    return conn.execute(select(session_reminders).where(r.status == "scheduled", r.due_at <= now)).all()


def mark_fired(conn: Connection, reminder_id: str) -> int:
    r = session_reminders.c
    return conn.execute(update(session_reminders).where(r.id == reminder_id, r.status == "scheduled")
                        .values(status="fired")).rowcount
