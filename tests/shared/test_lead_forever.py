"""`lead_forever` against PostgreSQL: the lock is retaken after its session is terminated, a database that
cannot be reached is tried again rather than raised, and a frozen server is noticed within the check's
deadline."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from shared.backoff import Backoff
from shared.leadership import SessionCheck, lead_forever, psycopg_conninfo, still_leading
from tests.faults.own_postgres import OwnPostgres, own_postgres  # noqa: F401 (the fixture)
from tests.service_processes import free_port, wait_until

LOCK = "lead-forever-test"


def test_the_back_off_doubles_up_to_its_cap_and_starts_again_after_a_success() -> None:
    backoff = Backoff(first=0.5, cap=2.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 2.0, 2.0]
    backoff.reset()
    assert backoff.next() == 0.5


class Leader:
    """`lead_forever` in a thread; its work records each lead's backend pid and checks the session often."""

    def __init__(self, url: str) -> None:
        self.stop = threading.Event()
        self.backends: list[int] = []
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()

    def _run(self, url: str) -> None:
        try:
            lead_forever(url, LOCK, self.stop, self._work, retry_seconds=0.2, backoff_cap=0.5)
        except BaseException as e:  # surfaced by the test: lead_forever must not raise
            self.errors.append(e)

    def _work(self, connection: Any) -> None:
        self.backends.append(connection.info.backend_pid)
        session = SessionCheck(connection, every=0.1)
        while not self.stop.wait(0.05):
            session.when_due()

    def end(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive() and not self.errors, self.errors


@pytest.fixture
def leaders(postgres_schema_url: str) -> Iterator[list[Leader]]:
    made: list[Leader] = []
    yield made
    for leader in made:
        leader.end()


def _terminate(url: str, pid: int) -> None:
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as connection:
        connection.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.postgres
def test_the_lock_is_taken_again_after_its_session_is_terminated(
    postgres_schema_url: str, leaders: list[Leader], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cara.leadership")
    leader = Leader(postgres_schema_url)
    leaders.append(leader)
    wait_until(lambda: leader.backends, 10, what="the lock to be taken")
    _terminate(postgres_schema_url, leader.backends[0])
    wait_until(lambda: len(leader.backends) == 2, 10, what="the lock to be taken again")
    assert leader.backends[1] != leader.backends[0]
    assert any("could not take or keep the lock" in r.getMessage() for r in caplog.records)


@pytest.mark.postgres
def test_a_standby_leads_when_the_leaders_session_is_terminated_and_only_one_leads_at_a_time(
    postgres_schema_url: str, leaders: list[Leader]
) -> None:
    first = Leader(postgres_schema_url)
    leaders.append(first)
    wait_until(lambda: first.backends, 10, what="the first to lead")
    second = Leader(postgres_schema_url)
    leaders.append(second)
    time.sleep(0.5)
    assert second.backends == [], "the lock is held: the second must stand by"
    _terminate(postgres_schema_url, first.backends[0])
    wait_until(lambda: len(first.backends) + len(second.backends) == 2, 10, what="one of them to lead again")
    time.sleep(0.5)
    assert len(first.backends) + len(second.backends) == 2, "only one may hold the lock"


def test_a_database_that_cannot_be_reached_is_tried_again_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="cara.leadership")
    leader = Leader(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    wait_until(lambda: sum("could not take or keep" in r.getMessage() for r in caplog.records) >= 3, 10,
               what="three tries")
    assert leader.thread.is_alive()
    leader.end()


@pytest.mark.alone
@pytest.mark.slow
def test_a_frozen_server_fails_the_session_check_within_its_deadline(own_postgres: OwnPostgres) -> None:  # noqa: F811
    connection = psycopg.connect(psycopg_conninfo(own_postgres.url), autocommit=True)
    try:
        assert still_leading(connection, timeout=1.0)
        own_postgres.freeze()
        started = time.monotonic()
        assert not still_leading(connection, timeout=1.0)
        assert time.monotonic() - started < 2.0
    finally:
        connection.close()  # as leadership() does after a failed check: the query is still in flight
        own_postgres.thaw()
