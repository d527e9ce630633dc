"""Read-your-writes with the real projector thread: pass the `position` a write returned as
`min_position` and the read model answers only once it includes that write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.caution_service.api import records
from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, ok
from tests.support import FakeClock, app_state


@pytest.fixture(params=BACKENDS)
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    """The app as deployed by default: projector and deadline threads running (slow poll, so waking matters)."""
    settings = Settings(environment="test", database_url=backend_url(request), projection_poll_seconds=30.0)
    assert settings.run_projections is True
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield ReadSteps(client, clock)


def test_each_write_is_visible_in_the_history_at_its_position(steps: ReadSteps) -> None:
    issued = steps.issue()
    cid = issued["id"]
    body = ok(steps.history(cid, min_position=issued["position"]))
    assert [e["position"] for e in body["entries"]] == [issued["position"]]

    for write in (lambda: steps.schedule(cid, "A", 10), lambda: steps.schedule(cid, "B", 40),
                  lambda: steps.attend(cid, "A", 10), lambda: steps.contact_victim(cid, 12),
                  lambda: steps.attend(cid, "B", 40), lambda: steps.complete(cid, 41)):
        written = ok(write())
        entries = ok(steps.history(cid, min_position=written["position"]))["entries"]
        assert len(entries) == written["version"]
        assert entries[-1]["position"] == written["position"]
    assert ok(steps.history(cid))["verdict"]["outcome"] == "complied"


def test_a_new_caution_is_in_the_list_at_its_position(steps: ReadSteps) -> None:
    for _ in range(3):
        issued = steps.issue()
        items = ok(steps.listing(min_position=issued["position"]))["items"]
        assert issued["id"] in {i["id"] for i in items}
    withdrawn = ok(steps.withdraw(issued["id"], 2, "Issued in error."))
    listed = ok(steps.listing(status="withdrawn", min_position=withdrawn["position"]))["items"]
    assert [(i["id"], i["version"], i["position"]) for i in listed] == [
        (issued["id"], 2, withdrawn["position"])]


def test_a_read_model_that_stays_behind_is_a_503_with_retry_after(
    steps: ReadSteps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "WAIT_SECONDS", 0.3)
    projector = app_state(steps.client).projector
    monkeypatch.setattr(projector, "run_once", lambda: 0)  # the projector has stalled
    issued = steps.issue()
    response = steps.history(issued["id"], min_position=issued["position"])
    body = assert_problem(response, 503)
    assert body["type"].endswith("read-model-behind")
    assert response.headers["retry-after"] == "1"
    assert_problem(steps.listing(min_position=issued["position"]), 503)


def test_a_position_no_write_has_returned_is_refused_at_once(steps: ReadSteps) -> None:
    issued = steps.issue()
    body = assert_problem(steps.history(issued["id"], min_position=issued["position"] + 1000), 422)
    assert body["type"].endswith("unknown-position")
    assert_problem(steps.listing(min_position=issued["position"] + 1000), 422)
    assert_problem(steps.listing(min_position=-1), 422)


def test_without_min_position_the_history_still_waits_for_the_cautions_own_latest_entries(
    steps: ReadSteps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A court clerk given a caution id just after a write must not see a history that stops short of it."""
    import threading
    import time

    issued = steps.issue()
    cid = issued["id"]
    ok(steps.history(cid, min_position=issued["position"]))
    projector = app_state(steps.client).projector
    released, real_run_once = threading.Event(), projector.run_once

    def held_run_once() -> int:
        released.wait(5)  # the projector stalls until the timer below lets it go
        return real_run_once()

    monkeypatch.setattr(projector, "run_once", held_run_once)
    written = ok(steps.schedule(cid, "A", 10))
    threading.Timer(0.3, released.set).start()
    started = time.monotonic()
    body = ok(steps.history(cid))
    assert time.monotonic() - started >= 0.25  # it did wait for the projector
    assert [e["entry"] for e in body["entries"]] == [1, 2]
    assert body["entries"][-1]["position"] == written["position"]
