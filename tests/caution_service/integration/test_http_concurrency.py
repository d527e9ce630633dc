"""Conflicting commands sent at once, over HTTP, on SQLite and PostgreSQL: right events, losers 409/412, no 500."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.caution_fixtures import Steps, assert_problem, event_names
from tests.support import FakeClock, app_state, at, auth, caution_payload, iso

THREADS = 20


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_client(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_schema_url")
    settings = Settings(environment="test", database_url=url)
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def steps(backend_client: TestClient, clock: FakeClock) -> Steps:
    return Steps(backend_client, clock)


def race(send: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Runs `send(i)` in n threads released together; returns the responses in thread order."""
    barrier = threading.Barrier(n)

    def one(i: int) -> Any:
        barrier.wait(timeout=30)
        return send(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _statuses(responses: list[Any]) -> Counter[int]:
    counts = Counter(r.status_code for r in responses)
    assert not any(status >= 500 for status in counts), [r.text for r in responses if r.status_code >= 500]
    return counts


def _booked(steps: Steps) -> str:
    cid = steps.issue()["id"]
    assert steps.schedule(cid, "A", 10).status_code == 200
    steps.tick(at(10, 21))
    return cid


def test_everyone_attends_workshop_a_at_once_one_wins(steps: Steps) -> None:
    cid = _booked(steps)
    body = {"occurred_at": iso(at(10, 20))}
    callers = [auth("provider", subject=f"facilitator-{i}") for i in range(THREADS)]

    responses = race(lambda i: steps.post(cid, "workshops/A/attendance", body, callers[i]))

    counts = _statuses(responses)
    assert counts[200] == 1, counts
    assert counts[409] == THREADS - 1, counts
    for loser in (r for r in responses if r.status_code == 409):
        assert_problem(loser, 409)
    assert event_names(steps.client, cid) == ["Issued", "WorkshopScheduled", "WorkshopAAttended"]
    assert steps.get(cid).json()["version"] == 3


def test_everyone_reschedules_from_the_same_version_one_wins(steps: Steps) -> None:
    cid = _booked(steps)
    bodies = [steps.schedule_body(11 + i % 5, occurred=2, reason=f"request {i}") for i in range(THREADS)]
    headers = {**steps.provider, "If-Match": '"2"'}

    responses = race(lambda i: steps.post(cid, "workshops/A/schedule", bodies[i], headers))

    counts = _statuses(responses)
    assert counts[200] == 1, counts
    assert counts[412] + counts[409] == THREADS - 1, counts
    assert counts[412] >= 1, counts
    for loser in (r for r in responses if r.status_code != 200):
        assert_problem(loser, loser.status_code)
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.headers["etag"] == '"3"'
    assert event_names(steps.client, cid) == ["Issued", "WorkshopScheduled", "WorkshopRescheduled"]
    state = steps.get(cid).json()
    assert state["version"] == 3 and state["workshops"]["A"] == winner.json()["workshops"]["A"]


def test_unconditional_reschedules_each_land_once_or_are_told_to_retry(steps: Steps) -> None:
    cid = _booked(steps)
    bodies = [steps.schedule_body(11 + i % 5, occurred=2, reason=f"request {i}") for i in range(THREADS)]

    responses = race(lambda i: steps.post(cid, "workshops/A/schedule", bodies[i], steps.provider))

    counts = _statuses(responses)
    assert counts[200] + counts[409] == THREADS, counts
    assert counts[200] >= 1
    won = [r.json()["version"] for r in responses if r.status_code == 200]
    assert sorted(won) == list(range(3, 3 + len(won)))  # no version was handed out twice
    names = event_names(steps.client, cid)
    assert names == ["Issued", "WorkshopScheduled"] + ["WorkshopRescheduled"] * len(won)


def test_the_same_idempotency_key_at_once_records_one_event(steps: Steps) -> None:
    cid = _booked(steps)
    body = {"occurred_at": iso(at(10, 20))}
    headers = {**steps.provider, "Idempotency-Key": "attend-a-once"}

    responses = race(lambda i: steps.post(cid, "workshops/A/attendance", body, headers))

    counts = _statuses(responses)
    assert counts[200] + counts[409] == THREADS, counts
    assert counts[200] >= 1
    originals = [r for r in responses if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    replays = [r for r in responses if r.status_code == 200 and r.headers.get("idempotent-replayed") == "true"]
    assert len(originals) == 1, counts
    assert all(r.json() == originals[0].json() for r in replays)
    for loser in (r for r in responses if r.status_code == 409):
        assert_problem(loser, 409)
    assert event_names(steps.client, cid) == ["Issued", "WorkshopScheduled", "WorkshopAAttended"]
    # after the race, a retry always gets the recorded answer
    retry = steps.post(cid, "workshops/A/attendance", body, headers)
    assert retry.status_code == 200 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == originals[0].json()


def test_the_same_idempotency_key_at_once_issues_one_caution(steps: Steps) -> None:
    payload = caution_payload()
    headers = {**steps.police, "Idempotency-Key": "issue-once"}

    responses = race(lambda i: steps.client.post("/v1/cautions", json=payload, headers=headers))

    counts = _statuses(responses)
    assert counts[201] + counts[409] == THREADS, counts
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    recorder = app_state(steps.client).cautions.recorder
    assert len(recorder.select_notifications(start=1, limit=1000)) == 1
