"""Readiness that means "can record", not only "can connect": a committed one-row write, and on SQLite the
free space beside the database.

`SELECT 1` answers on a full disk and on a read-only file, so a replica that refuses every command still
looked ready. A committed UPDATE of one row in a table of the service's own is the cheapest write that
fails exactly as a command would: on a read-only file, on a PostgreSQL server that is read-only or out of
space. It is not enough on SQLite, though: in WAL mode a commit writes into the log file, which is reused
after each checkpoint, so a tiny update can still succeed on a full disk while any command that makes the
database grow fails. There the free space on the database's file system is checked as well, against a
margin the operator sets. Both cost well under a millisecond or two, once per probe (every few seconds).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, update
from sqlalchemy.engine import Engine

from .database_faults import describe


def probe_table(name: str, metadata: MetaData) -> Table:
    """One row per service (`probe`), rewritten by every readiness probe; nothing reads it."""
    return Table(name, metadata, Column("probe", String(32), primary_key=True),
                 Column("probed_at", DateTime(timezone=True), nullable=False))


def sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or "mode=memory" in database:
        return None
    return Path(database)


class DatabaseNotWritable(RuntimeError):
    """Raised at start-up: the process stops, and its supervisor starts it again until the database is writable.

    Starting anyway is no cure. SQLite opens a file it may not write read-only and keeps it so for the life of the
    connection, so a process that started then went on refusing every command after the disk was fixed (issue 15),
    and a migration that is due cannot run at all."""


def require_writable(engine: Engine) -> None:
    """At start-up, on SQLite: the database's directory and files can be written. (A PostgreSQL server that is
    read-only is /readyz's to report: a connection to it does not stay read-only once the server is not.)"""
    path = sqlite_file(engine)
    if path is not None:
        unwritable = [p for p in (path.parent, *path.parent.glob(f"{path.name}*")) if not os.access(p, os.W_OK)]
        if unwritable:
            raise DatabaseNotWritable(f"the database cannot be written: {', '.join(map(str, unwritable))} "
                                      "is read-only; stopping, to be started again once it is writable")


def not_writable(engine: Engine, table: Table, min_free_bytes: int) -> str | None:
    """Why the database cannot take writes now, or None when a write has just been committed."""
    path = sqlite_file(engine)
    if path is not None:
        stats = os.statvfs(path.parent)
        free = stats.f_bavail * stats.f_frsize
        if free < min_free_bytes:
            return f"only {free} bytes are free beside the database (at least {min_free_bytes} wanted)"
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            if connection.execute(update(table).values(probed_at=now)).rowcount == 0:
                connection.execute(insert(table).values(probe="probe", probed_at=now))
    except Exception as e:  # any failure to write means not ready, whatever its kind
        return f"the database cannot be written ({describe(e)})"
    return None
