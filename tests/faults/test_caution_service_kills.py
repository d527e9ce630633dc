"""The caution service SIGKILLed twice under load from sixteen clients that retry with their Idempotency-Keys,
as one process (embedded projector) on SQLite and on PostgreSQL, and in the production shape (two API worker
processes and a projection worker) on PostgreSQL.

Each run asserts what a police system may rely on: every command it was told was recorded is in the store
exactly once, every retried key answers with its first answer, the read models equal the store, no 500 was
ever answered, and the service took new commands after each restart without anyone's help. Each prints its
counts (`pytest -s` shows them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.checks import (
    assert_each_acknowledged_command_stored_once,
    assert_read_models_equal_the_store,
    projected_position,
    seconds_until,
    store_of,
)
from tests.faults.load import Load
from tests.service_processes import ROOT, CautionProcess

pytestmark = pytest.mark.slow
KILLS = 2
BETWEEN_KILLS = 150  # commands acknowledged before each kill, and after the last restart


class ProjectionWorker:
    """`python -m services.caution_service.worker`, as the production shape runs it beside the API."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_DATABASE_URL": database_url,
                    "CARA_ENVIRONMENT": "test"}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ProjectionWorker:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "services.caution_service.worker",
                                             "--poll-seconds", "1"], cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture(params=["sqlite-one-process", "postgresql-one-process", "postgresql-production-shape"])
def shape(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, CautionProcess,
                                                                             ProjectionWorker | None]]:
    database, form = request.param.split("-", 1)
    url = (f"sqlite:///{tmp_path / 'cautions.sqlite3'}" if database == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    production = form == "production-shape"
    env = {"CARA_DATABASE_URL": url, "CARA_ENVIRONMENT": "test", "CARA_PROJECTION_POLL_SECONDS": "0.2"}
    if production:
        env["CARA_RUN_PROJECTIONS"] = "false"
    service = CautionProcess(env, tmp_path / "service.log", args=("--workers", "2") if production else ())
    worker = ProjectionWorker(url, tmp_path / "worker.log") if production else None
    yield url, service, worker
    service.kill()
    if worker is not None:
        worker.stop()


def test_no_acknowledged_command_is_lost_or_doubled_when_the_service_is_killed_twice(
    shape: tuple[str, CautionProcess, ProjectionWorker | None],
) -> None:
    url, service, worker = shape
    service.start()
    if worker is not None:
        worker.start()
    load = Load(lambda: service.url, clients=16).start()
    recovered = []
    for _ in range(KILLS):
        load.wait_for(BETWEEN_KILLS)
        service.kill()
        time.sleep(0.5)  # clients meet a closed port for a moment, as they would during a real restart
        started = time.monotonic()
        service.start()
        load.wait_for(1, timeout=60)
        recovered.append(time.monotonic() - started)
    load.wait_for(BETWEEN_KILLS)
    load.stop()
    print(f"\n{url.split(':')[0]} {'production shape' if worker else 'one process'}: {load.summary()}; "
          f"first command acknowledged {', '.join(f'{s:.1f}s' for s in recovered)} after each restart began")
    load.assert_clean()
    assert load.replay_mismatches(service.url) == []

    with store_of(url) as app:
        head = assert_each_acknowledged_command_stored_once(app, load)
        caught_up = seconds_until(lambda: projected_position(app) == head, 60, "the read models to catch up")
        probe = httpx.get(f"{service.url}/readyz", timeout=10)
        assert probe.status_code == 200, probe.text
        service.stop()
        if worker is not None:
            worker.stop()
        assert_read_models_equal_the_store(app, head)
    print(f"store head at position {head}, each acknowledged command stored once; read models caught up "
          f"{caught_up:.1f}s after the load stopped and equal a rebuild")
