"""Retention in the caution service, on SQLite and PostgreSQL: with the clock moved forward each expired
Idempotency-Key record is erased exactly once, per its caller's force; a run cut short is finished by the
next one without erasing or counting anything twice; a day already done is not run again."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from prometheus_client.utils import floatToGoString
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from services.caution_service import worker
from services.caution_service.application import CautionApplication
from services.caution_service.retention import IDEMPOTENCY_RECORDS, IDEMPOTENCY_TABLE, TABLES, build_retention
from shared.retention import RetentionConfig
from shared.retention_job import RetentionJob, Run, Step
from tests.caution_service.integration.test_read_support import quiet_client, quiet_settings
from tests.caution_service.integration.test_read_worker import _wait_for
from tests.support import FakeClock, app_state

KENT_KEEPS_A_WEEK = RetentionConfig.parse('{"forces": {"KENT": {"idempotency_days": 7}}}')


@pytest.fixture
def engine(app: CautionApplication) -> Engine:
    return app.engine


def stored(engine: Engine, caller: str, created_at: datetime) -> str:
    key = uuid.uuid4().hex
    with engine.begin() as connection:
        connection.execute(insert(IDEMPOTENCY_TABLE).values(
            principal_id=caller, key=key, fingerprint="f" * 64, status_code=201, headers="{}", body="sealed",
            created_at=created_at))
    return key


def keys(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(IDEMPOTENCY_TABLE.c.key)).scalars())


def totals(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {item: n for item, n in connection.execute(select(TABLES.totals.c.item, TABLES.totals.c.deleted))}


def logged(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.sum(TABLES.erasures.c.deleted), 0))).scalar_one())


def job(app: CautionApplication, clock: FakeClock, config: RetentionConfig = KENT_KEEPS_A_WEEK, batch: int = 500
        ) -> RetentionJob:
    return build_retention(app, config, clock, batch)


def test_with_the_clock_moved_forward_each_expired_record_is_erased_once(
        app: CautionApplication, engine: Engine, clock: FakeClock) -> None:
    old_cambs = stored(engine, "CAMBS/police/officer-1", clock.now - timedelta(days=31))
    young_cambs = stored(engine, "CAMBS/provider/p-1", clock.now - timedelta(days=10))
    old_kent = stored(engine, "KENT/police/officer-9", clock.now - timedelta(days=8))  # KENT keeps a week
    young_kent = stored(engine, "KENT/police/officer-9", clock.now - timedelta(days=2))
    kentish = stored(engine, "KENTISH/police/x", clock.now - timedelta(days=8))  # not KENT: the default's 30 days

    first = job(app, clock).run_if_due()

    assert first == {IDEMPOTENCY_RECORDS: 2}
    assert keys(engine) == {young_cambs, young_kent, kentish}
    assert job(app, clock).run_if_due() is None  # the day is done, even for a new process
    assert job(app, clock).run() == {}  # and asked again anyway, finds nothing left to erase

    clock.advance(days=21)  # young_cambs is 31 days old now, young_kent 23, kentish 29
    assert job(app, clock).run_if_due() == {IDEMPOTENCY_RECORDS: 2}
    assert keys(engine) == {kentish}
    assert totals(engine)[IDEMPOTENCY_RECORDS] == logged(engine) == 4
    assert old_cambs not in keys(engine) and old_kent not in keys(engine)


def test_a_run_cut_short_is_finished_by_the_next_without_counting_twice(
        app: CautionApplication, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    expired = {stored(engine, "CAMBS/police/officer-1", clock.now - timedelta(days=40 + n)) for n in range(5)}
    kept = stored(engine, "CAMBS/police/officer-1", clock.now)
    record, calls = Run.record, []

    def crash_in_the_second_batch(self: Run, connection: Connection, item: str, scope: str, cutoff: datetime,
                                  deleted: int, detail: str | None = None) -> None:
        if deleted:
            calls.append(deleted)
        if len(calls) == 2:  # its rows are deleted in this transaction, which the crash rolls back
            raise RuntimeError("killed mid-run")
        record(self, connection, item, scope, cutoff, deleted, detail)

    monkeypatch.setattr(Run, "record", crash_in_the_second_batch)
    with pytest.raises(RuntimeError):
        job(app, clock, batch=2).run_if_due()
    assert len(expired & keys(engine)) == 3 and totals(engine) == {IDEMPOTENCY_RECORDS: 2} and logged(engine) == 2

    monkeypatch.setattr(Run, "record", record)  # restarted
    restarted = job(app, clock, batch=2)
    assert restarted.due()
    assert restarted.run_if_due() == {IDEMPOTENCY_RECORDS: 3}
    assert keys(engine) == {kept}
    assert totals(engine) == {IDEMPOTENCY_RECORDS: 5} and logged(engine) == 5
    assert restarted.run_if_due() is None


def test_a_run_stopped_between_batches_leaves_the_day_to_do(
        app: CautionApplication, engine: Engine, clock: FakeClock) -> None:
    for n in range(4):
        stored(engine, "CAMBS/police/officer-1", clock.now - timedelta(days=40 + n))
    stop = threading.Event()
    first = job(app, clock, batch=2)
    first.steps[0] = _StopsAfterOneBatch(first.steps[0], stop)  # the worker losing its lead, or SIGTERM
    first.run_if_due(stop)
    assert totals(engine) == {IDEMPOTENCY_RECORDS: 2} and job(app, clock).due()
    assert job(app, clock, batch=2).run_if_due() == {IDEMPOTENCY_RECORDS: 2}


class _StopsAfterOneBatch:
    def __init__(self, step: Step, stop: threading.Event) -> None:
        self.step, self.stop = step, stop

    def apply(self, run: Run) -> None:
        original = run.record

        def then_stop(connection: Connection, item: str, scope: str, cutoff: datetime, deleted: int,
                      detail: str | None = None) -> None:
            original(connection, item, scope, cutoff, deleted, detail)
            if deleted:
                self.stop.set()

        run.record = then_stop  # type: ignore[method-assign]
        self.step.apply(run)


def test_two_runners_at_once_erase_and_count_each_record_once(
        app: CautionApplication, engine: Engine, clock: FakeClock) -> None:
    """The embedded shape with several API processes: each runs the job."""
    for n in range(30):
        stored(engine, f"CAMBS/police/officer-{n % 3}", clock.now - timedelta(days=40, minutes=n))
    counts: list[int] = []
    failures: list[BaseException] = []

    def run(j: RetentionJob) -> None:
        try:
            counts.append(j.run().get(IDEMPOTENCY_RECORDS, 0))
        except BaseException as e:  # reported below
            failures.append(e)

    threads = [threading.Thread(target=run, args=(job(app, clock, batch=3),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert sum(counts) == 30 == totals(engine)[IDEMPOTENCY_RECORDS] == logged(engine)
    assert keys(engine) == set()


def test_the_projection_worker_runs_it_and_the_api_reports_it_on_metrics(database_url: str, clock: FakeClock) -> None:
    """The production shape: the job runs in the worker's process, /metrics is answered by an API process."""
    with quiet_client(database_url, clock) as client:
        scraped = client.get("/metrics").text
        assert f'cara_retention_deleted_total{{item="{IDEMPOTENCY_RECORDS}"}} 0.0' in scraped
        assert "cara_retention_last_run_timestamp_seconds 0.0" in scraped
        engine = app_state(client).cautions.engine
        stored(engine, "CAMBS/police/officer-1", clock.now - timedelta(days=31))
        stored(engine, "CAMBS/police/officer-1", clock.now)

        stop = threading.Event()
        worker_thread = threading.Thread(target=worker.run, args=(quiet_settings(database_url), stop),
                                         kwargs={"poll_seconds": 0.2, "deadline_every": 3600, "clock": clock})
        worker_thread.start()
        try:
            _wait_for(lambda: not job(app_state(client).cautions, clock).due(), 20, "the worker's retention run")
        finally:
            stop.set()
            worker_thread.join(timeout=20)
        scraped = client.get("/metrics").text
    assert f'cara_retention_deleted_total{{item="{IDEMPOTENCY_RECORDS}"}} 1.0' in scraped
    assert 'cara_retention_deleted_total{item="consultations"} 0.0' in scraped
    assert f"cara_retention_last_run_timestamp_seconds {floatToGoString(clock.now.timestamp())}" in scraped
