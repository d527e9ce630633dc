"""Reads over the workshop-session read model: the force's sessions in time order, one session with its roster."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, literal, select, tuple_
from sqlalchemy.engine import Engine

from shared import cursors

from .tables import session_bookings, summaries, workshop_sessions


@dataclass(frozen=True)
class SessionFilter:
    force: str
    starts_from: date | None = None  # UK days, both ends included
    starts_to: date | None = None
    venue_id: str | None = None
    workshop: str | None = None
    status: str | None = None


def encode_cursor(starts_at: datetime, session_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([utc(starts_at).isoformat(), session_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    starts_at, session_id = cursors.unpack(cursor, 2)
    return utc(cursors.moment(starts_at)), cursors.uuid_text(session_id)


def utc(value: datetime) -> datetime:
    """A stored time in UTC: SQLite gives back the naive UTC time the projection wrote."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def list_sessions(engine: Engine, f: SessionFilter, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]],
                                                                                             str | None]:
    """Earliest first, then by id; the cursor is the (starts_at, id) of the last row, so pages stay stable when
    sessions are planned meanwhile."""
    w = workshop_sessions.c
    query = select(workshop_sessions).where(w.force == f.force)
    if f.starts_from is not None:
        query = query.where(w.starts_on >= f.starts_from)
    if f.starts_to is not None:
        query = query.where(w.starts_on <= f.starts_to)
    if f.venue_id is not None:
        query = query.where(w.venue_id == f.venue_id)
    if f.workshop is not None:
        query = query.where(w.workshop == f.workshop)
    if f.status is not None:
        query = query.where(w.status == f.status)
    if cursor:
        last_at, last_id = decode_cursor(cursor)
        # A row-value comparison, so both databases walk the (force, starts_at, session_id) index.
        query = query.where(tuple_(w.starts_at, w.session_id) > tuple_(literal(last_at, w.starts_at.type),
                                                                        literal(last_id)))
    query = query.order_by(w.starts_at, w.session_id).limit(limit + 1)
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(query).mappings()]
        page = rows[:limit]
        held = _bookings(connection, [r["session_id"] for r in page])
    items = [session_view(row, held.get(row["session_id"], [])) for row in page]
    last = rows[limit - 1] if len(rows) > limit else None
    return items, (encode_cursor(last["starts_at"], last["session_id"]) if last is not None else None)


def sessions_between(engine: Engine, force: str, start: datetime, end: datetime,
                     status: str | None = None) -> list[dict[str, Any]]:
    """The force's sessions starting in [start, end), earliest first, with their bookings and rosters."""
    w = workshop_sessions.c
    query = select(workshop_sessions).where(w.force == force, w.starts_at >= start, w.starts_at < end)
    if status is not None:
        query = query.where(w.status == status)
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(query.order_by(w.starts_at, w.session_id)).mappings()]
        held = _bookings(connection, [r["session_id"] for r in rows])
    return [{**session_view(row, held.get(row["session_id"], [])), "roster": roster(held.get(row["session_id"], []))}
            for row in rows]


def registers_overdue(engine: Engine, force: str, ended_before: datetime) -> list[dict[str, Any]]:
    """The force's sessions still planned (no register) that ended before `ended_before`, earliest first."""
    w = workshop_sessions.c
    query = (select(workshop_sessions).where(w.force == force, w.status == "planned", w.ends_at < ended_before)
             .order_by(w.ends_at, w.session_id))
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(query).mappings()]
        held = _bookings(connection, [r["session_id"] for r in rows])
    return [session_view(row, held.get(row["session_id"], [])) for row in rows]


def find_session(engine: Engine, force: str, session_id: str) -> dict[str, Any] | None:
    """The force's session with its roster; None for an unknown session or another force's."""
    w = workshop_sessions.c
    with engine.connect() as connection:
        row = connection.execute(
            select(workshop_sessions).where(w.session_id == session_id, w.force == force)).mappings().first()
        if row is None:
            return None
        held = _bookings(connection, [session_id]).get(session_id, [])
    return {**session_view(dict(row), held), "roster": roster(held)}


def _bookings(connection: Connection, session_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each session's booking rows with the caution's police reference and status (by caution id)."""
    if not session_ids:
        return {}
    b, s = session_bookings.c, summaries.c
    query = (select(b.session_id, b.caution_id, b.booked, b.outcome, s.police_reference, s.status)
             .select_from(session_bookings.outerjoin(summaries, s.caution_id == b.caution_id))
             .where(b.session_id.in_(session_ids)).order_by(b.session_id, b.caution_id))
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in connection.execute(query).mappings():
        found[row["session_id"]].append(dict(row))
    return found


def session_view(row: dict[str, Any], held: list[dict[str, Any]]) -> dict[str, Any]:
    """The session as the command routes answer it (api/sessions_commands.py `session_body`)."""
    return {
        "id": row["session_id"],
        "force": row["force"],
        "provider": row["provider"],
        "workshop": row["workshop"],
        "venue": {"id": row["venue_id"], "name": row["venue_name"]},
        "starts_at": utc(row["starts_at"]).isoformat(),
        "ends_at": utc(row["ends_at"]).isoformat(),
        "capacity": row["capacity"],
        "places_left": row["capacity"] - row["booked"],
        "group": row["group"],
        "facilitators": json.loads(row["facilitators"]),
        "status": row["status"],
        "version": row["version"],
        "bookings": [{"caution_id": h["caution_id"]} for h in held if h["booked"]],
        "register": [{"caution_id": h["caution_id"], "outcome": h["outcome"]} for h in held
                     if h["outcome"] is not None],
        "register_recorded_at": (utc(row["register_recorded_at"]).isoformat() if row["register_recorded_at"]
                                 else None),
        "position": row["position"],
    }


def roster(held: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who the session is for, by caution: the police reference and status (no names), and the register's
    outcome. A caution projected after the session shows no reference or status until its own summary is there."""
    return [{"caution_id": h["caution_id"], "police_reference": h["police_reference"], "caution_status": h["status"],
             "booked": h["booked"], "outcome": h["outcome"]} for h in held]
