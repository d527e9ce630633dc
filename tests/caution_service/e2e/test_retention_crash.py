"""A projection worker SIGKILLed in the middle of its retention run, on SQLite and PostgreSQL: what it erased
before dying was counted, nothing it had not erased was, and once restarted it finishes the run, each
record erased and counted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine

from services.caution_service.migrations import migrate
from services.caution_service.retention import IDEMPOTENCY_RECORDS, IDEMPOTENCY_TABLE, TABLES
from tests.service_processes import wait_until

ROOT = Path(__file__).resolve().parents[3]
EXPIRED = 20_000  # in batches of 10: a couple of thousand transactions, so the kill lands mid-run


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


class WorkerProcess:
    def __init__(self, database_url: str, log: Path) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_DATABASE_URL": database_url,
                    "CARA_ENVIRONMENT": "test", "CARA_RETENTION_BATCH": "10"}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "services.caution_service.worker",
                                             "--poll-seconds", "0.5"], cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


def erased(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.sum(TABLES.totals.c.deleted), 0))).scalar_one())


def logged(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.sum(TABLES.erasures.c.deleted), 0))).scalar_one())


def left(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(IDEMPOTENCY_TABLE)).scalar_one())


def done_today(engine: Engine) -> bool:
    with engine.connect() as connection:
        day = connection.execute(select(TABLES.runs.c.last_run_on)).scalar_one_or_none()
    return day == datetime.now(UTC).date()


def test_a_worker_killed_mid_run_and_restarted_finishes_the_job(engine: Engine, database_url: str,
                                                                tmp_path: Path) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with engine.begin() as connection:
        connection.execute(insert(IDEMPOTENCY_TABLE), [
            {"principal_id": "CAMBS/police/officer-1", "key": uuid.uuid4().hex, "fingerprint": "f" * 64,
             "status_code": 201, "headers": "{}", "body": "sealed", "created_at": long_ago} for _ in range(EXPIRED)])
    worker = WorkerProcess(database_url, tmp_path / "worker.log")
    try:
        worker.start()
        wait_until(lambda: erased(engine) > 0, 60, interval=0.01, what="the first batch erased")
        worker.signal(signal.SIGKILL)
        at_the_kill = erased(engine)
        assert 0 < at_the_kill < EXPIRED, "the run was not cut short: nothing to resume"
        assert at_the_kill + left(engine) == EXPIRED == logged(engine) + left(engine)
        assert not done_today(engine)

        worker.start()
        wait_until(lambda: done_today(engine), 120, what="the restarted worker to finish the run")
    finally:
        worker.signal(signal.SIGTERM)
    assert (left(engine), erased(engine), logged(engine)) == (0, EXPIRED, EXPIRED), worker.log.read_text()[-3000:]
    with engine.connect() as connection:
        assert connection.execute(select(TABLES.totals.c.item)).scalars().all() == [IDEMPOTENCY_RECORDS]


CLOSED = 150  # closed cautions whose victim's details are past their period: one transaction each


def test_a_worker_killed_while_erasing_peoples_data_and_restarted_erases_each_once(database_url: str,
                                                                                  tmp_path: Path) -> None:
    from services.caution_service.config import Settings
    from services.caution_service.main import build_application
    from services.caution_service.projections.wiring import build_projector
    from services.caution_service.retention_people import VICTIM_DETAILS
    from tests.caution_service.unit.builders import completed

    app = build_application(Settings(environment="test", database_url=database_url))
    cautions = [completed(police_reference=f"CC-{n:04d}") for n in range(CLOSED)]  # closed in April 2026
    for start in range(0, CLOSED, 50):
        app.record([(caution, None) for caution in cautions[start:start + 50]])
    build_projector(app).run_until_caught_up()  # the candidates are found in the summaries
    engine = app.engine

    def erasures() -> int:
        return sum(name.endswith("PersonalDataErased") for name in (
            n.topic for n in app.recorder.select_notifications(start=1, limit=1_000_000)))

    worker = WorkerProcess(database_url, tmp_path / "worker.log")
    try:
        worker.start()
        wait_until(lambda: erased(engine) > 0, 60, interval=0.01, what="the first erasure")
        worker.signal(signal.SIGKILL)
        at_the_kill = erased(engine)
        assert 0 < at_the_kill < CLOSED, "the run was not cut short: nothing to resume"
        assert at_the_kill == erasures() == logged(engine)  # counted exactly when recorded
        assert not done_today(engine)

        worker.start()
        wait_until(lambda: done_today(engine), 120, what="the restarted worker to finish the run")
    finally:
        worker.signal(signal.SIGTERM)
    assert (erasures(), erased(engine), logged(engine)) == (CLOSED, CLOSED, CLOSED), worker.log.read_text()[-3000:]
    with engine.connect() as connection:
        assert connection.execute(select(TABLES.totals.c.item)).scalars().all() == [VICTIM_DETAILS]
    reloaded = [app.get_caution(caution.id) for caution in cautions]
    assert all(list(caution.erased) == ["victim"] for caution in reloaded)
    app.close()
