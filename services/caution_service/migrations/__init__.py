"""The caution service's schema history: its read models, Idempotency-Key records, consultation log, person keys
and what its retention job keeps of its runs.

Never the event store's tables: the eventsourcing library creates those itself (shared/migrations.py), at start-up
or, where the service's role may not create tables, in `create_event_store` run by `make migrate`.
Run at start-up by `build_application` (every process of this service goes through it) and by `make migrate`.
"""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection, Engine

from shared.keyring import metadata as person_keys
from shared.migrations import Migrations, SchemaNotAtHead

VERSION_TABLE = "cautions_alembic_version"
# What the eventsourcing recorders make for the application named "cautions" (application.py): never ours.
EVENT_STORE_TABLES = frozenset(f"cautions_{purpose}" for purpose in ("events", "snapshots", "tracking"))
# The ones the application itself records in (no tracking: the projector keeps its positions in a table of ours).
APPLICATION_TABLES = ("cautions_events", "cautions_snapshots")


def metadata() -> MetaData:
    """Every table this service owns, as the code declares it: what the migrations must produce."""
    from ..consultations import metadata as consultations
    from ..idempotency import Base
    from ..projections.tables import metadata as read_models
    from ..readiness import metadata as readiness
    from ..references import metadata as references
    from ..retention import TABLES as retention
    from ..venues import metadata as venues

    combined = MetaData()
    for source in (read_models, Base.metadata, consultations, person_keys, retention.metadata, readiness, references,
                   venues):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


def legacy_revision(connection: Connection) -> str | None:
    """The revision a database made before migrations holds, judged by what each revision added.

    The previous code created every table when the API process started, so a database that served
    requests holds all the tables of its time; what differs between times is only what 0002 and 0003 add.
    """
    tables = set(inspect(connection).get_table_names())
    if "cautions_idempotency" not in tables:
        return None  # a new database (perhaps with the event store's tables already): migrate from the start
    if "consultations" in tables:
        return "0003"
    columns = {column["name"] for column in inspect(connection).get_columns("cautions_idempotency")}
    return "0002" if "position" in columns else "0001"


MIGRATIONS = Migrations(str(Path(__file__).parent), VERSION_TABLE, metadata, legacy_revision, EVENT_STORE_TABLES)


def migrate(engine: Engine) -> None:
    MIGRATIONS.upgrade(engine)


def create_event_store(eventsourcing_env: dict[str, str]) -> None:
    """The event store's tables, made the way the application makes them when it may (CREATE_TABLE), for a
    deployment whose service role may not: the migrator runs this with the migrations."""
    env = {**eventsourcing_env, "IS_SNAPSHOTTING_ENABLED": "y", "CREATE_TABLE": "yes"}
    factory = InfrastructureFactory.construct(Environment("cautions", env))
    try:
        factory.application_recorder()
        factory.aggregate_recorder("snapshots")
    finally:
        factory.close()


def require_migrated(engine: Engine) -> None:
    """Without migrating: the event store's tables are there and the schema is at the newest revision."""
    missing = [t for t in APPLICATION_TABLES if t not in set(inspect(engine).get_table_names())]
    if missing:
        raise SchemaNotAtHead(f"the event store's tables {', '.join(missing)} do not exist: run `python -m "
                              "services.migrate` (make migrate) with the migrator role's database URL first. This "
                              "process does not create tables (CARA_MIGRATE_AT_START=false).")
    MIGRATIONS.require_head(engine, "CARA_MIGRATE_AT_START")
