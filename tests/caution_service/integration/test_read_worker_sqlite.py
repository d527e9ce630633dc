"""The production-shape worker on SQLite, which has no NOTIFY: it notices other processes' commits
(PRAGMA data_version) within a fraction of a second instead of waiting out its poll interval."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.caution_service import worker
from tests.caution_service.integration.test_read_support import ReadSteps
from tests.caution_service.integration.test_read_worker import (
    POLL_SECONDS,
    Worker,
    _issue,
    _projected,
    _wait_for,
    steps_on_the_real_clock,
)


@pytest.fixture
def steps(sqlite_url: str) -> Iterator[ReadSteps]:
    with steps_on_the_real_clock(sqlite_url) as steps:
        yield steps


@pytest.fixture
def running_worker(sqlite_url: str, steps: ReadSteps) -> Iterator[Worker]:
    w = Worker("sqlite-worker", sqlite_url)
    w.thread.start()
    yield w
    w.stop.set()
    w.thread.join(timeout=10)
    assert not w.thread.is_alive(), "the worker did not stop"
    assert not w.errors, w.errors


def test_a_commit_by_another_process_is_projected_long_before_the_poll_interval(
    steps: ReadSteps, running_worker: Worker
) -> None:
    time.sleep(0.5)  # past the worker's first pass: it is waiting now
    cid, written = _issue(steps)
    _wait_for(_projected(steps, cid), 5, "the worker to project the new caution")
    assert time.monotonic() - written < POLL_SECONDS / 4


def test_commits_are_seen_once_and_only_by_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "watched.sqlite3"
    writer = sqlite3.connect(path)
    writer.execute("CREATE TABLE t (n INTEGER)")
    writer.commit()
    commits = worker.SqliteCommits(f"sqlite:///{path}")
    try:
        assert not commits.changed()
        writer.execute("INSERT INTO t VALUES (1)")
        assert not commits.changed()  # not committed yet
        writer.commit()
        assert commits.changed()
        assert not commits.changed()  # the same commit is news only once
    finally:
        commits.close()
        writer.close()


def test_a_stop_request_ends_the_wait_promptly(tmp_path: Path) -> None:
    commits = worker.SqliteCommits(f"sqlite:///{tmp_path / 'idle.sqlite3'}")
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    try:
        assert worker.wait_for_new_events(None, stop, 30.0, commits) is False
    finally:
        commits.close()
    assert time.monotonic() - started < 2
