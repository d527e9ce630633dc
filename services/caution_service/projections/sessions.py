"""The workshop-session projection: one row per session, and one per caution it holds or has a register line for.

Like the caution summaries, rows are worked out once per session per batch from the session's state after its last
event in the batch; a session's booking rows are replaced whole, since a batch may book, release and register.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy.orm import Session

from shared.uk_time import uk_date

from ..domain.session import WorkshopSession, session_event_name
from .bulk import WriteStep, insert_rows, update_rows
from .tables import session_bookings, workshop_sessions

_REGISTER = "SessionRegisterRecorded"
_DELETE_BOOKINGS = delete(session_bookings).where(
    session_bookings.c.session_id.in_(bindparam("session_ids", expanding=True)))


class SessionProjection:
    name = "workshop_sessions"
    tables = (workshop_sessions, session_bookings)
    aggregates = (WorkshopSession,)

    def __init__(self) -> None:
        # session id -> (session, position, row is new, when its first register was recorded if in this batch)
        self._pending: dict[UUID, tuple[WorkshopSession, int, bool, datetime | None]] = {}

    def apply(self, session: Session, event: Any, workshop_session: WorkshopSession, position: int) -> None:
        known = self._pending.get(event.originator_id)
        is_new = event.originator_version == 1 or (known is not None and known[2])
        first_register = known[3] if known is not None else None
        if session_event_name(event) == _REGISTER and workshop_session.registers == 1:
            first_register = event.recorded_at
        self._pending[event.originator_id] = (workshop_session, position, is_new, first_register)

    def prepare(self, session: Session) -> WriteStep:
        pending, self._pending = self._pending, {}
        new: list[dict[str, Any]] = []
        changed: dict[bool, list[dict[str, Any]]] = {}  # by whether the register's time is set
        bookings: list[dict[str, Any]] = []
        for workshop_session, position, is_new, first_register in pending.values():
            row = _row(workshop_session, position)
            if is_new:
                new.append({**row, "register_recorded_at": first_register})
            elif first_register is not None:
                changed.setdefault(True, []).append({**row, "register_recorded_at": first_register})
            else:
                changed.setdefault(False, []).append(row)
            bookings += _booking_rows(workshop_session)
        ids = [str(session_id) for session_id in pending]

        def write(connection: Connection) -> None:
            insert_rows(connection, workshop_sessions, new)
            for rows in changed.values():
                update_rows(connection, workshop_sessions, "session_id", rows)
            if ids:
                connection.execute(_DELETE_BOOKINGS, {"session_ids": ids})
            insert_rows(connection, session_bookings, bookings)

        return write

    def discard(self) -> None:
        self._pending.clear()

    def clear(self, session: Session) -> None:
        session.execute(delete(session_bookings))
        session.execute(delete(workshop_sessions))


def _row(s: WorkshopSession, position: int) -> dict[str, Any]:
    return {
        "session_id": str(s.id),
        "force": s.force,
        "provider": s.provider,
        "workshop": s.workshop.value,
        "venue_id": s.venue_id,
        "venue_name": s.venue_name,
        "starts_at": s.starts_at.astimezone(UTC),
        "ends_at": s.ends_at.astimezone(UTC),
        "starts_on": uk_date(s.starts_at),
        "capacity": s.capacity,
        "booked": len(s.bookings),
        "group": s.group.value,
        "facilitators": json.dumps(s.facilitators),
        "status": s.status.value,
        "version": s.version,
        "position": position,
    }


def _booking_rows(s: WorkshopSession) -> list[dict[str, Any]]:
    session_id = str(s.id)
    held: dict[str, str | None] = dict.fromkeys(s.bookings)
    held.update({caution_id: line.outcome.value for caution_id, line in s.register.items()})
    return [{"session_id": session_id, "caution_id": caution_id, "booked": caution_id in s.bookings,
             "outcome": outcome} for caution_id, outcome in held.items()]
