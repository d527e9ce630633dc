"""The writer's plain-SQL reads (driver_sql.py) find what SQLAlchemy wrote, on both databases."""

from __future__ import annotations

import sqlite3
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, text
from sqlalchemy.pool import NullPool

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.driver_sql import FixedSelect, InListSelect, InsertMany
from services.caution_service.event_store import engine_of, events_table
from services.caution_service.idempotency import Receipt, StoredResponse
from services.caution_service.main import build_application
from tests.caution_service.unit.builders import issue_kwargs
from tests.support import FakeClock


def test_latest_versions_by_caution_for_lists_of_any_length(app: CautionApplication) -> None:
    cautions = [Caution.issue(**issue_kwargs()) for _ in range(5)]
    app.save(*cautions)
    table = events_table(app)
    engine = engine_of(app)
    latest = InListSelect(engine.dialect, [table.c.originator_id, table.c.originator_version], [table.c.originator_id],
                          tail="GROUP BY originator_id", select_list="originator_id, max(originator_version)")
    ids = [c.id for c in cautions]
    with engine.connect() as connection:
        for n in (1, 3, 5, 3):  # texts are kept per length; the same length again reuses one
            rows = latest.rows(connection, ids[:n] + [uuid4()])  # an unknown id finds nothing
            assert {(UUID(str(cid)), version) for cid, version in rows} == {(cid, 1) for cid in ids[:n]}
    assert set(latest._texts) == {(2,), (4,), (6,)}


def test_an_idempotency_record_is_found_for_its_caller_only(app: CautionApplication) -> None:
    def render(caution: Caution, position: int | None) -> StoredResponse:
        return StoredResponse(201, {"id": str(caution.id), "position": position})

    receipt = Receipt("CAMBS/police/pc-1", "key-1", "print-1", render)
    issued = app.issue(lambda: Caution.issue(**issue_kwargs()), receipt)
    found = app.idempotency.find_many([("CAMBS/police/pc-1", "key-1"), ("KENT/police/pc-1", "key-1"),
                                       ("CAMBS/police/pc-1", "key-2")])
    assert list(found) == [("CAMBS/police/pc-1", "key-1")]
    record = found[("CAMBS/police/pc-1", "key-1")]
    assert (record.status_code, record.position) == (201, issued.position)
    assert app.idempotency.same_request(record, receipt)


def test_a_database_that_stays_locked_is_the_event_stores_operational_error(sqlite_url: str, clock: FakeClock) -> None:
    """The API answers the event store's OperationalError with 503: a raw driver error would have been a 500."""
    app = build_application(Settings(environment="test", database_url=sqlite_url), clock)
    table = events_table(app)
    engine = engine_of(app)
    insert = InsertMany(engine.dialect,
                        [table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state])
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            with pytest.raises(OperationalError):
                row = {"originator_id": uuid4(), "originator_version": 1, "topic": "t", "state": b"{}"}
                insert.execute(connection, [row])
            connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
    finally:
        other.execute("ROLLBACK")
        other.close()
        app.close()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_invalidated_not_given_back_to_the_pool(postgres_url: str) -> None:
    """As SQLAlchemy does for its own statements: the next caller gets a new connection, not the dead one."""
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    killer = create_engine(postgres_url, poolclass=NullPool)
    numbers = Table("driver_sql_numbers", MetaData(), Column("n", Integer))
    one = FixedSelect(engine.dialect, [numbers.c.n], "n = {p}")
    try:
        numbers.create(engine, checkfirst=True)
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            with pytest.raises(OperationalError):
                one.rows(connection, 1)
            assert connection.invalidated

        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
            assert one.rows(connection, 1) == []
    finally:
        numbers.drop(engine, checkfirst=True)
        engine.dispose()
        killer.dispose()
