"""One active worker per database schema: whoever holds a PostgreSQL session advisory lock leads.

The lock lives as long as the leader's connection, so when the leader dies its session ends and a
standby, trying every few seconds, takes over. SQLite has no such lock: there the caller is the only
worker (one host, one file) and leads at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger("cara.leadership")


def psycopg_conninfo(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def lock_sql(name: str) -> str:
    """Try the lock called `name` in the connection's current schema; true when taken."""
    if not name.replace("-", "").isalnum():
        raise ValueError(f"lock names are letters, digits and dashes: {name!r}")
    return f"SELECT pg_try_advisory_lock(hashtext(current_schema() || ':{name}'))"


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
    called at each try (a standby is alive too)."""
    if not database_url.startswith("postgresql"):
        log.warning("not PostgreSQL: no leader lock for %s, run a single worker", name)
        yield None
        return
    import psycopg

    connection = psycopg.connect(psycopg_conninfo(database_url), autocommit=True)
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


def still_leading(connection: Any) -> bool:
    """False once the lock's session is gone (the database restarted, the connection broke): the lock went
    with it, and a standby may already lead."""
    if connection is None:
        return True
    try:
        connection.execute("SELECT 1")
        return True
    except Exception:  # any failure of the session means the lock can no longer be trusted
        return False
