"""Delivers pending notifications with retries: exponential backoff, then dead-letter, every attempt logged.

At least once: a crash between sending and recording an attempt sends again,
with the same ids, so receivers can de-duplicate.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from shared.secret_box import SecretBox

from ..store import utc
from ..tables import attempts, deliveries, notifications, subscriptions
from .smtp import send_email
from .webhook import post_webhook

log = logging.getLogger("cara.notify.dispatch")


class Dispatcher:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], *, smtp_host: str | None, smtp_port: int, email_from: str,
        timeout: float, max_attempts: int, backoff_seconds: float, secrets: SecretBox,
    ) -> None:
        self.engine, self.clock = engine, clock
        self.secrets = secrets  # opens each subscription's signing secret, sealed at rest
        self.smtp_host, self.smtp_port, self.email_from = smtp_host, smtp_port, email_from
        self.timeout, self.max_attempts, self.backoff = timeout, max_attempts, backoff_seconds
        self.client = httpx.Client(timeout=timeout)
        self.wakeup = threading.Event()

    def run_once(self, limit: int = 50) -> int:
        now = utc(self.clock())
        d = deliveries.c
        with self.engine.connect() as conn:
            due = conn.execute(select(deliveries).where(d.status == "pending", d.next_attempt_at <= now)
                               .order_by(d.next_attempt_at).limit(limit)).all()
        for delivery in due:
            self._attempt(delivery)
        return len(due)

    def _attempt(self, delivery: Any) -> None:
        error = None
        try:
            self._send(delivery)
        except Exception as e:  # any failure of the receiver is retried, and recorded
            error = f"{type(e).__name__}: {e}"[:1000]
        self._record(delivery, error)

    def _send(self, delivery: Any) -> None:
        with self.engine.connect() as conn:
            note = conn.execute(
                select(notifications).where(notifications.c.id == delivery.notification_id)).mappings().one()
            body = notification_body(dict(note))
            if delivery.channel == "webhook":
                sub = conn.execute(select(subscriptions).where(subscriptions.c.id == delivery.target)).one()
                if not sub.active:
                    raise RuntimeError("subscription deleted")
                secret = self.secrets.open(sub.secret)
                post_webhook(self.client, sub.url, secret, json.dumps(body).encode(), delivery.id, note["id"])
            elif self.smtp_host is None:
                raise RuntimeError("no SMTP server configured")
            else:
                text = f"{note['body']}\n\nCaution: {note['caution_id']}\nNotification: {note['id']}\n"
                send_email(self.smtp_host, self.smtp_port, self.email_from, delivery.target, note["title"], text,
                           note["id"], self.timeout)

    def _record(self, delivery: Any, error: str | None) -> None:
        now = utc(self.clock())
        attempt = delivery.attempts + 1
        if error is None:
            values: dict[str, Any] = {"status": "delivered", "attempts": attempt, "last_error": None}
        elif attempt >= self.max_attempts:
            values = {"status": "dead", "attempts": attempt, "last_error": error}
            log.warning("delivery %s dead-lettered after %d attempts: %s", delivery.id, attempt, error)
        else:
            delay = timedelta(seconds=self.backoff * 2 ** (attempt - 1))
            values = {"status": "pending", "attempts": attempt, "last_error": error, "next_attempt_at": now + delay}
        with self.engine.begin() as conn:
            conn.execute(insert(attempts).values(delivery_id=delivery.id, attempt=attempt, at=now,
                                                 outcome="delivered" if error is None else "failed", detail=error))
            conn.execute(update(deliveries).where(deliveries.c.id == delivery.id).values(**values))

    def run_in_thread(self, stop: threading.Event, poll_seconds: float) -> threading.Thread:
        def loop() -> None:
            while not stop.is_set():
                try:
                    if self.run_once() == 0:
                        self.wakeup.wait(poll_seconds)
                        self.wakeup.clear()
                except Exception:  # the database may be briefly unavailable; try again
                    log.exception("dispatch run failed")
                    stop.wait(poll_seconds)

        thread = threading.Thread(target=loop, name="cara-dispatcher", daemon=True)
        thread.start()
        return thread


def notification_body(note: dict[str, Any]) -> dict[str, Any]:
    """What a webhook receives (also the API's view, without delivery details)."""
    return {
        "id": note["id"],
        "caution_id": note["caution_id"],
        "force": note["force"],
        "recipient_role": note["recipient_role"],
        "kind": note["kind"],
        "title": note["title"],
        "body": note["body"],
        "event_id": note["event_id"],
        "event_type": note["event_type"],
        "position": note["position"],
        "created_at": utc(note["created_at"]).isoformat(),
    }
