"""One rebuild at a time per database.

Two rebuilds of the same read models would each empty them and project the store into them: the unique
keys and the positions' compare-and-set keep the rows whole, but one of the two fails after it has
worked for nothing, and its operator may take the failure for a broken store. The lock lives as long
as the rebuilding process (a PostgreSQL session's advisory lock; an SQLite file's flock beside the
database), so a rebuild that was killed leaves nothing to clean up.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

_PG_KEY = "hashtext(current_schema() || :suffix)"  # one per schema, like the projector's leader lock
_PG_SUFFIX = {"suffix": ":cara-rebuild"}


class RebuildInProgress(RuntimeError):
    """Another process is rebuilding the read models of this database."""


@contextmanager
def rebuild_lock(engine: Engine) -> Iterator[None]:
    """Held for the whole rebuild; raises RebuildInProgress at once, before anything is dropped."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _file_lock(f"{engine.url.database}.rebuild-lock"):
            yield
    else:  # an in-memory database lives in one process, whose projector serialises its own batches
        yield


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not connection.execute(text(f"SELECT pg_try_advisory_lock({_PG_KEY})"), _PG_SUFFIX).scalar():
            raise RebuildInProgress("another rebuild of these read models is running")
        try:
            yield
        finally:  # the pooled connection outlives this rebuild, and a session's advisory lock with it
            try:
                connection.execute(text(f"SELECT pg_advisory_unlock({_PG_KEY})"), _PG_SUFFIX)
            except DBAPIError:  # the session is gone, and its lock with it: keep the error that ended the rebuild
                connection.invalidate()


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RebuildInProgress("another rebuild of these read models is running") from None
        yield
    finally:
        os.close(descriptor)  # closing releases the flock
