"""The notification service's schema history: everything in tables.py, and what its retention job keeps of its runs.

Run at start-up by `build_store` (every process of this service goes through it) and by `make migrate`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection, Engine

from shared.migrations import Migrations

VERSION_TABLE = "notifications_alembic_version"


def metadata() -> MetaData:
    from ..retention import TABLES as retention
    from ..tables import metadata as tables
    from ..tables import write_probe

    combined = MetaData()
    for source in (tables, retention.metadata, write_probe.metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


def legacy_revision(connection: Connection) -> str | None:
    """A database made before migrations holds the tables of 0001: the store created them all at once,
    and they have not changed since."""
    return "0001" if "consumer_state" in inspect(connection).get_table_names() else None


MIGRATIONS = Migrations(str(Path(__file__).parent), VERSION_TABLE, metadata, legacy_revision)


def migrate(engine: Engine) -> None:
    MIGRATIONS.upgrade(engine)
