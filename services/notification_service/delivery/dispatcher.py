"""Delivers pending notifications with retries: exponential backoff, then dead-letter, every attempt logged.

At least once: a crash between sending and recording an attempt sends again,
with the same ids, so receivers can de-duplicate.

Each endpoint (a webhook subscription, an email address) has its own queue, drained by at most
`per_endpoint` threads of a shared pool, so a receiver that hangs until the timeout holds up only
its own deliveries: before, one thread sent everything in turn and one force's dead receiver
delayed every other force's notifications. After `breaker_failures` failures in a row an endpoint's
circuit opens: its pending deliveries are moved to when it will be tried again (so another replica
taking over does not hammer it either) and nothing is sent to it until then; then one attempt
decides whether it closes. Nothing is lost: a delivery stays pending, and still dead-letters after
`max_attempts` real attempts.

Urgent deliveries (a safeguarding concern, its escalation) go first: first in each run's query, and to the head
of their endpoint's queue, even past a backlog that keeps the endpoint's normal deliveries out of the query.

A delivery is claimed before it is sent, by a conditional update that moves its next attempt a lease
ahead: only one dispatcher's update matches, and one that dies mid-send leaves the row to be tried
again when the lease runs out. Its result is recorded only if no one recorded another attempt since.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from shared.secret_box import SecretBox

from ..store import utc
from ..tables import attempts, deliveries, notifications, subscriptions
from .smtp import send_email
from .targets import NOTHING_ALLOWED, AllowList, Resolver, check, resolve
from .webhook import DeliveryFailed, category_of, post_webhook

log = logging.getLogger("cara.notify.dispatch")


@dataclass
class Endpoint:
    """One receiver's queue and circuit, in this dispatcher's memory."""

    queue: deque[Any] = field(default_factory=deque)
    drainers: int = 0
    failures: int = 0  # in a row
    open_until: datetime | None = None


class Dispatcher:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], *, smtp_host: str | None, smtp_port: int, email_from: str,
        timeout: float, max_attempts: int, backoff_seconds: float, secrets: SecretBox,
        allow: AllowList = NOTHING_ALLOWED, require_https: bool = False, workers: int = 16, per_endpoint: int = 2,
        breaker_failures: int = 5, breaker_seconds: float = 60.0, resolver: Resolver = resolve,
    ) -> None:
        self.engine, self.clock = engine, clock
        self.secrets = secrets  # opens each subscription's signing secret, sealed at rest
        self.smtp_host, self.smtp_port, self.email_from = smtp_host, smtp_port, email_from
        self.timeout, self.max_attempts, self.backoff = timeout, max_attempts, backoff_seconds
        self.allow, self.require_https, self.resolver = allow, require_https, resolver
        self.per_endpoint, self.breaker_failures = per_endpoint, breaker_failures
        self.breaker = timedelta(seconds=breaker_seconds)
        # Long enough for one attempt (resolve, connect, send, read, each within the timeout) to finish.
        self.lease = timedelta(seconds=6 * timeout + 30)
        # No proxy from the environment and no redirects: either would send the request past the target check.
        self.client = httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cara-delivery")
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._endpoints: dict[str, Endpoint] = {}

    def run_once(self, limit: int = 50) -> int:
        """Attempts every due delivery and waits for the attempts to finish (tests and one-off runs)."""
        started, count = self.dispatch_due(limit)
        wait(started)
        return count

    def dispatch_due(self, limit: int = 50) -> tuple[list[Future[None]], int]:
        """Queues due deliveries by endpoint without waiting for them; endpoints already busy or with an open
        circuit are left out of the query, so their backlog cannot crowd out everyone else's."""
        now = utc(self.clock())
        d = deliveries.c
        with self._lock:
            busy = [target for target, e in self._endpoints.items()
                    if e.queue or e.drainers or not self._closed(e, now)]
            shut = [target for target, e in self._endpoints.items() if not self._closed(e, now)]
        query = select(deliveries).where(d.status == "pending", d.next_attempt_at <= now)
        if busy:  # an urgent delivery is not held behind its endpoint's backlog: it goes to the head of the queue
            query = query.where(d.target.not_in(busy) | (d.urgent.is_(True) & d.target.not_in(shut or [""])))
        with self.engine.connect() as conn:
            due = conn.execute(query.order_by(d.urgent.desc(), d.next_attempt_at).limit(limit)).all()
        started: list[Future[None]] = []
        queued = 0
        with self._lock:
            for delivery in due:
                endpoint = self._endpoints.setdefault(delivery.target, Endpoint())
                if any(waiting.id == delivery.id for waiting in endpoint.queue):
                    continue  # queued by an earlier run, still waiting its turn
                if delivery.urgent:
                    endpoint.queue.appendleft(delivery)
                else:
                    endpoint.queue.append(delivery)
                queued += 1
                while endpoint.drainers < min(self.per_endpoint, len(endpoint.queue)):
                    endpoint.drainers += 1
                    started.append(self.pool.submit(self._drain, delivery.target, endpoint))
        return started, queued

    @staticmethod
    def _closed(endpoint: Endpoint, now: datetime) -> bool:
        return endpoint.open_until is None or now >= endpoint.open_until

    def _drain(self, target: str, endpoint: Endpoint) -> None:
        try:
            while not self.stopping.is_set():
                with self._lock:
                    if not endpoint.queue:
                        break
                    if not self._closed(endpoint, utc(self.clock())):
                        endpoint.queue.clear()  # they stay pending, moved to when the circuit lets them through
                        break
                    delivery = endpoint.queue.popleft()
                try:
                    self._attempt(delivery, endpoint)
                except Exception:  # the database may be briefly unavailable; the delivery stays pending
                    log.exception("delivery %s could not be attempted", delivery.id)
        finally:
            with self._lock:
                endpoint.drainers -= 1
                if self.stopping.is_set():
                    endpoint.queue.clear()
                if not endpoint.drainers and not endpoint.queue and endpoint.failures == 0:
                    self._endpoints.pop(target, None)
            self.wakeup.set()  # its backlog may hold more: look again

    def _attempt(self, delivery: Any, endpoint: Endpoint) -> None:
        if not self._claim(delivery):
            return
        error: Exception | None = None
        try:
            self._send(delivery)
        except Exception as e:  # any failure of the receiver is retried, and recorded
            error = e
        self._record(delivery, error)
        self._count(delivery.target, endpoint, error)

    def _claim(self, delivery: Any) -> bool:
        now = utc(self.clock())
        d = deliveries.c
        with self.engine.begin() as conn:
            claimed = conn.execute(update(deliveries).where(
                d.id == delivery.id, d.status == "pending", d.attempts == delivery.attempts, d.next_attempt_at <= now,
            ).values(next_attempt_at=now + self.lease)).rowcount
        return bool(claimed)

    def _count(self, target: str, endpoint: Endpoint, error: Exception | None) -> None:
        if isinstance(error, DeliveryFailed) and error.category == "subscription_inactive":
            return  # says nothing about the receiver
        now = utc(self.clock())
        with self._lock:
            if error is None:
                if endpoint.open_until is not None:
                    log.info("endpoint %s answered again: circuit closed", target)
                endpoint.failures, endpoint.open_until = 0, None
                return
            endpoint.failures += 1
            if endpoint.failures < self.breaker_failures:
                return
            endpoint.open_until = now + self.breaker
        log.warning("endpoint %s failed %d times in a row: circuit open, its deliveries wait until %s",
                    target, endpoint.failures, endpoint.open_until.isoformat())
        d = deliveries.c
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(d.target == target, d.status == "pending",
                                                  d.next_attempt_at < endpoint.open_until)
                         .values(next_attempt_at=endpoint.open_until))

    def _send(self, delivery: Any) -> None:
        with self.engine.connect() as conn:
            note = conn.execute(
                select(notifications).where(notifications.c.id == delivery.notification_id)).mappings().one()
            sub = None
            if delivery.channel == "webhook":
                sub = conn.execute(select(subscriptions).where(subscriptions.c.id == delivery.target)).one()
        body = notification_body(dict(note), with_state=False)
        if sub is not None:
            if not sub.active:
                raise DeliveryFailed("subscription_inactive", "subscription deleted")
            # Checked again now, not only when subscribed: the name may resolve elsewhere today (DNS rebinding),
            # and the allow-list may have changed. post_webhook connects to the address checked here.
            target = check(sub.url, self.allow, require_https=self.require_https, resolver=self.resolver)
            secret = self.secrets.open(sub.secret)
            post_webhook(self.client, target, secret, json.dumps(body).encode(), delivery.id, note["id"])
        elif self.smtp_host is None:
            raise DeliveryFailed("smtp_not_configured", "no SMTP server configured")
        else:
            about = (f"Caution: {note['caution_id']}" if note["caution_id"]
                     else f"Workshop session: {note.get('session_id')}")
            text = f"{note['body']}\n\n{about}\nNotification: {note['id']}\n"
            try:
                send_email(self.smtp_host, self.smtp_port, self.email_from, delivery.target, email_subject(body), text,
                           note["id"], self.timeout)
            except (OSError, EOFError) as e:
                category = category_of(e)
                raise DeliveryFailed("smtp_error" if category in ("other", "connection_failed") else category,
                                     f"{type(e).__name__}: {e}") from e

    def _record(self, delivery: Any, error: Exception | None) -> None:
        """Stores the error's category only; its text, which can describe the network behind the receiver,
        goes to the log."""
        now = utc(self.clock())
        attempt = delivery.attempts + 1
        category = None if error is None else category_of(error)
        if error is not None:
            log.warning("delivery %s attempt %d failed (%s): %s", delivery.id, attempt, category,
                        f"{type(error).__name__}: {error}"[:1000])
        if error is None:
            values: dict[str, Any] = {"status": "delivered", "attempts": attempt, "last_error": None}
        elif attempt >= self.max_attempts:
            values = {"status": "dead", "attempts": attempt, "last_error": category}
            log.warning("delivery %s dead-lettered after %d attempts: %s", delivery.id, attempt, category)
        else:
            delay = timedelta(seconds=self.backoff * 2 ** (attempt - 1))
            values = {"status": "pending", "attempts": attempt, "last_error": category, "next_attempt_at": now + delay}
        d = deliveries.c
        with self.engine.begin() as conn:
            mine = conn.execute(update(deliveries).where(d.id == delivery.id, d.status == "pending",
                                                         d.attempts == delivery.attempts).values(**values)).rowcount
            if not mine:  # the lease ran out and another dispatcher attempted it meanwhile: its record stands
                log.warning("delivery %s attempt %d finished after its lease; not recorded", delivery.id, attempt)
                return
            conn.execute(insert(attempts).values(delivery_id=delivery.id, attempt=attempt, at=now,
                                                 outcome="delivered" if error is None else "failed", detail=category))

    def run_in_thread(self, stop: threading.Event, poll_seconds: float) -> threading.Thread:
        self.stopping.clear()

        def loop() -> None:
            try:
                while not stop.is_set():
                    try:
                        if self.dispatch_due()[1] == 0:
                            self.wakeup.wait(poll_seconds)
                            self.wakeup.clear()
                    except Exception:  # the database may be briefly unavailable; try again
                        log.exception("dispatch run failed")
                        stop.wait(poll_seconds)
            finally:
                self.stopping.set()  # attempts under way finish; nothing new starts

        thread = threading.Thread(target=loop, name="cara-dispatcher", daemon=True)
        thread.start()
        return thread


