"""The inbox: a role's notifications in one force, newest first, and one notification with its deliveries."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from shared import cursors
from shared.cursors import BadCursor as BadCursor  # the route catches it here

from .delivery.dispatcher import notification_body
from .store import utc
from .tables import attempts, deliveries, notifications


def cursor_for(created_at: Any, note_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([utc(created_at).isoformat(), note_id]).encode()).decode()


def _position_of(cursor: str) -> tuple[datetime, str]:
    at, note_id = cursors.unpack(cursor, 2)
    return cursors.moment(at), cursors.uuid_text(note_id)


def page(engine: Engine, force: str, role: str, caution_id: str | None, limit: int,
         cursor: str | None, session_id: str | None = None,
         state: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of notifications for `role` in `force`, and the cursor of the next (None at the end); only those
    in `state` (open, done, superseded: inbox_state.py) when it is given."""
    n = notifications.c
    query = select(notifications).where(n.force == force, n.recipient_role == role)
    if state:
        query = query.where(n.state == state)
    if caution_id:
        query = query.where(n.caution_id == caution_id)
    if session_id:
        query = query.where(n.session_id == session_id)
    if cursor:
        at, last_id = _position_of(cursor)
        query = query.where(or_(n.created_at < at, and_(n.created_at == at, n.id < last_id)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(n.created_at.desc(), n.id.desc()).limit(limit + 1)).mappings().all()
    items = [notification_body(dict(r)) for r in rows[:limit]]
    next_cursor = cursor_for(rows[limit - 1]["created_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return items, next_cursor


def detail(engine: Engine, notification_id: str, force: str, role: str) -> dict[str, Any] | None:
    """The notification with each delivery and its attempt log; None unless it is `role`'s in `force`."""
    n = notifications.c
    with engine.connect() as conn:
        row = conn.execute(select(notifications).where(
            n.id == notification_id, n.force == force, n.recipient_role == role)).mappings().first()
        if row is None:
            return None
        found = conn.execute(select(deliveries).where(deliveries.c.notification_id == row["id"])).mappings().all()
        log = conn.execute(select(attempts).where(attempts.c.delivery_id.in_([d["id"] for d in found]))
                           .order_by(attempts.c.attempt)).mappings().all()
    body = notification_body(dict(row))
    body["deliveries"] = [_delivery(d, [a for a in log if a["delivery_id"] == d["id"]]) for d in found]
    return body


def _delivery(d: Any, log: list[Any]) -> dict[str, Any]:
    """Whether and when, never why: errors are for the force's admin (subscriptions.deliveries)."""
    return {
        "id": d["id"], "channel": d["channel"], "target": d["target"], "status": d["status"],
        "next_attempt_at": utc(d["next_attempt_at"]).isoformat() if d["status"] == "pending" else None,
        "attempts": [{"attempt": a["attempt"], "at": utc(a["at"]).isoformat(), "outcome": a["outcome"]} for a in log],
    }
