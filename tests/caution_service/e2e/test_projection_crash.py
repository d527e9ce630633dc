"""Crash safety of the projections: the caution service runs as a real process, is SIGKILLed in the
middle of a stream of commands, restarted, and its read models must then equal a fresh rebuild."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.caution_service.config import Settings
from services.caution_service.event_store import engine_of
from services.caution_service.main import build_application
from services.caution_service.projections import queries
from services.caution_service.projections.compliance import verify
from services.caution_service.projections.wiring import build_projector
from tests.caution_service.integration.test_read_support import read_model
from tests.service_processes import CautionProcess
from tests.support import auth, caution_payload

ROOT = Path(__file__).resolve().parents[3]
POLICE, PROVIDER, VICTIM_CONTACT = auth("police", subject="e2e-officer"), auth("provider"), auth("victim_contact")


def _lifecycle(issued_at: datetime, withdraw: bool) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """The commands after issue, as (path under the caution, body, caller); all in the past."""
    day = lambda n, hour=10: (issued_at + timedelta(days=n)).replace(hour=hour).isoformat()  # noqa: E731
    commands = [("workshops/A/schedule", {"occurred_at": day(1), "session_at": day(10, 18), "venue": "Hub"}, PROVIDER)]
    if withdraw:
        return commands + [("withdrawal", {"occurred_at": day(2), "reason": "Issued in error."}, POLICE)]
    return commands + [
        ("workshops/B/schedule", {"occurred_at": day(1), "session_at": day(40, 18), "venue": "Hub"}, PROVIDER),
        ("workshops/A/attendance", {"occurred_at": day(10, 20)}, PROVIDER),
        ("victim-contacts", {"occurred_at": day(12), "stage": "after_workshop_a", "outcome": "contacted",
                             "notes": "Never shown outside victim contact"}, VICTIM_CONTACT),
        ("workshops/B/attendance", {"occurred_at": day(40, 20)}, PROVIDER),
        ("completion", {"occurred_at": day(41, 9)}, POLICE),
    ]


class Driver(threading.Thread):
    """Issues cautions and drives them through their lives until the service stops answering."""

    def __init__(self, url: str, cautions: int) -> None:
        super().__init__(daemon=True)
        self.url, self.cautions = url, cautions
        self.acknowledged: list[int] = []  # positions of the writes the service confirmed
        self.failed: Exception | None = None

    def run(self) -> None:
        issued_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
        with httpx.Client(base_url=self.url, timeout=10) as client:
            try:
                for n in range(self.cautions):
                    self._write(lambda: client.post("/v1/cautions", json=caution_payload(issued_at), headers=POLICE))
                    cid = self.last_id
                    for path, body, who in _lifecycle(issued_at, withdraw=n % 4 == 3):
                        self._write(partial(client.post, f"/v1/cautions/{cid}/{path}", json=body, headers=who))
            except httpx.TransportError as e:
                self.failed = e

    def _write(self, send: Callable[[], httpx.Response]) -> None:
        response = send()
        assert response.status_code in (200, 201), response.text
        body = response.json()
        self.last_id = body["id"]
        self.acknowledged.append(body["position"])


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CautionProcess]:
    svc = CautionProcess.on_sqlite(tmp_path / "cautions.sqlite3", tmp_path / "service.log",
                                   CARA_PROJECTION_POLL_SECONDS="0.2")
    yield svc
    svc.stop()


def _projector_on(database: Path) -> Any:
    app = build_application(Settings(environment="test", database_url=f"sqlite:///{database}", run_projections=False))
    return build_projector(app)


def test_read_models_equal_a_fresh_rebuild_after_a_sigkill_mid_stream(service: CautionProcess) -> None:
    # 1. Three clients stream commands; the service is killed while they are writing.
    service.start()
    drivers = [Driver(service.url, cautions=20) for _ in range(3)]
    for driver in drivers:
        driver.start()
    _wait(lambda: sum(len(d.acknowledged) for d in drivers) >= 60, 60, "60 acknowledged writes")
    service.kill()
    for driver in drivers:
        driver.join(timeout=20)
        assert isinstance(driver.failed, httpx.TransportError), "the kill should interrupt every stream"
    acknowledged = [p for d in drivers for p in d.acknowledged]

    # 2. A rebuild is started (read models dropped) and the service is killed again while it replays.
    projector = _projector_on(service.database)
    head_at_first_kill = projector.app.recorder.max_notification_id()
    projector.reset()
    service.start()
    service.kill()
    replayed_before_second_kill = projector.position()
    assert replayed_before_second_kill in (0, head_at_first_kill)  # a batch is all or nothing

    # 3. Restarted, it catches up and takes new writes.
    service.start()
    after_restart = Driver(service.url, cautions=1)
    after_restart.run()
    assert after_restart.failed is None and len(after_restart.acknowledged) == 7
    acknowledged += after_restart.acknowledged
    head = projector.app.recorder.max_notification_id()
    _wait(lambda: projector.position() == head, 30, "the restarted service to catch up")
    caught_up = httpx.get(f"{service.url}/v1/cautions", params={"min_position": head, "limit": 200}, headers=POLICE)
    assert caught_up.status_code == 200
    service.stop()

    engine = engine_of(projector.app)
    live = read_model(engine)
    histories = live["compliance_history"]
    assert len(histories) == head  # every stored event projected once: none lost, none doubled
    assert {row["position"] for row in histories} == set(range(1, head + 1))
    assert set(acknowledged) <= {row["position"] for row in histories}
    assert len(live["caution_summaries"]) == len({row["caution_id"] for row in histories})
    assert {p["position"] for p in live["projection_positions"]} == {head}

    projector.reset()
    assert projector.run_until_caught_up() == head
    assert read_model(engine) == live

    for caution_id in {row["caution_id"] for row in histories}:
        report = verify(list(projector.app.events.get(uuid.UUID(caution_id))), queries.history_rows(engine, caution_id))
        assert report.intact, (caution_id, report)
    assert "Never shown outside victim contact" not in str(histories)