STATE_FIELDS = ("state", "done_at", "superseded_at")


def notification_body(note: dict[str, Any], with_state: bool = True) -> dict[str, Any]:
    """The API's view, without delivery details; and what a webhook receives, which is that without the state: a
    webhook carries the notice as it was made, and a retry after the notice was done must not say otherwise."""
    body = {
        "id": note["id"],
        "caution_id": note["caution_id"],
        "session_id": note.get("session_id"),
        "force": note["force"],
        "recipient_role": note["recipient_role"],
        "kind": note["kind"],
        "title": note["title"],
        "body": note["body"],
        "event_id": note["event_id"],
        "event_type": note["event_type"],
        "position": note["position"],
        "created_at": utc(note["created_at"]).isoformat(),
        "priority": note.get("priority") or "normal",
        "due_on": _day(note.get("due_on")),
    }
    if with_state:
        body |= {"state": note.get("state") or "open", "done_at": _moment(note.get("done_at")),
                 "superseded_at": _moment(note.get("superseded_at"))}
    return body


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)


def _moment(value: Any) -> str | None:
    return None if value is None else utc(value).isoformat()


def email_subject(note: Mapping[str, Any]) -> str:
    """An urgent notice says so before anything else in the subject line, where a mail client shows it."""
    return f"URGENT: {note['title']}" if note.get("priority") == "urgent" else str(note["title"])
