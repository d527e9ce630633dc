"""The caution service as a real process, its SQLite files on a small tmpfs: a full disk and a read-only file
system answer 503 with Retry-After (never 500) on commands and on history reads, /readyz says not ready, and once
the disk is usable again the service recovers by itself, with every acknowledged command stored exactly once, every
retried key answered as first recorded and the read models equal to the store.

A file system made read-only under a running service cannot be shown here: the kernel refuses to remount one
read-only while a file on it is open for writing. A service started on one stops at once and says why.

Before issue 15 item 3, commands and history reads answered 500 on the full disk (the consultation-log insert and
the writer's errors were not mapped) and /readyz answered 200 (it only ran SELECT 1).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from tests.faults.small_disk import SmallDisk
from tests.service_processes import CautionProcess, wait_until
from tests.support import auth, caution_payload

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


def _assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0


def _history(url: str, caution_id: str) -> httpx.Response:
    return httpx.get(f"{url}/v1/cautions/{caution_id}/compliance-history", headers=auth("police"), timeout=30)


def test_a_full_disk_answers_503_and_the_service_recovers_once_space_is_freed(
    disk: SmallDisk, service: CautionProcess,
) -> None:
    service.start()
    assert httpx.get(f"{service.url}/readyz").status_code == 200
    load = Load(lambda: service.url, clients=16).start()
    load.wait_for(100)
    assert disk.free_bytes() > MIN_FREE * 4, "the commands alone filled the disk: make it larger"
    caution_id = load.acknowledged[0].caution_id
    disk.fill()
    seconds_until(lambda: load.statuses[503] > 0, 60, "a command refused with 503")
    _assert_unavailable(httpx.get(f"{service.url}/readyz", timeout=30))
    # A history read logs the consultation first (a write): it fails with the disk, as a 503.
    history = wait_until(lambda: (a := _history(service.url, caution_id)).status_code != 200 and a, timeout=60,
                         what="a history read refused")
    _assert_unavailable(history)

    refused = load.statuses[503]
    disk.free()
    freed = time.monotonic()
    load.wait_for(100, timeout=60)
    recovered = time.monotonic() - freed
    wait_until(lambda: httpx.get(f"{service.url}/readyz", timeout=30).status_code == 200, timeout=30,
               what="ready again")
    assert _history(service.url, caution_id).status_code == 200
    load.stop()
    print(f"\nSQLite disk full: {load.summary()}; {refused} refused with 503 while full; 100 more commands "
          f"acknowledged {recovered:.1f}s after space was freed")
    load.assert_clean()
    assert load.replay_mismatches(service.url) == []
    with store_of(f"sqlite:///{service.database}") as app:
        head = assert_each_acknowledged_command_stored_once(app, load)
        seconds_until(lambda: projected_position(app) == head, 30, "the read models to reach the head")
        service.stop()
        assert_read_models_equal_the_store(app, head)


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
