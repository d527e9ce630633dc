"""One active worker per database schema: whoever holds a PostgreSQL session advisory lock leads.

The lock lives as long as the leader's connection, so when the leader dies its session ends and a
standby, trying every few seconds, takes over. SQLite has no such lock: there the caller is the only
worker (one host, one file) and leads at once.

`lead_forever` is how a long-running worker uses it: a database restart or a broken lock session must
cost a few seconds of work, never the process, because nothing restarts a worker that has exited.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url

from .backoff import Backoff

log = logging.getLogger("cara.leadership")

# A server that does not answer within this long is treated as gone (a frozen host never resets the
# connection, so only a deadline notices it); short enough for a standby to take over in seconds.
CONNECT_TIMEOUT_SECONDS = 3
CHECK_TIMEOUT_SECONDS = 3.0
# TCP keepalives on the lock's connection: a host that vanished (power, network) is noticed in about
# idle + interval * count seconds even while the connection only waits for NOTIFYs.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


def psycopg_conninfo(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def lock_sql(name: str) -> str:
    """Try the lock called `name` in the connection's current schema; true when taken."""
    if not name.replace("-", "").isalnum():
        raise ValueError(f"lock names are letters, digits and dashes: {name!r}")
    return f"SELECT pg_try_advisory_lock(hashtext(current_schema() || ':{name}'))"


def connect_for_lock(database_url: str) -> Any:
    """An autocommit connection for the lock (and LISTEN), bounded in how long it may take to open."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    conninfo = make_conninfo(psycopg_conninfo(database_url), connect_timeout=CONNECT_TIMEOUT_SECONDS, **KEEPALIVES)
    return psycopg.connect(conninfo, autocommit=True)


def _try_lead(connection: Any, name: str) -> bool:
    acquired = connection.execute(lock_sql(name)).fetchone()[0]
    if acquired is None:  # current_schema() is null: the configured search_path names no existing schema
        raise RuntimeError("the database URL's search_path names no existing schema")
    return bool(acquired)


@contextmanager
def leadership(database_url: str, name: str, stop: threading.Event, retry_seconds: float = 2.0,
               standing_by: Callable[[], None] = lambda: None) -> Iterator[Any]:
    """Blocks until this process holds lock `name` (or `stop` is set); yields the lock's connection
    (autocommit, free for LISTEN), or None on SQLite and when stopped before leading. `standing_by` is
    called at each try (a standby is alive too). A database failure is raised: `lead_forever` retries."""
    if not database_url.startswith("postgresql"):
        log.warning("not PostgreSQL: no leader lock for %s, run a single worker", name)
        yield None
        return
    connection = connect_for_lock(database_url)
    try:
        while not _try_lead(connection, name):
            standing_by()
            log.info("another process leads %s; standing by", name)
            if stop.wait(retry_seconds):
                yield None
                return
        log.info("leading %s", name)
        yield connection
    finally:
        connection.close()  # closing the session releases the advisory lock


def still_leading(connection: Any, timeout: float = CHECK_TIMEOUT_SECONDS) -> bool:
    """False once the lock's session is gone (the database restarted, the connection broke) or does not
    answer within `timeout`: the lock went with it, or may have, and a standby may already lead. After
    False the connection is unusable (a query may still be in flight): close it."""
    if connection is None:
        return True
    try:
        return _answers_within(connection, timeout)
    except Exception:  # any failure of the session means the lock can no longer be trusted
        return False


def _answers_within(connection: Any, timeout: float) -> bool:
    """`SELECT 1` through libpq's asynchronous calls, since psycopg's own have no deadline and a frozen
    server would otherwise hold the caller forever."""
    from psycopg import pq

    pgconn, deadline = connection.pgconn, time.monotonic() + timeout
    with connection.lock:
        pgconn.send_query(b"SELECT 1")
        while pgconn.flush():
            if not _ready(pgconn.socket, deadline, write=True):
                return False
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            if not _ready(pgconn.socket, deadline):
                return False
        answered = True
        while (result := pgconn.get_result()) is not None:
            answered = answered and result.status == pq.ExecStatus.TUPLES_OK
        return answered


def _ready(fd: int, deadline: float, write: bool = False) -> bool:
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    readable, writable, _ = select.select([] if write else [fd], [fd] if write else [], [], left)
    return bool(readable or writable)


class LeadLost(Exception):
    """The lock's session broke while working: stop, and go back to trying the lock."""


def lead_forever(database_url: str, name: str, stop: threading.Event, work: Callable[[Any], None], *,
                 retry_seconds: float = 2.0, backoff_cap: float = 2.0,
                 standing_by: Callable[[], None] = lambda: None) -> None:
    """Until `stop`: take lock `name` (standing by while another process holds it), run `work(connection)`
    while it is held, and after any failure (connect, lock, work, session lost) give the lock up and try
    again after a capped back-off. `work` gets the lock's connection (None on SQLite) and should return
    when `stop` is set, raise (e.g. `LeadLost`) when its database fails or `still_leading` says False."""
    backoff = Backoff(cap=backoff_cap)
    while not stop.is_set():
        try:
            with leadership(database_url, name, stop, retry_seconds, standing_by) as connection:
                if stop.is_set():
                    return
                backoff.reset()
                work(connection)
        except Exception as e:  # the database went away or the lock's session broke: never end the process
            wait = backoff.next()
            log.warning("could not take or keep the lock %s (%s: %s); trying again in %.1fs", name,
                        type(e).__name__, e, wait)
            standing_by()
            stop.wait(wait)


class SessionCheck:
    """`still_leading`, asked at most every `every` seconds from a worker's loop; raises `LeadLost` when the
    session is gone."""

    def __init__(self, connection: Any, every: float = 5.0) -> None:
        self.connection, self.every = connection, every
        self._next = time.monotonic() + every

    def now(self) -> None:
        if not still_leading(self.connection):
            raise LeadLost("the lock's session broke")
        self._next = time.monotonic() + self.every

    def when_due(self) -> None:
        if time.monotonic() >= self._next:
            self.now()
