"""Force "*" is a grant, not a string (issue 16 item 3): only a subscriber the configuration lists reads every force's
events with it; admin does not read the feed at all; every other route refuses a "*" token, so nothing is issued,
read or changed under "*"."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, FORCE_CLAIM, NATIONAL, ROLE_CLAIM
from tests.caution_fixtures import Steps, assert_problem, recorded_events
from tests.support import FakeClock, auth, caution_payload, national_auth

ALL_ROLES = ("police", "provider", "victim_contact", "court", "subscriber", "admin", "sar")
FEED = ("/v1/events", "/v1/events/stream")


def _issue_in_two_forces(client: TestClient, clock: FakeClock) -> None:
    for force in ("CAMBS", "NORFOLK"):
        Steps(client, clock, force).issue()


def test_an_admin_token_for_every_force_does_not_read_the_feed(client: TestClient, clock: FakeClock) -> None:
    _issue_in_two_forces(client, clock)
    for path in FEED:
        for headers in (auth("admin", NATIONAL), auth("admin", NATIONAL, subject="notification-service"),
                        auth("admin")):
            response = client.get(path, headers=headers)
            assert_problem(response, 403)
            assert "CAMBS" not in response.text and "NORFOLK" not in response.text


def test_a_police_token_for_every_force_cannot_issue(client: TestClient) -> None:
    before = len(recorded_events(client))
    response = client.post("/v1/cautions", json=caution_payload(), headers=auth("police", NATIONAL))
    assert assert_problem(response, 403)["type"] == "/problems/national-scope"
    assert len(recorded_events(client)) == before


def test_a_subscriber_for_every_force_that_is_not_listed_is_refused(client: TestClient, clock: FakeClock) -> None:
    _issue_in_two_forces(client, clock)
    for path in FEED:
        response = client.get(path, headers=auth("subscriber", NATIONAL, subject="some-other-client"))
        problem = assert_problem(response, 403)
        assert problem["type"] == "/problems/national-scope" and "listed" in problem["detail"]


def test_a_listed_subscriber_reads_every_forces_events(client: TestClient, clock: FakeClock) -> None:
    _issue_in_two_forces(client, clock)
    response = client.get("/v1/events", headers=national_auth())  # the notification service's development subject
    assert response.status_code == 200, response.text
    assert {event["force"] for event in response.json()["items"]} == {"CAMBS", "NORFOLK"}


def _token(**claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({ROLE_CLAIM: "subscriber", FORCE_CLAIM: NATIONAL, "iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE,
                       "iat": now, "exp": now + 600, **claims}, DEV_JWT_SECRET, algorithm="HS256")


@pytest.fixture
def listing_feed_reader(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3",
                        national_subscribers=["feed-reader-7"])
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as running:
        yield running


@pytest.mark.parametrize("claim", ["sub", "client_id", "azp"])
def test_the_list_names_a_subject_or_an_oauth_client(listing_feed_reader: TestClient, claim: str) -> None:
    token = _token(**{"sub": "service-account-3f9c", claim: "feed-reader-7"})
    response = listing_feed_reader.get("/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


def test_a_configured_list_replaces_the_development_default(listing_feed_reader: TestClient) -> None:
    assert_problem(listing_feed_reader.get("/v1/events", headers=national_auth()), 403)
    listed_but_police = _token(sub="feed-reader-7", **{ROLE_CLAIM: "police"})
    assert_problem(listing_feed_reader.get("/v1/events", headers={"Authorization": f"Bearer {listed_but_police}"}),
                   403)


def _concrete(path: str) -> str:
    return (path.replace("{workshop}", "A").replace("{person}", "offender").replace("{entry}", "2")
            .replace("{caution_id}", str(uuid.uuid4())))


def business_routes(client: TestClient) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() if path.startswith("/v1/")
                  for method in item if method in ("get", "post", "put", "patch", "delete"))


@pytest.fixture
def unlimited(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """Every route, as every role, twice: more writes from one address than its rate limit lets through a minute
    (a 429 before the 403 this is about), and more with each new route."""
    unlimited = settings.model_copy(update={"rate_limit_writes": "off", "rate_limit_writes_per_address": "off"})
    with TestClient(create_app(unlimited, clock), raise_server_exceptions=False) as c:
        yield c


def test_every_other_route_refuses_a_token_for_every_force_whatever_its_role(
    unlimited: TestClient, clock: FakeClock
) -> None:
    client = unlimited
    caution_id = Steps(client, clock).issue()["id"]  # a real one too, so routes that find it still refuse
    before = len(recorded_events(client))
    routes = business_routes(client)
    assert len(routes) > 20 and ("POST", "/v1/cautions") in routes
    for method, path in routes:
        for role in ALL_ROLES:
            if path in FEED and role == "subscriber":
                continue  # the one place it is admitted, when listed (above)
            for concrete in {_concrete(path), _concrete(path.replace("{caution_id}", caution_id))}:
                for subject in (None, "notification-service"):  # a listed subject is no grant for anything else
                    response = client.request(method, concrete, json={}, headers={
                        **auth(role, NATIONAL, subject=subject), "X-Purpose": "a check", "Idempotency-Key": "k"})
                    assert response.status_code == 403, (method, concrete, role, response.text)
    assert len(recorded_events(client)) == before


def test_production_must_say_who_reads_every_forces_events(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from shared.keyring import MasterKeys

    given: dict[str, Any] = {
        "environment": "production", "database_url": f"sqlite:///{tmp_path}/c.sqlite3",
        "jwt_public_key": "-----BEGIN PUBLIC KEY-----", "jwt_algorithms": ["RS256"],
        "vault_key": Fernet.generate_key().decode(), "master_keys": MasterKeys.generate("2026-12"),
        "national_commissioners": []}
    with pytest.raises(ValidationError, match="CARA_NATIONAL_SUBSCRIBERS"):
        Settings(**given)
    assert Settings(**given, national_subscribers=[]).national_grants() == frozenset()
    assert Settings(**given, national_subscribers=["nfs"]).national_grants() == {"nfs"}
    assert Settings().national_grants() == {"notification-service"}  # development: `make run` reads the feed
    with pytest.raises(ValidationError, match="not blank"):
        Settings(national_subscribers=[" "])


def test_production_must_say_who_reads_every_forces_outcomes_report(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from shared.keyring import MasterKeys

    given: dict[str, Any] = {
        "environment": "production", "database_url": f"sqlite:///{tmp_path}/c.sqlite3",
        "jwt_public_key": "-----BEGIN PUBLIC KEY-----", "jwt_algorithms": ["RS256"], "national_subscribers": [],
        "vault_key": Fernet.generate_key().decode(), "master_keys": MasterKeys.generate("2026-12")}
    with pytest.raises(ValidationError, match="CARA_NATIONAL_COMMISSIONERS"):
        Settings(**given)
    assert Settings(**given, national_commissioners=[]).commissioner_grants() == frozenset()
    assert Settings(**given, national_commissioners=["apcc"]).commissioner_grants() == {"apcc"}
    assert Settings().commissioner_grants() == {"dev-commissioner"}  # development: `make token ROLE=commissioner`
    with pytest.raises(ValidationError, match="not blank"):
        Settings(national_commissioners=[" "])


def test_a_subscriber_grant_is_not_a_commissioner_grant(client: TestClient, clock: FakeClock) -> None:
    _issue_in_two_forces(client, clock)
    # The notification service's subject, listed as a national subscriber, is no commissioner: and the reverse.
    as_commissioner = auth("commissioner", NATIONAL, subject="notification-service")
    assert_problem(client.get("/v1/reports/outcomes", headers=as_commissioner), 403)
    assert_problem(client.get("/v1/events", headers=auth("subscriber", NATIONAL, subject="dev-commissioner")), 403)
    national = client.get("/v1/reports/outcomes", headers=auth("commissioner", NATIONAL, subject="dev-commissioner"))
    assert national.status_code == 200 and national.json()["scope"] == "national"
    assert_problem(client.get("/v1/events", headers=auth("commissioner", NATIONAL, subject="dev-commissioner")), 403)
