"""The caution service as a real process, its SQLite files on a small tmpfs: a full disk and a read-only file
system answer 503 with Retry-After (never 500) on commands and on history reads, /readyz says not ready, and once
the disk is usable again the service recovers by itself, with every acknowledged command stored exactly once.

Before issue 15 item 3, commands and history reads answered 500 on the full disk (the consultation-log insert and
the writer's errors were not mapped) and /readyz answered 200 (it only ran SELECT 1).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.small_disk import SmallDisk
from tests.service_processes import CautionProcess, wait_until
from tests.support import auth, caution_payload

WRITERS = 4
MIN_FREE = 1024 * 1024  # what the test's service wants free beside its database before it says it is ready


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    small = SmallDisk(tmp_path / "disk", size="64m").mount()
    yield small
    small.unmount()


@pytest.fixture
def service(disk: SmallDisk, tmp_path: Path) -> Iterator[CautionProcess]:
    process = CautionProcess.on_sqlite(disk.path / "cautions.sqlite3", tmp_path / "service.log",
                                       CARA_READY_MIN_FREE_BYTES=str(MIN_FREE))
    yield process
    process.stop()


def _payload() -> dict[str, Any]:
    return caution_payload(occurred_at=(datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0))


class Writers:
    """Keyed issue commands from several threads, each key sent until it is acknowledged (or the test ends)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int] = []
        self.acknowledged: dict[str, str] = {}  # key -> caution id
        self.unavailable: list[httpx.Response] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(WRITERS)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(30)

    def _run(self) -> None:
        police = auth("police")
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stopping.is_set():
                key = uuid.uuid4().hex
                while True:  # a key is resent until answered, like a client that follows Retry-After
                    answer = http.post("/v1/cautions", json=_payload(), headers={**police, "Idempotency-Key": key})
                    self.statuses.append(answer.status_code)
                    if answer.status_code == 201:
                        self.acknowledged[key] = answer.json()["id"]
                        break
                    if answer.status_code == 503:
                        self.unavailable.append(answer)
                    if self.stopping.is_set():
                        break
                    time.sleep(0.05)

    def answered_since(self, count: int, status: int) -> bool:
        return status in self.statuses[count:]


def _assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0


def _history(url: str, caution_id: str) -> httpx.Response:
    return httpx.get(f"{url}/v1/cautions/{caution_id}/compliance-history", headers=auth("police"), timeout=30)


def _stored_issues(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT originator_id FROM cautions_events WHERE originator_version = 1").fetchall()
    return [uuid.UUID(bytes=row[0]).hex if isinstance(row[0], bytes) else str(row[0]) for row in rows]


def _assert_each_acknowledged_once(writers: Writers, database: Path, before: list[str]) -> None:
    stored = _stored_issues(database)
    assert len(stored) == len(set(stored))
    acknowledged = {uuid.UUID(cid).hex for cid in writers.acknowledged.values()}
    assert len(acknowledged) == len(writers.acknowledged)  # no key answered with two cautions
    assert acknowledged <= {uuid.UUID(s).hex for s in stored}
    # Keys the test gave up on when it stopped may or may not have been stored; nothing else was.
    assert len(stored) - len(before) - len(acknowledged) <= WRITERS


def test_a_full_disk_answers_503_and_the_service_recovers_once_space_is_freed(
    disk: SmallDisk, service: CautionProcess,
) -> None:
    service.start()
    police = auth("police")
    first = httpx.post(f"{service.url}/v1/cautions", json=_payload(), headers=police, timeout=30)
    assert first.status_code == 201, first.text
    cid = first.json()["id"]
    before = _stored_issues(service.database)
    assert httpx.get(f"{service.url}/readyz").status_code == 200

    with Writers(service.url) as writers:
        wait_until(lambda: len(writers.acknowledged) >= 20, what="commands before the disk fills")
        assert disk.free_bytes() > MIN_FREE * 4, "the commands alone filled the disk: make it larger"
        disk.fill()
        mark = len(writers.statuses)
        wait_until(lambda: writers.answered_since(mark, 503), timeout=60, what="a command refused with 503")
        ready = httpx.get(f"{service.url}/readyz", timeout=30)
        _assert_unavailable(ready)
        # A history read logs the consultation first (a write): it fails with the disk, as a 503.
        history = wait_until(lambda: (a := _history(service.url, cid)).status_code != 200 and a, timeout=60,
                             what="a history read refused")
        _assert_unavailable(history)
        _assert_unavailable(writers.unavailable[-1])

        disk.free()
        mark = len(writers.statuses)
        wait_until(lambda: writers.answered_since(mark, 201), timeout=60, what="commands recorded again")
        wait_until(lambda: httpx.get(f"{service.url}/readyz", timeout=30).status_code == 200, timeout=30,
                   what="ready again")
        assert _history(service.url, cid).status_code == 200
        time.sleep(0.5)

    assert 500 not in writers.statuses, service.log()[-3000:]
    assert set(writers.statuses) <= {201, 503}
    service.stop()
    _assert_each_acknowledged_once(writers, service.database, before)


def test_a_service_started_on_a_read_only_file_system_says_so_and_works_once_it_is_writable(
    disk: SmallDisk, service: CautionProcess,
) -> None:
    service.start()
    issued = httpx.post(f"{service.url}/v1/cautions", json=_payload(), headers=auth("police"), timeout=30)
    assert issued.status_code == 201, issued.text
    service.stop()  # the kernel refuses to make a file system read-only while a file on it is open for writing
    disk.read_only()

    with pytest.raises(AssertionError) as refused:
        service.start()
    assert "read-only" in str(refused.value) or "cannot be written" in str(refused.value), str(refused.value)[-2000:]

    disk.writable()
    service.start()  # what its supervisor does after it exits
    assert httpx.get(f"{service.url}/readyz", timeout=30).status_code == 200
    assert _history(service.url, issued.json()["id"]).status_code == 200
