"""Follows the caution service's HTTP feed (long-poll), applying each page in one transaction.

When the caution service is down it backs off (up to a minute) and says why in
`GET /v1/consumer`; it resumes from its stored position.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import httpx
import structlog

from shared.backoff import Backoff
from shared.http import REQUEST_ID, outgoing_request_id

from .store import NotificationStore

log = logging.getLogger("cara.notify.consumer")
MAX_BACKOFF = 5.0  # seconds, not a minute: a restarted caution service or database is read again soon


class FeedConsumer:
    def __init__(self, store: NotificationStore, feed_url: str, token: Callable[[], str], wait_seconds: float,
                 on_applied: Callable[[], None] = lambda: None, page_size: int = 200) -> None:
        self.store = store
        self.feed_url = feed_url.rstrip("/")
        self.token = token
        self.wait = wait_seconds
        self.page_size = page_size
        self.on_applied = on_applied
        self.client = httpx.Client(timeout=wait_seconds + 10)

    def poll_once(self, wait: float | None = None) -> int:
        """Read one page after the stored position and apply it; returns how many events were new."""
        response = self.client.get(
            f"{self.feed_url}/v1/events",
            params={"after": self.store.position(), "limit": self.page_size,
                    "wait": self.wait if wait is None else wait},
            headers={"Authorization": f"Bearer {self.token()}", REQUEST_ID: outgoing_request_id()},
        )
        if response.status_code == 401 and hasattr(self.token, "invalidate"):
            self.token.invalidate()  # revoked or expired early: the next poll asks the identity provider again
        response.raise_for_status()
        page = response.json()
        applied = self.store.apply_page(page["items"], page["head"], page["next_after"])
        if applied:
            self.on_applied()
        return applied

    def run(self, stop: threading.Event) -> None:
        backoff, failing = Backoff(first=1.0, cap=MAX_BACKOFF), False
        while not stop.is_set():
            # Each read has an id of its own, sent as X-Request-ID: the caution service's lines for it name it too.
            with structlog.contextvars.bound_contextvars(request_id=uuid.uuid4().hex):
                try:
                    self.poll_once()
                    if failing:
                        self.store.record_error(None)
                    backoff.reset()
                    failing = False
                except Exception as e:  # the feed or our database is unavailable: wait and resume
                    message = f"{type(e).__name__}: {e}"[:1000]
                    wait, failing = backoff.next(), True
                    log.warning("feed read failed (%s); retrying in %.0fs", message, wait)
                    record_error_if_possible(self.store, message)
                    stop.wait(wait)

    def run_in_thread(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="cara-feed-consumer", daemon=True)
        thread.start()
        return thread


def record_error_if_possible(store: NotificationStore, message: str) -> None:
    """Say why on /v1/consumer, unless the database that would hold it is what failed: the loop goes on either
    way, since a consumer thread that ended would leave the service leading with nobody reading the feed."""
    try:
        store.record_error(message)
    except Exception:
        log.exception("could not record the consumer error")
