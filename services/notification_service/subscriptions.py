"""Webhook subscriptions of a force: registered, listed, read and deactivated (their delivery history stays)."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from shared.keyring import BadSeal
from shared.secret_box import SecretBox

from .delivery.webhook import CATEGORIES
from .store import utc
from .tables import attempts, deliveries, notifications, subscriptions


def public(row: Any, secret: str | None = None) -> dict[str, Any]:
    """The subscription as its force's admin sees it; the secret only in the answer that created it."""
    return {"id": row["id"], "url": row["url"], "force": row["force"], "event_types": json.loads(row["event_types"]),
            "active": row["active"], "created_at": utc(row["created_at"]).isoformat(), "secret": secret}


def create(engine: Engine, box: SecretBox, force: str, url: str, event_types: list[str], secret: str | None,
           now: datetime) -> dict[str, Any]:
    """The signing secret is shown once, in this answer; it is stored sealed (shared/secret_box.py)."""
    secret = secret or secrets.token_urlsafe(32)
    row = {"id": str(uuid.uuid4()), "url": url, "force": force, "event_types": json.dumps(event_types),
           "secret": box.seal(secret), "active": True, "created_at": utc(now)}
    with engine.begin() as conn:
        conn.execute(insert(subscriptions).values(**row))
    return public(row, secret)


def reseal_secrets(engine: Engine, box: SecretBox) -> int:
    """At start-up: seals secrets stored in clear before sealing, and reseals those under an old master key."""
    s, done = subscriptions.c, 0
    with engine.begin() as conn:
        for row in conn.execute(select(s.id, s.secret)).all():
            try:
                if not box.needs_resealing(row.secret):
                    continue
                clear = box.open(row.secret)
            except BadSeal:  # clear text, from before secrets were sealed
                clear = row.secret
            conn.execute(update(subscriptions).where(s.id == row.id, s.secret == row.secret)
                         .values(secret=box.seal(clear)))
            done += 1
    return done


def of_force(engine: Engine, force: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(subscriptions).where(subscriptions.c.force == force)).mappings().all()
    return [public(r) for r in rows]


def _owned(conn: Connection, subscription_id: str, force: str) -> Any:
    return conn.execute(select(subscriptions).where(
        subscriptions.c.id == subscription_id, subscriptions.c.force == force)).mappings().first()


def one(engine: Engine, subscription_id: str, force: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = _owned(conn, subscription_id, force)
    return public(row) if row is not None else None


def deactivate(engine: Engine, subscription_id: str, force: str) -> bool:
    """False when the force has no such subscription."""
    with engine.begin() as conn:
        if _owned(conn, subscription_id, force) is None:
            return False
        conn.execute(update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False))
    return True


def delivery_log(engine: Engine, subscription_id: str, force: str, limit: int) -> list[dict[str, Any]] | None:
    """The endpoint's newest deliveries with each attempt's error category; None when the force has no such
    subscription."""
    d, n = deliveries.c, notifications.c
    with engine.connect() as conn:
        if _owned(conn, subscription_id, force) is None:
            return None
        found = conn.execute(select(deliveries).join(notifications, n.id == d.notification_id)
                             .where(d.channel == "webhook", d.target == subscription_id)
                             .order_by(n.created_at.desc(), d.id.desc()).limit(limit)).mappings().all()
        log = conn.execute(select(attempts).where(attempts.c.delivery_id.in_([r["id"] for r in found]))
                           .order_by(attempts.c.attempt)).mappings().all()
    return [{
        "id": r["id"], "notification_id": r["notification_id"], "status": r["status"],
        "next_attempt_at": utc(r["next_attempt_at"]).isoformat() if r["status"] == "pending" else None,
        "last_error": _category(r["last_error"]),
        "attempts": [{"attempt": a["attempt"], "at": utc(a["at"]).isoformat(), "outcome": a["outcome"],
                      "error": _category(a["detail"])} for a in log if a["delivery_id"] == r["id"]],
    } for r in found]


def _category(stored: str | None) -> str | None:
    """Rows written before errors were stored as categories hold the exception's text: never shown."""
    if stored is None:
        return None
    return stored if stored in CATEGORIES else "other"
