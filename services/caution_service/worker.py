"""`make projector`: the production-shape projection worker (and deadline monitor).

Exactly one worker is active per database: it holds a PostgreSQL advisory lock
for as long as its connection lives, so a standby takes over when it dies.
It sleeps until PostgreSQL NOTIFYs a new event (polling on SQLite).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url

from .config import Settings
from .deadlines import DeadlineMonitor
from .main import build_application, utc_now
from .projections.projector import COALESCE_SECONDS, STATISTICS_EVERY_SECONDS
from .projections.wiring import build_projector

log = logging.getLogger("cara.worker")
LEADER_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext(current_schema() || ':cara-projector'))"  # one leader per schema


def psycopg_conninfo(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _try_lead(connection: Any) -> bool:
    acquired = connection.execute(LEADER_LOCK_SQL).fetchone()[0]
    if acquired is None:  # current_schema() is null: the configured search_path names no existing schema
        raise RuntimeError("the database URL's search_path names no existing schema")
    return bool(acquired)


@contextmanager
def leadership(database_url: str, stop: threading.Event, retry_seconds: float = 2.0) -> Iterator[Any]:
    """Blocks until this process holds the leader lock; yields a connection that LISTENs for new events."""
    if not database_url.startswith("postgresql"):
        log.warning("not PostgreSQL: no leader lock, run a single worker")
        yield None
        return
    import psycopg

    connection = psycopg.connect(psycopg_conninfo(database_url), autocommit=True)
    try:
        while not _try_lead(connection):
            log.info("another worker leads; standing by")
            if stop.wait(retry_seconds):
                yield None
                return
        log.info("leading: projecting and monitoring deadlines")
        yield connection
    finally:
        connection.close()  # closing the session releases the advisory lock


def wait_for_new_events(connection: Any, stop: threading.Event, timeout: float) -> bool:
    """Until a NOTIFY (True), `timeout`, or a stop request (checked every second so SIGTERM is prompt)."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if connection is None:
            stop.wait(min(left, 1.0))
        elif any(True for _ in connection.notifies(timeout=min(left, 1.0), stop_after=1)):
            return True
    return False


def run(settings: Settings, stop: threading.Event, poll_seconds: float = 5.0, deadline_every: float = 60.0) -> None:
    app = build_application(settings)
    projector = build_projector(app)
    monitor = DeadlineMonitor(app, utc_now)
    channel = app.recorder.channel_name  # type: ignore[attr-defined]
    with leadership(settings.database_url, stop) as connection:
        if stop.is_set():
            return
        if connection is not None:
            connection.execute(f"LISTEN {channel}")
        next_deadline_check, next_statistics, backoff = 0.0, 0.0, 1.0
        while not stop.is_set():
            try:
                count = projector.run_once()
                # A short batch read all there was. With LISTEN, a write since then has already
                # notified, so waiting now costs nothing; polling (SQLite) must look again first.
                idle = count < projector.batch_size if connection is not None else count == 0
                if time.monotonic() >= next_deadline_check:
                    monitor.run_once()
                    next_deadline_check = time.monotonic() + deadline_every
                if idle and time.monotonic() >= next_statistics:
                    projector.refresh_statistics()
                    next_statistics = time.monotonic() + STATISTICS_EVERY_SECONDS
                backoff = 1.0
            except Exception:  # keep the lead through a transient database error; the log says what failed
                log.exception("projection or deadline run failed; retrying in %.0fs", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if idle and wait_for_new_events(connection, stop, poll_seconds):
                stop.wait(COALESCE_SECONDS)  # as the embedded thread does: one batch for a burst of writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--deadline-every", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run(Settings(), stop, args.poll_seconds, args.deadline_every)


if __name__ == "__main__":
    main()
