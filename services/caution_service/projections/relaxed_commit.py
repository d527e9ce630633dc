"""Read-model batches commit without waiting for the disk; the events they came from always wait.

A projection batch commits its rows and its new position together, so losing the last few batches
in a power cut loses nothing that matters: the positions fall back with the rows, and the batches
are projected again from the event store. So these commits skip the flush to disk:
`synchronous_commit = off` for the transaction on PostgreSQL, `synchronous = NORMAL` on SQLite.

On SQLite a commit holds the database's only write lock until its flush ends, so the projector's
flushes kept the API workers' commands waiting (it held the lock 5-8% of the time under load,
about half of that in the flush). In WAL mode the next command's flush writes the projector's pages
too, and SQLite stays consistent after a crash at any point (https://sqlite.org/pragma.html#pragma_synchronous).

The setting is the connection's on SQLite, and connections return to a pool that command writers
share, so every connection given it is put back to FULL as it is checked in: no command is ever
committed without its flush.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event, text

_RELAXED = "cara_relaxed_commit"


def relax_commit(connection: Connection) -> None:
    """Called first thing in the transaction, before any statement of its own."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit = off"))
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
        connection.info[_RELAXED] = True


def restore_on_checkin(engine: Engine) -> None:
    """Once per engine: connections given a relaxed commit go back to FULL before anyone else gets them."""
    if engine.dialect.name != "sqlite" or event.contains(engine.pool, "checkin", _restore):
        return
    event.listen(engine.pool, "checkin", _restore)


def _restore(dbapi_connection: Any, record: Any) -> None:
    if dbapi_connection is not None and record is not None and record.info.pop(_RELAXED, False):
        dbapi_connection.execute("PRAGMA synchronous = FULL")
