"""Alembic, driven from code: each service upgrades its own tables to the newest revision at start-up.

Each service keeps its own migration folder and its own version table, so the two histories never meet
even when both services share a database. The eventsourcing library's tables (events, snapshots,
tracking) are the library's to create: Alembic neither creates nor compares them (`foreign_tables`).

Several processes start at once in production (API replicas, the projection worker, the relay), so the
upgrade is serialised (migration_lock.py), in one transaction where the database has transactional DDL
(PostgreSQL). A database made before there were migrations has the tables but no version table: it is
stamped at the revision its tables match, then upgraded, never recreated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine

from .migration_lock import locked_transaction

log = logging.getLogger("cara.migrations")


@dataclass(frozen=True)
class Migrations:
    """One service's migration history: where its scripts are, which table records its revision, which
    tables it owns, which tables beside them are not its own (the event store's), and which revision a
    database from before the history holds."""

    script_location: str
    version_table: str
    metadata: Callable[[], MetaData]
    legacy_revision: Callable[[Connection], str | None]
    foreign_tables: frozenset[str] = frozenset()

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", self.script_location)
        config.attributes["connection"] = connection
        config.attributes["migrations"] = self
        return config

    def include_name(self, name: str | None, type_: str, parent_names: object) -> bool:
        """Autogenerate and compare_metadata never look at the event store's tables or a version table, so
        they can never propose to drop or alter them; any other table not in the metadata is reported."""
        if type_ != "table" or name is None:
            return True
        return name not in self.foreign_tables and not name.endswith("alembic_version")

    def context_options(self) -> dict[str, object]:
        return {"version_table": self.version_table, "include_name": self.include_name,
                "target_metadata": self.metadata(), "compare_type": True}

    def current(self, connection: Connection) -> str | None:
        return MigrationContext.configure(connection, opts={"version_table": self.version_table}).get_current_revision()

    def head(self) -> str | None:
        return ScriptDirectory.from_config(self.config()).get_current_head()

    def upgrade(self, engine: Engine) -> None:
        """Bring the database to head; safe to call from several processes at once."""
        with locked_transaction(engine, self.version_table) as connection:
            self._adopt_legacy(connection)
            command.upgrade(self.config(connection), "head")

    def require_head(self, engine: Engine, setting: str) -> None:
        """For a process that may not migrate (its role cannot create tables): refuse to run against a schema
        its code does not match, naming the cure, rather than fail on the first query that needs a new column."""
        with engine.connect() as connection:
            current = self.current(connection)
        head = self.head()
        if current != head:
            raise SchemaNotAtHead(
                f"the database schema ({self.version_table}) is at revision {current or 'none'}, this version needs "
                f"{head}: run `python -m services.migrate` (make migrate) with the migrator role's database URL, then "
                f"start this again. This process does not migrate ({setting}=false).")

    def _adopt_legacy(self, connection: Connection) -> None:
        if self.current(connection) is not None:
            return
        revision = self.legacy_revision(connection)
        if revision is not None:
            log.info("tables made before migrations found: stamping %s at %s", self.version_table, revision)
            context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
            context.stamp(ScriptDirectory.from_config(self.config()), revision)


class SchemaNotAtHead(RuntimeError):
    """Raised at start-up by a process that does not migrate: its supervisor retries once the migration has run."""


def run_env(context: Any) -> None:
    """The body of each service's env.py (`alembic.context`): online only, on the connection the caller opened."""
    migrations: Migrations = context.config.attributes["migrations"]
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run from code (Migrations.upgrade or `make migrate`), on an open connection")
    batch = connection.dialect.name == "sqlite"  # SQLite alters most things by copying the table
    context.configure(connection=connection, render_as_batch=batch, **migrations.context_options())
    with context.begin_transaction():
        context.run_migrations()
