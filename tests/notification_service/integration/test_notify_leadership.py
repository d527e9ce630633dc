"""One notification replica per schema runs the consumer, dispatcher and reminders; the others stand by."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from services.notification_service import workers
from services.notification_service.config import Settings
from services.notification_service.main import create_app
from shared.leadership import psycopg_conninfo
from tests.service_processes import free_port, wait_until
from tests.support import FakeClock, app_state


def _settings(url: str) -> Settings:
    # The feed is nowhere: these tests watch who works, not what the consumer reads.
    return Settings(environment="test", database_url=url, run_workers=True, leader_retry_seconds=0.1,
                    caution_feed_url=f"http://127.0.0.1:{free_port()}", feed_wait_seconds=0.2,
                    dispatch_poll_seconds=0.05)


@contextmanager
def _replica(url: str, check_seconds: float = 5.0) -> Iterator[TestClient]:
    app = create_app(_settings(url), FakeClock())
    app.state.workers.check_seconds = check_seconds
    with TestClient(app) as client:
        yield client


def _workers_of(client: TestClient) -> str:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    return answer.json()["workers"]


def _dispatchers() -> int:
    return sum(t.name == "cara-dispatcher" and t.is_alive() for t in threading.enumerate())


@pytest.mark.postgres
def test_one_replica_works_and_a_standby_takes_over_when_it_stops(postgres_schema_url: str) -> None:
    before = _dispatchers()
    with ExitStack() as running_first:
        first = running_first.enter_context(_replica(postgres_schema_url))
        wait_until(lambda: _workers_of(first) == "leading", 10, what="the first replica to lead")
        with _replica(postgres_schema_url) as second:
            wait_until(lambda: _workers_of(second) == "standby", 10, what="the second to stand by")
            assert not app_state(second).workers.leading.wait(1.0)
            assert _dispatchers() == before + 1  # one dispatcher for the two replicas
            running_first.close()  # the first replica shuts down (a rolling update, a crash)
            wait_until(lambda: _workers_of(second) == "leading", 10, what="the standby to take over")
            assert _dispatchers() == before + 1


def _kill_lock_session(url: str) -> int:
    """Ends the database session that holds the workers' lock in this schema, as a database restart would."""
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as connection:
        row = connection.execute(f"SELECT hashtext(current_schema() || ':{workers.LOCK}')").fetchone()
        assert row is not None
        key = row[0]
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = %s::bigint::oid",
            [key & 0xFFFFFFFF])]
        for pid in pids:
            connection.execute("SELECT pg_terminate_backend(%s)", [pid])
        return len(pids)


@pytest.mark.postgres
def test_workers_stop_when_the_lock_session_breaks_and_resume_once_the_lock_is_retaken(
    postgres_schema_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with _replica(postgres_schema_url, check_seconds=0.1) as replica:
        wait_until(lambda: _workers_of(replica) == "leading", 10, what="the replica to lead")
        assert _kill_lock_session(postgres_schema_url) == 1
        wait_until(lambda: any("lock session broke" in r.getMessage() for r in caplog.records), 10,
                   what="the replica to notice its lock is gone")
        wait_until(lambda: sum("leading cara-notification-workers" in r.getMessage() for r in caplog.records) == 2, 10,
                   what="the replica to take the lock again")
        wait_until(lambda: _workers_of(replica) == "leading", 10, what="the workers to run again")


def test_on_sqlite_the_only_replica_leads_at_once(tmp_path: Any) -> None:
    with _replica(f"sqlite:///{tmp_path}/n.sqlite3") as replica:
        wait_until(lambda: _workers_of(replica) == "leading", 10, what="the replica to lead")
    settings = _settings(f"sqlite:///{tmp_path}/n.sqlite3").model_copy(update={"run_workers": False})
    with TestClient(create_app(settings, FakeClock())) as quiet:
        assert _workers_of(quiet) == "off"
