"""The caution service SIGKILLed twice under load from sixteen clients that retry with their Idempotency-Keys,
as one process (embedded projector) on SQLite and on PostgreSQL, and in the production shape (two API worker
processes and a projection worker) on PostgreSQL.

Each run asserts what a police system may rely on: every command it was told was recorded is in the store
exactly once, every retried key answers with its first answer, the read models equal the store, no 500 was
ever answered, and the service took new commands after each restart without anyone's help. Each prints its
counts (`pytest -s` shows them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.background import Background, projection_worker
from tests.faults.checks import (
    assert_each_acknowledged_command_stored_once,
    assert_read_models_equal_the_store,
    projected_position,
    seconds_until,
    store_of,
)
from tests.faults.load import Load
from tests.service_processes import CautionProcess

pytestmark = pytest.mark.slow
KILLS = 2
BETWEEN_KILLS = 150  # commands acknowledged before each kill, and after the last restart


@pytest.fixture(params=["sqlite-one-process", "postgresql-one-process", "postgresql-production-shape"])
def shape(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, CautionProcess,
                                                                             Background | None]]:
    database, form = request.param.split("-", 1)
    url = (f"sqlite:///{tmp_path / 'cautions.sqlite3'}" if database == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    production = form == "production-shape"
    env = {"CARA_DATABASE_URL": url, "CARA_ENVIRONMENT": "test", "CARA_PROJECTION_POLL_SECONDS": "0.2"}
    if production:
        env["CARA_RUN_PROJECTIONS"] = "false"
    service = CautionProcess(env, tmp_path / "service.log", args=("--workers", "2") if production else ())
    worker = projection_worker(url, tmp_path / "worker.log") if production else None
    yield url, service, worker
    service.kill()
    if worker is not None:
        worker.stop()


def test_no_acknowledged_command_is_lost_or_doubled_when_the_service_is_killed_twice(
    shape: tuple[str, CautionProcess, Background | None],
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
