"""Helpers for the HTTP-level tests: issue a caution and drive it through its steps over TestClient."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.main import build_application, create_app
from tests.support import FakeClock, app_state, at, auth, caution_payload, iso

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with the given status (never a stack trace)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert body["status"] == status
    assert "Traceback" not in response.text
    assert response.headers.get("x-request-id")
    return body


class Steps:
    """One force's police and provider callers, and the commands of a caution's lifecycle."""

    def __init__(self, client: TestClient, clock: FakeClock, force: str = "CAMBS") -> None:
        self.client, self.clock, self.force = client, clock, force
        self.police = auth("police", force, subject=f"officer-{uuid.uuid4().hex[:6]}")
        self.provider = auth("provider", force, subject=f"provider-{uuid.uuid4().hex[:6]}")
        # Reads of the victim's details need a reason (X-Purpose); the victim contact service always gives one.
        self.victim_contact = {**auth("victim_contact", force, subject=f"vc-{uuid.uuid4().hex[:6]}"),
                               "X-Purpose": "victim contact call"}
        self.court = auth("court", force, subject=f"court-{uuid.uuid4().hex[:6]}")

    def issue(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post("/v1/cautions", json=caution_payload(**overrides), headers=self.police)
        assert response.status_code == 201, response.text
        return response.json()

    def post(self, caution_id: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return self.client.post(f"/v1/cautions/{caution_id}/{path}", json=body, headers=headers)

    def tick(self, when: datetime) -> datetime:
        """Move the service's clock on to just after `when` (never back), so `when` is not in the future."""
        self.clock.now = max(self.clock.now, when + timedelta(minutes=30))
        return when

    def schedule_body(self, day: int, *, occurred: int = 1, reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"occurred_at": iso(self.tick(at(occurred))), "session_at": iso(at(day, 18)),
                                "venue": "Cambridge Hub"}
        if reason is not None:
            body["reason"] = reason
        return body

    def schedule(self, caution_id: str, workshop: str, day: int, *, occurred: int = 1, reason: str | None = None,
                 headers: dict[str, str] | None = None) -> Any:
        body = self.schedule_body(day, occurred=occurred, reason=reason)
        return self.post(caution_id, f"workshops/{workshop}/schedule", body, {**self.provider, **(headers or {})})

    def attend(self, caution_id: str, workshop: str, day: int, headers: dict[str, str] | None = None) -> Any:
        body = {"occurred_at": iso(self.tick(at(day, 20)))}
        return self.post(caution_id, f"workshops/{workshop}/attendance", body, {**self.provider, **(headers or {})})

    def contact_victim(self, caution_id: str, day: int, stage: str = "after_workshop_a", notes: str | None = None,
                       headers: dict[str, str] | None = None) -> Any:
        body: dict[str, Any] = {"occurred_at": iso(self.tick(at(day, 12))), "stage": stage, "outcome": "contacted"}
        if notes is not None:
            body["notes"] = notes
        return self.post(caution_id, "victim-contacts", body, {**self.victim_contact, **(headers or {})})

    def complete(self, caution_id: str, day: int, headers: dict[str, str] | None = None) -> Any:
        body = {"occurred_at": iso(self.tick(at(day, 22)))}
        return self.post(caution_id, "completion", body, {**self.police, **(headers or {})})

    def get(self, caution_id: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(f"/v1/cautions/{caution_id}", headers=headers or self.police)

    def completable(self) -> dict[str, Any]:
        """Issued, A (day 10) and B (day 40) booked and attended, victim contacted after A: returns the caution."""
        caution = self.issue()
        cid = caution["id"]
        for response in (self.schedule(cid, "A", 10), self.schedule(cid, "B", 40), self.attend(cid, "A", 10),
                         self.contact_victim(cid, 12), self.attend(cid, "B", 40)):
            assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def steps(client: TestClient, clock: FakeClock) -> Steps:
    return Steps(client, clock)


def recorded_events(client: TestClient, caution_id: str | None = None) -> list[Any]:
    """The stored events (all, or one caution's), read straight from the app's event store."""
    recorder = app_state(client).cautions.recorder
    notifications = recorder.select_notifications(start=1, limit=100_000)
    if caution_id is not None:
        notifications = [n for n in notifications if str(n.originator_id) == caution_id]
    return notifications


def event_names(client: TestClient, caution_id: str) -> list[str]:
    return [n.topic.rsplit(".", 1)[-1] for n in recorded_events(client, caution_id)]


@pytest.fixture(scope="module")
def module_steps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steps]:
    """One app and database for a whole module, for tests that each work on their own caution (faster)."""
    clock = FakeClock()
    url = f"sqlite:///{tmp_path_factory.mktemp('shared-db')}/cautions.sqlite3"
    # Rate limits off: a module's tests together send more writes and refused tokens than one caller may.
    unlimited: dict[str, Any] = {"rate_limit_writes": "off", "rate_limit_writes_per_address": "off",
                                 "rate_limit_failed_auth": "off"}
    with TestClient(create_app(Settings(environment="test", database_url=url, **unlimited), clock),
                    raise_server_exceptions=False) as client:
        yield Steps(client, clock)


# ----- the application alone, one per database (the URL the only difference) ---------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_schema_url")


@pytest.fixture
def client_on_database(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """The service over HTTP on the test's database (SQLite, and PostgreSQL in CI): a module whose tests should run
    on both overrides `client` with it, and the `steps` fixture follows."""
    with TestClient(create_app(Settings(environment="test", database_url=database_url), clock),
                    raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def open_app(database_url: str, clock: FakeClock) -> Iterator[Callable[[], CautionApplication]]:
    """Opens applications on the test's database (a second one acts as another process or replica)."""
    opened: list[CautionApplication] = []

    def open_() -> CautionApplication:
        app = build_application(Settings(environment="test", database_url=database_url), clock)
        opened.append(app)
        return app

    yield open_
    for app in opened:
        app.close()


@pytest.fixture
def app(open_app: Callable[[], CautionApplication]) -> CautionApplication:
    return open_app()
