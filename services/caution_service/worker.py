"""`make projector`: the production-shape projection worker (and deadline monitor).

Exactly one worker is active per database: it holds a PostgreSQL advisory lock
for as long as its connection lives, so a standby takes over when it dies. A database
restart costs the lead and a few seconds, never the process (shared/leadership.py).
It sleeps until PostgreSQL NOTIFYs a new event. SQLite has no notifications: there
it looks every 50 ms whether another connection has committed (PRAGMA data_version).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing, nullcontext
from datetime import datetime
from typing import Any

from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy.engine import make_url

from shared.backoff import Backoff
from shared.heap import settle_after_startup
from shared.heartbeat import Heartbeat
from shared.leadership import SessionCheck, lead_forever, lock_sql
from shared.logging_setup import configure_logging

from .config import Settings
from .deadlines import DeadlineMonitor
from .main import build_application, utc_now
from .projections.projector import COALESCE_SECONDS, STATISTICS_EVERY_SECONDS, Projector
from .projections.wiring import build_projector
from .retention import build_retention

log = logging.getLogger("cara.worker")
SQLITE_LOOK_SECONDS = 0.05
LEADER_LOCK = "cara-projector"
LEADER_LOCK_SQL = lock_sql(LEADER_LOCK)  # one leader per schema


class SqliteCommits:
    """Whether anyone has committed to an SQLite file since the last look: PRAGMA data_version, read on a
    connection of its own, changes with every other connection's commit. A look costs a few microseconds,
    so it can be frequent where polling for events with a query would not be."""

    def __init__(self, database_url: str) -> None:
        self._connection = sqlite3.connect(make_url(database_url).database or ":memory:", check_same_thread=False)
        self._seen = self._version()

    def _version(self) -> int:
        return self._connection.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        seen, self._seen = self._seen, self._version()
        return self._seen != seen

    def close(self) -> None:
        self._connection.close()


def wait_for_new_events(connection: Any, stop: threading.Event, timeout: float,
                        commits: SqliteCommits | None = None) -> bool:
    """Until a NOTIFY or, on SQLite, a commit (True), `timeout`, or a stop request (checked every second
    at least, so SIGTERM is prompt)."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if connection is not None:
            if any(True for _ in connection.notifies(timeout=min(left, 1.0), stop_after=1)):
                return True
        elif commits is not None:
            if commits.changed():
                return True
            stop.wait(min(left, SQLITE_LOOK_SECONDS))
        else:
            stop.wait(min(left, 1.0))
    return False


NO_HEARTBEAT = Heartbeat(None)


def run(settings: Settings, stop: threading.Event, poll_seconds: float = 5.0, deadline_every: float = 60.0,
        settle_heap: bool = False, heartbeat: Heartbeat = NO_HEARTBEAT,
        clock: Callable[[], datetime] = utc_now) -> None:
    """Leads (or stands by), projects, monitors deadlines and applies retention until `stop`; `heartbeat`
    beats at least every `poll_seconds` (plus one batch) while it does, leading or not."""
    heartbeat.beat()
    app = build_application(settings, clock)
    projector = build_projector(app)
    monitor = DeadlineMonitor(app, clock)
    retention = build_retention(app, settings.retention, clock, settings.retention_batch)
    if settle_heap:  # only as its own process: tests run this in threads of a shared one
        settle_after_startup()
    recorder = app.recorder
    assert isinstance(recorder, SQLAlchemyApplicationRecorder)  # the event store's (event_store.py)
    channel = recorder.channel_name
    commits = SqliteCommits(settings.database_url) if settings.database_url.startswith("sqlite") else None

    def work(connection: Any) -> None:
        if connection is not None:
            connection.execute(f"LISTEN {channel}")
        # Its own thread, so a long first run does not hold up projections; it stops with the lead.
        retention_stop = threading.Event()
        retention_thread = retention.run_in_thread(retention_stop, settings.retention_check_seconds)
        try:
            _lead(projector, monitor, Lead(connection, commits, settings.retry_cap_seconds), stop, poll_seconds,
                  deadline_every, heartbeat)
        finally:
            retention_stop.set()
            retention_thread.join(timeout=30)

    with closing(commits) if commits else nullcontext():
        lead_forever(settings.database_url, LEADER_LOCK, stop, work, backoff_cap=settings.retry_cap_seconds,
                     standing_by=heartbeat.beat)


class Lead:
    """What the leader works with: the lock's connection (LISTEN, and the session to check), SQLite's commit
    watch, and how long it may wait between tries after a failure."""

    def __init__(self, connection: Any, commits: SqliteCommits | None, retry_cap: float) -> None:
        self.connection, self.commits, self.retry_cap = connection, commits, retry_cap
        self.session = SessionCheck(connection)


def _lead(projector: Projector, monitor: DeadlineMonitor, lead: Lead, stop: threading.Event, poll_seconds: float,
          deadline_every: float, heartbeat: Heartbeat) -> None:
    next_deadline_check, next_statistics = 0.0, 0.0
    backoff = Backoff(cap=lead.retry_cap)
    while not stop.is_set():
        heartbeat.beat()
        try:
            count = projector.run_once()
            # A short batch read all there was. A write since then has already notified (LISTEN) or
            # moved SQLite's data_version, so waiting now misses nothing.
            idle = count < projector.batch_size
            if time.monotonic() >= next_deadline_check:
                monitor.run_once()
                next_deadline_check = time.monotonic() + deadline_every
            if idle and time.monotonic() >= next_statistics:
                projector.refresh_statistics()
                next_statistics = time.monotonic() + STATISTICS_EVERY_SECONDS
            backoff.reset()
        except Exception:  # a transient database error keeps the lead, unless the lock's session went with it
            lead.session.now()
            wait = backoff.next()
            log.exception("projection or deadline run failed; retrying in %.1fs", wait)
            stop.wait(wait)
            continue
        lead.session.when_due()
        if idle and wait_for_new_events(lead.connection, stop, poll_seconds, lead.commits):
            stop.wait(COALESCE_SECONDS)  # as the embedded thread does: one batch for a burst of writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--deadline-every", type=float, default=60.0)
    parser.add_argument("--heartbeat-file", help="touched while the loop goes round, for a liveness probe "
                        "(python -m shared.heartbeat FILE 60)")
    args = parser.parse_args()
    settings = Settings()
    configure_logging("caution-projector", settings.environment, access_log=False)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run(settings, stop, args.poll_seconds, args.deadline_every, settle_heap=True,
        heartbeat=Heartbeat(args.heartbeat_file))


if __name__ == "__main__":
    main()
