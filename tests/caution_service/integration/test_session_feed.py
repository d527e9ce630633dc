"""Workshop-session events on GET /v1/events: CloudEvents typed `uk.cara.workshop-session.*`, the session as subject,
the catalogue's fields and nothing else (no facilitators, no free text), scoped to the session's force."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from services.caution_service.feed import to_cloud_event
from shared.events import CloudEvent, SessionEventData, event_id
from shared.nats_stream import subject_for
from shared.session_catalogue import SESSION_EVENT_TYPES
from tests.caution_fixtures import Steps
from tests.caution_service.session_reads_support import Sessions
from tests.support import app_state, auth, national_auth

OVERRIDE_REASON = "Lives as a woman; Zanzibar-Override-Secret"
FACILITATOR = "Quentin Facilitator-Secret"
CANCEL_DETAIL = "Boiler failed at Nightjar Close XQ9"
STAFF_NAME = "Pat Facilitator-Lead"  # the provider's display name: account only on the feed


def feed(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/v1/events", params={"limit": 1000}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_session_events_are_published_as_workshop_session_cloudevents(client: TestClient, steps: Steps) -> None:
    sessions = Sessions(app_state(client).cautions)
    caution = steps.issue()
    session = sessions.plan(6, facilitators=(FACILITATOR,))
    sessions.book(session, caution["id"], group_override=OVERRIDE_REASON)
    sessions.release(session, caution["id"], reason="moved: " + OVERRIDE_REASON)
    sessions.book(session, caution["id"])
    other = sessions.plan(9, group="womens")
    sessions.cancel(other, detail=CANCEL_DETAIL)
    sessions.register(session, {caution["id"]: "left_early"})

    items = [e for e in feed(client, auth("subscriber", "CAMBS")) if e["subject"] != caution["id"]]
    names = ["WorkshopSessionPlanned", "SessionPlaceBooked", "SessionPlaceReleased", "SessionPlaceBooked",
             "WorkshopSessionPlanned", "WorkshopSessionCancelled", "SessionRegisterRecorded"]
    assert [e["type"] for e in items] == [SESSION_EVENT_TYPES[n] for n in names]
    assert SESSION_EVENT_TYPES["SessionPlaceBooked"] == "uk.cara.workshop-session.session-place-booked.v1"
    assert all(e["type"].startswith("uk.cara.workshop-session.") for e in items)
    subjects = [str(session.id)] * 4 + [str(other.id)] * 2 + [str(session.id)]
    assert [e["subject"] for e in items] == subjects
    for item in items:
        CloudEvent.model_validate(item)
        data = item["data"]
        assert isinstance(CloudEvent.model_validate(item).data, SessionEventData)
        assert data["session_id"] == item["subject"]
        assert item["id"] == event_id(item["subject"], data["version"]) != event_id(caution["id"], data["version"])
        assert item["force"] == data["force"] == "CAMBS"
        assert data["recorded_by"] == {"id": "provider-cambs", "role": "provider", "force": "CAMBS"}
        assert data["occurred_at"] == data["recorded_at"]  # a session's events have no separate time of their own
    planned = items[0]["data"]
    assert planned["venue_name"] == "Cambridge Hub" and planned["capacity"] == 10 and planned["group"] == "mens"
    assert planned["starts_at"] == session.starts_at.isoformat() and "facilitators" not in planned
    assert items[1]["data"]["booking"] == {"caution_id": caution["id"]}
    assert items[2]["data"]["caution_id"] == caution["id"] and "reason" not in items[2]["data"]
    assert items[5]["data"]["reason"] == "other" and items[5]["data"]["cautions"] == []
    assert "detail" not in items[5]["data"]
    assert items[6]["data"]["lines"] == [{"caution_id": caution["id"], "outcome": "left_early"}]
    assert items[6]["data"]["correction"] is False
    text = json.dumps(items)
    for secret in (OVERRIDE_REASON, FACILITATOR, CANCEL_DETAIL, STAFF_NAME, "Zanzibar"):
        assert secret not in text


def test_session_events_are_scoped_to_the_sessions_force(client: TestClient) -> None:
    cambs = Sessions(app_state(client).cautions)
    essex = Sessions(app_state(client).cautions, "ESSEX")
    ours, theirs = cambs.plan(3), essex.plan(3)
    assert [e["subject"] for e in feed(client, auth("subscriber", "CAMBS"))] == [str(ours.id)]
    assert [e["subject"] for e in feed(client, auth("subscriber", "ESSEX"))] == [str(theirs.id)]
    assert {e["subject"] for e in feed(client, national_auth())} == {str(ours.id), str(theirs.id)}


def test_the_relay_publishes_session_events_under_their_own_subjects(client: TestClient) -> None:
    session = Sessions(app_state(client).cautions).plan(3)
    event = next(iter(app_state(client).cautions.events.get(session.id)))
    cloud = to_cloud_event(event, 1)
    assert subject_for(cloud["type"]) == "cara.caution.workshop-session.workshop-session-planned.v1"
    assert subject_for("uk.cara.caution.workshop-a-attended.v1") == "cara.caution.workshop-a-attended.v1"
