"""POST, GET and PATCH /v1/venues: the provider keeps its force's venues; a retired venue takes no new sessions
(`venue_for`), and none is ever deleted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.caution_service.venues import venue_for
from tests.caution_fixtures import assert_problem
from tests.support import FakeClock, app_state, auth

PROVIDER, POLICE = auth("provider", "CAMBS", subject="provider-cambs"), auth("police", "CAMBS")


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database


def venue(**overrides: Any) -> dict[str, Any]:
    return {"name": "Cambridge Hub", "address": "1 Market Square\nCambridge", "postcode": "cb1 2ab",
            "accessible": True, **overrides}


def add(client: TestClient, headers: dict[str, str] = PROVIDER, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/venues", json=venue(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_provider_adds_venues_and_both_roles_list_them(client: TestClient, clock: FakeClock) -> None:
    hub = add(client)
    annex = add(client, name="Annexe", accessible=False, notes="Lift out of order on Fridays")
    assert hub["force"] == "CAMBS" and hub["postcode"] == "CB1 2AB" and hub["active"] is True
    assert hub["created_by"] == hub["updated_by"] == "provider-cambs"
    assert hub["created_at"] == clock.now.isoformat()
    for headers in (PROVIDER, POLICE):
        listed = client.get("/v1/venues", headers=headers)
        assert listed.status_code == 200
        assert [v["id"] for v in listed.json()["items"]] == [annex["id"], hub["id"]]  # by name
    assert client.get(f"/v1/venues/{hub['id']}", headers=POLICE).json() == hub
    assert venue_for(app_state(client).cautions.engine, "CAMBS", hub["id"]) == (hub["id"], "Cambridge Hub")


def test_a_venue_is_renamed_retired_and_brought_back_never_deleted(client: TestClient, clock: FakeClock) -> None:
    hub = add(client)
    engine = app_state(client).cautions.engine
    clock.advance(hours=1)
    renamed = client.patch(f"/v1/venues/{hub['id']}", json={"name": "Cambridge Hub (Room 2)"}, headers=PROVIDER)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Cambridge Hub (Room 2)" and renamed.json()["address"] == hub["address"]
    assert renamed.json()["updated_at"] == clock.now.isoformat() and renamed.json()["created_at"] == hub["created_at"]

    retired = client.patch(f"/v1/venues/{hub['id']}", json={"active": False}, headers=PROVIDER)
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert venue_for(engine, "CAMBS", hub["id"]) is None  # no new sessions there
    assert client.get("/v1/venues", headers=PROVIDER).json()["items"] == []
    assert [v["id"] for v in client.get("/v1/venues", params={"include_retired": "true"},
                                        headers=PROVIDER).json()["items"]] == [hub["id"]]
    assert client.get(f"/v1/venues/{hub['id']}", headers=PROVIDER).status_code == 200  # still there: sessions name it

    back = client.patch(f"/v1/venues/{hub['id']}", json={"active": True}, headers=PROVIDER)
    assert back.status_code == 200 and venue_for(engine, "CAMBS", hub["id"]) == (hub["id"], "Cambridge Hub (Room 2)")
    assert client.delete(f"/v1/venues/{hub['id']}", headers=PROVIDER).status_code == 405


def test_two_active_venues_may_not_share_a_name(client: TestClient) -> None:
    hub = add(client)
    assert_problem(client.post("/v1/venues", json=venue(), headers=PROVIDER), 409)["type"].endswith(
        "/venue-name-taken")
    annex = add(client, name="Annexe")
    assert_problem(client.patch(f"/v1/venues/{annex['id']}", json={"name": "Cambridge Hub"}, headers=PROVIDER), 409)
    client.patch(f"/v1/venues/{hub['id']}", json={"active": False}, headers=PROVIDER)
    second = add(client)  # the name is free while the first is retired, which then cannot come back under it
    assert second["id"] != hub["id"]
    assert_problem(client.patch(f"/v1/venues/{hub['id']}", json={"active": True}, headers=PROVIDER), 409)
    assert add(client, headers=auth("provider", "ESSEX"))["force"] == "ESSEX"  # another force's names are its own


def test_venues_are_the_forces_and_the_providers_to_change(client: TestClient) -> None:
    hub = add(client)
    essex = auth("provider", "ESSEX")
    assert_problem(client.get(f"/v1/venues/{hub['id']}", headers=essex), 404)
    assert_problem(client.patch(f"/v1/venues/{hub['id']}", json={"active": False}, headers=essex), 404)
    assert client.get("/v1/venues", headers=essex).json()["items"] == []
    assert venue_for(app_state(client).cautions.engine, "ESSEX", hub["id"]) is None
    assert_problem(client.post("/v1/venues", json=venue(name="Police Station"), headers=POLICE), 403)
    assert_problem(client.patch(f"/v1/venues/{hub['id']}", json={"notes": "x"}, headers=POLICE), 403)
    assert_problem(client.get("/v1/venues", headers=auth("court", "CAMBS")), 403)


def test_bad_venue_input_is_a_problem_never_a_500(client: TestClient) -> None:
    hub = add(client)
    for body in (venue(postcode="not a postcode"), venue(name=""), venue(accessible="yes"), venue(colour="red"),
                 venue(name="Hub\u202eevil")):
        assert_problem(client.post("/v1/venues", json=body, headers=PROVIDER), 422)
    assert_problem(client.patch(f"/v1/venues/{hub['id']}", json={"name": None}, headers=PROVIDER), 422)
    assert_problem(client.patch(f"/v1/venues/{hub['id']}", json={"id": "x"}, headers=PROVIDER), 422)
    assert_problem(client.patch("/v1/venues/not-a-uuid", json={"active": False}, headers=PROVIDER), 422)
