"""The notification service's background work: the feed consumer, the delivery dispatcher, the reminders and
retention (retention.py).

Every replica serves the API, but only one per database schema does this work: two dispatchers could
send the same email twice, and during a rolling update Kubernetes runs the old pod and the new one side
by side. The replica holding the PostgreSQL advisory lock works; the others stand by and take over when
its session ends. If the lock's own session breaks while the workers run, they stop until the lock is
taken again, since a standby may have taken it meanwhile.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from shared.leadership import LeadLost, lead_forever, still_leading
from shared.retention_job import RetentionJob

from .delivery.dispatcher import Dispatcher
from .store import NotificationStore


class EventSource(Protocol):
    """Where caution events come from: the HTTP feed (consumer.py) or NATS JetStream (nats_consumer.py)."""

    def run_in_thread(self, stop: threading.Event) -> threading.Thread: ...

log = logging.getLogger("cara.notify.workers")
LOCK = "cara-notification-workers"


class Workers:
    def __init__(self, database_url: str, source: EventSource, dispatcher: Dispatcher, store: NotificationStore, *,
                 dispatch_poll_seconds: float, reminder_poll_seconds: float, join_seconds: float,
                 retry_seconds: float = 2.0, check_seconds: float = 5.0, retention: RetentionJob | None = None,
                 retention_check_seconds: float = 3600.0) -> None:
        self.database_url, self.source, self.dispatcher, self.store = database_url, source, dispatcher, store
        self.retention, self.retention_check = retention, retention_check_seconds
        self.dispatch_poll, self.reminder_poll = dispatch_poll_seconds, reminder_poll_seconds
        self.join_seconds = join_seconds
        self.retry_seconds, self.check_seconds = retry_seconds, check_seconds
        self.leading = threading.Event()  # set while this replica's workers run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._lead, name="cara-notify-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.dispatcher.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds + 5)

    def _lead(self) -> None:
        lead_forever(self.database_url, LOCK, self._stop, self._work_while_leading, retry_seconds=self.retry_seconds,
                     backoff_cap=self.retry_seconds)

    def _work_while_leading(self, connection: Any) -> None:
        term = threading.Event()
        threads = [self.source.run_in_thread(term), self.dispatcher.run_in_thread(term, self.dispatch_poll),
                   _reminder_thread(self.store, term, self.reminder_poll, self.dispatcher)]
        if self.retention is not None:
            threads.append(self.retention.run_in_thread(term, self.retention_check))
        self.leading.set()
        try:
            while not self._stop.wait(self.check_seconds):
                if not still_leading(connection):
                    log.error("the workers' lock session broke; stopping the workers until the lock is taken again")
                    raise LeadLost("the workers' lock session broke")
        finally:
            self.leading.clear()
            term.set()
            self.dispatcher.wakeup.set()
            for thread in threads:
                thread.join(timeout=self.join_seconds)


def _reminder_thread(
    store: NotificationStore, stop: threading.Event, every: float, dispatcher: Dispatcher
) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(every):
            try:
                if store.fire_due_reminders():
                    dispatcher.wakeup.set()
            except Exception:  # the database may be briefly unavailable: keep the thread alive, try again
                logging.getLogger("cara.notify.reminders").exception("firing due reminders failed")

    thread = threading.Thread(target=loop, name="cara-reminders", daemon=True)
    thread.start()
    return thread
