"""One schema upgrade at a time per database, however many processes start together.

Two API workers, the projection worker and the relay may all start at once against one database; each
upgrades it at start-up. Serialised, the first does the work and the others find the database at head.
PostgreSQL: a transaction-scoped advisory lock, taken as the upgrade transaction's first statement and
released by its commit (or by the session ending, if the process dies), keyed per schema and service so
schemas and services never wait for each other. SQLite: an flock on a file beside the database, held
until the upgrade has committed (SQLite's driver runs DDL outside the transaction, so the transaction
alone would not serialise two upgrades). An in-memory database belongs to one process: no lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

_PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || :name))"


@contextmanager
def locked_transaction(engine: Engine, name: str) -> Iterator[Connection]:
    """A connection in a transaction that no other process holding lock `name` on this database overlaps."""
    database = engine.url.database
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Waiting for another process's upgrade, and a long upgrade itself, must not be cut short by the
            # statement timeout that bounds requests (shared/database_timeouts.py): for this transaction only.
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(text(_PG_LOCK), {"name": f":cara-migrate-{name}"})
            yield connection
    elif engine.dialect.name == "sqlite" and database not in (None, "", ":memory:") and "mode=memory" not in database:
        with _file_lock(f"{database}.migrate-lock"), engine.begin() as connection:
            yield connection
    else:
        with engine.begin() as connection:
            yield connection


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # waits for the process upgrading now
        yield
    finally:
        os.close(descriptor)  # closing releases the flock
