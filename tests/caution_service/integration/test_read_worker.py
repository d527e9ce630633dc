"""The production-shape worker on PostgreSQL: one leader at a time (advisory lock), a standby takes
over when the leader stops, and LISTEN/NOTIFY wakes the leader long before its poll interval."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.caution_service import worker
from services.caution_service.projections import queries
from shared.heartbeat import Heartbeat, age
from shared.leadership import psycopg_conninfo
from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client, quiet_settings
from tests.support import FakeClock, caution_payload

pytestmark = pytest.mark.postgres
POLL_SECONDS = 20.0  # far longer than any wait below: only a NOTIFY can explain a prompt projection


class Worker:
    def __init__(self, name: str, url: str, heartbeat: Path | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.name, self.stop = name, threading.Event()
        self.errors: list[BaseException] = []
        self.heartbeat, self.poll_seconds = heartbeat, poll_seconds
        self.thread = threading.Thread(target=self._run, args=(url,), name=name, daemon=True)

    def _run(self, url: str) -> None:
        try:
            worker.run(quiet_settings(url), self.stop, poll_seconds=self.poll_seconds, deadline_every=3600,
                       heartbeat=Heartbeat(self.heartbeat))
        except Exception as e:  # surfaced by the test
            self.errors.append(e)


def _wait_for(condition: Callable[[], Any], timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def steps_on_the_real_clock(url: str) -> Iterator[ReadSteps]:
    clock = FakeClock(datetime.now(UTC))  # the worker's deadline monitor uses the real clock
    with quiet_client(url, clock) as client:
        yield ReadSteps(client, clock)


@pytest.fixture
def steps(postgres_schema_url: str) -> Iterator[ReadSteps]:
    with steps_on_the_real_clock(postgres_schema_url) as steps:
        yield steps


@pytest.fixture
def workers(postgres_schema_url: str, caplog: pytest.LogCaptureFixture) -> Iterator[list[Worker]]:
    caplog.set_level(logging.INFO, logger="cara.leadership")
    made: list[Worker] = []
    yield made
    for w in made:
        w.stop.set()
    _notify(postgres_schema_url)  # wake a leader blocked waiting for events
    for w in made:
        w.thread.join(timeout=10)
        assert not w.thread.is_alive(), f"{w.name} did not stop"
        assert not w.errors, w.errors


def _notify(url: str) -> None:
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as connection:
        connection.execute("NOTIFY cautions_events")


def _first(connection: psycopg.Connection[Any], sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _said(caplog: pytest.LogCaptureFixture, name: str, words: str) -> bool:
    return any(r.threadName == name and words in r.getMessage() for r in caplog.records)


def _issue(steps: ReadSteps) -> tuple[str, float]:
    steps.clock.now = datetime.now(UTC)
    body = caution_payload(occurred_at=steps.clock.now - timedelta(days=1))
    cid = ok(steps.client.post("/v1/cautions", json=body, headers=steps.police), 201)["id"]
    return cid, time.monotonic()


def _projected(steps: ReadSteps, cid: str, entries: int = 1) -> Callable[[], bool]:
    return lambda: len(queries.history_rows(steps.engine, cid)) >= entries


def test_one_worker_leads_and_a_notify_wakes_it(steps: ReadSteps, workers: list[Worker],
                                                postgres_schema_url: str, caplog: pytest.LogCaptureFixture) -> None:
    first, second = Worker("worker-1", postgres_schema_url), Worker("worker-2", postgres_schema_url)
    workers += [first, second]
    first.thread.start()
    _wait_for(lambda: _said(caplog, "worker-1", "leading"), 10, "worker-1 to lead")
    second.thread.start()
    _wait_for(lambda: _said(caplog, "worker-2", "another process leads"), 10, "worker-2 to stand by")
    time.sleep(0.5)  # let the leader finish its first pass and sleep on LISTEN

    cid, written = _issue(steps)
    _wait_for(_projected(steps, cid), 5, "the leader to project the new caution")
    assert time.monotonic() - written < POLL_SECONDS / 4  # woken by NOTIFY, not by the poll
    assert not _said(caplog, "worker-2", "leading")


@pytest.mark.alone
def test_the_standby_takes_over_when_the_leader_stops(steps: ReadSteps, workers: list[Worker],
                                                      postgres_schema_url: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    first, second = Worker("worker-1", postgres_schema_url), Worker("worker-2", postgres_schema_url)
    workers += [first, second]
    first.thread.start()
    _wait_for(lambda: _said(caplog, "worker-1", "leading"), 10, "worker-1 to lead")
    second.thread.start()
    _wait_for(lambda: _said(caplog, "worker-2", "another process leads"), 10, "worker-2 to stand by")

    first.stop.set()
    _notify(postgres_schema_url)
    first.thread.join(timeout=10)
    assert not first.thread.is_alive()
    stopped = time.monotonic()
    cid, _ = _issue(steps)  # written while nobody leads: the new leader catches up from the stored position

    _wait_for(lambda: _said(caplog, "worker-2", "leading"), 10, "worker-2 to take over")
    assert time.monotonic() - stopped < 6  # the standby retries the lock every 2 s
    _wait_for(_projected(steps, cid), 5, "the new leader to catch up")
    time.sleep(0.5)  # let it go back to sleeping on LISTEN

    steps.clock.now = datetime.now(UTC)
    scheduled = steps.schedule_body(0)
    scheduled["occurred_at"] = (steps.clock.now - timedelta(hours=1)).isoformat()
    scheduled["session_at"] = (steps.clock.now + timedelta(days=3)).isoformat()
    written = time.monotonic()
    ok(steps.post(cid, "workshops/A/schedule", scheduled, steps.provider))
    _wait_for(_projected(steps, cid, 2), 5, "the new leader to be woken by NOTIFY")
    assert time.monotonic() - written < POLL_SECONDS / 4


def test_the_lock_is_really_held_by_one_session(steps: ReadSteps, workers: list[Worker],
                                               postgres_schema_url: str, caplog: pytest.LogCaptureFixture) -> None:
    first = Worker("worker-1", postgres_schema_url)
    workers.append(first)
    first.thread.start()
    _wait_for(lambda: _said(caplog, "worker-1", "leading"), 10, "worker-1 to lead")
    with psycopg.connect(psycopg_conninfo(postgres_schema_url), autocommit=True) as connection:
        assert _first(connection, worker.LEADER_LOCK_SQL) is False


def test_the_lock_is_per_schema_so_two_deployments_in_one_database_each_lead(
    steps: ReadSteps, workers: list[Worker], postgres_schema_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = Worker("worker-1", postgres_schema_url)
    workers.append(first)
    first.thread.start()
    _wait_for(lambda: _said(caplog, "worker-1", "leading"), 10, "worker-1 to lead")
    other_schema = postgres_schema_url.replace("search_path%3D", "search_path%3Dother_")
    with psycopg.connect(psycopg_conninfo(other_schema), autocommit=True) as connection:
        name = _first(connection, "SELECT current_setting('search_path')")
        connection.execute(f"CREATE SCHEMA {name}")
        try:
            assert _first(connection, worker.LEADER_LOCK_SQL) is True
        finally:
            connection.execute(f"DROP SCHEMA {name}")


def _beats_again(path: Path, within: float) -> None:
    """The file is touched again within `within` seconds of now (the loop, or the standby, goes round)."""
    _wait_for(lambda: path.exists(), 10, f"a first beat at {path}")
    before = path.stat().st_mtime_ns
    _wait_for(lambda: path.stat().st_mtime_ns > before, within, f"another beat at {path}")
    since = age(path)
    assert since is not None and since < within


def test_the_leader_and_the_standby_both_beat_for_the_liveness_probe(
    workers: list[Worker], postgres_schema_url: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    leader = Worker("worker-1", postgres_schema_url, tmp_path / "leader.alive", poll_seconds=0.5)
    standby = Worker("worker-2", postgres_schema_url, tmp_path / "standby.alive", poll_seconds=0.5)
    workers += [leader, standby]
    leader.thread.start()
    _wait_for(lambda: _said(caplog, "worker-1", "leading"), 10, "worker-1 to lead")
    standby.thread.start()
    _wait_for(lambda: _said(caplog, "worker-2", "another process leads"), 10, "worker-2 to stand by")
    assert leader.heartbeat is not None and standby.heartbeat is not None
    _beats_again(leader.heartbeat, within=3)  # idle: each wait for events is at most poll_seconds
    _beats_again(standby.heartbeat, within=5)  # each try for the lock, every 2 s
