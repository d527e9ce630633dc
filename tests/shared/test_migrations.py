"""Each service's migrations: from nothing to head, from a database made before migrations to head keeping its
rows, two upgrades at once, and the code's tables equal to what the migrations make (a table changed without a
migration fails `test_the_code_declares_exactly_the_schema_the_migrations_make`). SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from services.caution_service.application import CautionApplication
from services.caution_service.migrations import EVENT_STORE_TABLES
from services.caution_service.migrations import MIGRATIONS as CAUTIONS
from services.caution_service.projections.wiring import build_projector
from services.notification_service.migrations import MIGRATIONS as NOTIFICATIONS
from shared.migrations import Migrations
from tests.shared.legacy_schemas import (
    CAUTIONS_AT_LAST_CREATE_ALL,
    CAUTIONS_BEFORE_POSITION,
    create_legacy,
)
from tests.shared.legacy_schemas import (
    NOTIFICATIONS as NOTIFICATIONS_DDL,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SERVICES = [pytest.param(CAUTIONS, id="cautions"), pytest.param(NOTIFICATIONS, id="notifications")]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def differences(engine: Engine, migrations: Migrations) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=migrations.context_options())
        return list(compare_metadata(context, migrations.metadata()))


def at(engine: Engine, migrations: Migrations) -> str | None:
    with engine.connect() as connection:
        return migrations.current(connection)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.mark.parametrize("migrations", SERVICES)
def test_an_empty_database_is_migrated_to_head(engine: Engine, migrations: Migrations) -> None:
    migrations.upgrade(engine)

    assert at(engine, migrations) == migrations.head()
    assert set(migrations.metadata().tables) | {migrations.version_table} == tables(engine)


@pytest.mark.parametrize("migrations", SERVICES)
def test_the_code_declares_exactly_the_schema_the_migrations_make(engine: Engine, migrations: Migrations) -> None:
    """Change a table in the code without a migration (or the reverse) and this names the difference."""
    migrations.upgrade(engine)
    assert differences(engine, migrations) == []


def test_the_version_tables_differ_so_both_services_fit_in_one_database(engine: Engine) -> None:
    CAUTIONS.upgrade(engine)
    NOTIFICATIONS.upgrade(engine)
    assert (at(engine, CAUTIONS), at(engine, NOTIFICATIONS)) == (CAUTIONS.head(), NOTIFICATIONS.head())


@pytest.mark.parametrize("migrations", SERVICES)
def test_two_upgrades_at_once_both_succeed_and_migrate_once(engine: Engine, database_url: str,
                                                            migrations: Migrations) -> None:
    other = create_engine(database_url)  # another process's pool
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def upgrade(on: Engine) -> None:
        start.wait()
        try:
            migrations.upgrade(on)
        except BaseException as e:  # reported below, with the other thread's outcome
            failures.append(e)

    threads = [threading.Thread(target=upgrade, args=(on,)) for on in (engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    other.dispose()
    assert failures == []
    assert at(engine, migrations) == migrations.head()
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {migrations.version_table}")).scalar_one() == 1


def test_the_event_store_tables_are_left_to_the_library_and_never_compared(app: CautionApplication) -> None:
    """build_application migrates beside the library's own tables; a comparison must not propose dropping them."""
    engine = app.recorder.datastore.engine  # type: ignore[attr-defined]
    not_ours = tables(engine) - set(CAUTIONS.metadata().tables) - {CAUTIONS.version_table}
    assert "cautions_events" in not_ours and not_ours <= EVENT_STORE_TABLES
    assert at(engine, CAUTIONS) == CAUTIONS.head()
    assert differences(engine, CAUTIONS) == []


def test_a_rebuild_of_the_read_models_leaves_the_schema_at_head(app: CautionApplication) -> None:
    engine = app.recorder.datastore.engine  # type: ignore[attr-defined]
    build_projector(app).rebuild()
    assert at(engine, CAUTIONS) == CAUTIONS.head()
    assert differences(engine, CAUTIONS) == []


# ----- databases made before migrations ----------------------------------------------------------------


def _old_idempotency_row(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text('INSERT INTO cautions_idempotency (principal_id, "key", fingerprint, status_code, '
                                "headers, body, created_at) VALUES (:p, :k, :f, 200, '{}', 'sealed', :t)"),
                           {"p": "CAMBS/provider/p-1", "k": "old", "f": "f" * 64, "t": NOW})
        connection.execute(text("INSERT INTO projection_positions VALUES ('caution_summaries', 41)"))


def test_a_database_from_before_the_position_column_is_stamped_at_0001_and_upgraded_keeping_its_rows(
    engine: Engine,
) -> None:
    create_legacy(engine, CAUTIONS_BEFORE_POSITION)
    _old_idempotency_row(engine)
    with engine.connect() as connection:
        assert CAUTIONS.legacy_revision(connection) == "0001"

    CAUTIONS.upgrade(engine)

    assert at(engine, CAUTIONS) == CAUTIONS.head()
    with engine.connect() as connection:
        row = connection.execute(text('SELECT "key", position FROM cautions_idempotency')).one()
        positions = connection.execute(text("SELECT name, position FROM projection_positions")).all()
    assert tuple(row) == ("old", None)
    assert [tuple(p) for p in positions] == [("caution_summaries", 41)]
    assert differences(engine, CAUTIONS) == []


def test_a_database_from_the_last_create_all_is_stamped_at_0003_and_upgraded_keeping_its_rows(engine: Engine) -> None:
    create_legacy(engine, CAUTIONS_AT_LAST_CREATE_ALL)
    _old_idempotency_row(engine)
    with engine.connect() as connection:
        assert CAUTIONS.legacy_revision(connection) == "0003"

    CAUTIONS.upgrade(engine)

    assert at(engine, CAUTIONS) == CAUTIONS.head() == "0022"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cautions_idempotency")).scalar_one() == 1
    assert differences(engine, CAUTIONS) == []


def test_a_notification_database_from_before_migrations_is_stamped_and_keeps_its_rows(engine: Engine) -> None:
    create_legacy(engine, NOTIFICATIONS_DDL)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO consumer_state (name, position, head) VALUES ('caution-feed', 17, 20)"))

    NOTIFICATIONS.upgrade(engine)

    assert at(engine, NOTIFICATIONS) == NOTIFICATIONS.head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT position FROM consumer_state")).scalar_one() == 17
    assert differences(engine, NOTIFICATIONS) == []
