"""Force "*" is no scope in the notification service (issue 16 item 3): an admin token for every force cannot create
a subscription that would receive every force's notifications, and no route admits a "*" token, whatever its role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.caution_service.config import Settings as CautionSettings
from services.notification_service.config import Settings
from services.notification_service.main import create_app, feed_token
from services.notification_service.tables import subscriptions
from shared.auth import NATIONAL
from tests.support import FakeClock, app_state, auth

ALL_ROLES = ("police", "provider", "victim_contact", "court", "subscriber", "admin", "sar")
SUBSCRIPTION = {"url": "https://receiver.example/hook", "secret": "a-webhook-secret-0123456789"}


@pytest.fixture
def notify(tmp_path: Any, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False)
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_an_admin_token_for_every_force_cannot_subscribe_to_every_forces_notifications(notify: TestClient) -> None:
    for subject in (None, "notification-service"):
        refused = notify.post("/v1/subscriptions", json=SUBSCRIPTION, headers=auth("admin", NATIONAL, subject))
        assert _problem(refused)["type"] == "/problems/national-scope"
    with app_state(notify).store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(subscriptions)).scalar() == 0
    _problem(notify.get("/v1/subscriptions", headers=auth("admin", NATIONAL)))


def test_no_route_admits_a_token_for_every_force(notify: TestClient) -> None:
    paths = notify.get("/openapi.json").json()["paths"]
    routes = [(method.upper(), path.replace("{notification_id}", str(uuid.uuid4()))
               .replace("{subscription_id}", str(uuid.uuid4())))
              for path, item in paths.items() if path.startswith("/v1/") for method in item]
    assert len(routes) >= 6
    for method, path in routes:
        for role in ALL_ROLES:
            for subject in (None, "notification-service"):
                response = notify.request(method, path, json=SUBSCRIPTION, headers=auth(role, NATIONAL, subject))
                _problem(response)


def test_the_development_feed_token_is_granted_national_scope_by_a_caution_service_left_at_its_defaults() -> None:
    """`make run`: the notification service reads the whole feed with the token it mints itself."""
    principal = CautionSettings().verifier().verify(feed_token(Settings())())
    assert principal.force == NATIONAL and principal.national
