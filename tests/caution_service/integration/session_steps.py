"""Workshop sessions driven over HTTP: a venue, a planned session, bookings, the register (issue 18)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.caution_fixtures import Steps
from tests.support import app_state, at, auth, caution_payload, iso

SESSION_DAY = 10  # days after T0: the session starts then, at 18:00 UTC


def add_venue(client: TestClient, force: str = "CAMBS", name: str = "Cambridge Hub, Room 2") -> str:
    """A venue of the force's, added as its provider adds one."""
    added = client.post("/v1/venues", headers=auth("provider", force), json={
        "name": name, "address": "1 Hills Road, Cambridge", "postcode": "CB2 1PH",
        "accessible": True})
    assert added.status_code == 201, added.text
    return str(added.json()["id"])


def plan_body(venue_id: str, day: int = SESSION_DAY) -> dict[str, Any]:
    return {
        "workshop": "A", "venue_id": venue_id, "starts_at": iso(at(day, 18)), "ends_at": iso(at(day, 20)),
        "capacity": 12, "group": "mens", "facilitators": ["FAC-0012", "FAC-0031"], "provider": "Respect Partnership",
    }


class SessionSteps:
    def __init__(self, steps: Steps) -> None:
        self.steps, self.client = steps, steps.client
        self.venue_id = add_venue(steps.client, steps.force)

    def plan(self, headers: dict[str, str] | None = None, day: int = SESSION_DAY, **overrides: Any) -> Any:
        return self.client.post("/v1/workshop-sessions", json={**plan_body(self.venue_id, day), **overrides},
                                headers=headers or self.steps.provider)

    def planned(self, day: int = SESSION_DAY, **overrides: Any) -> dict[str, Any]:
        response = self.plan(day=day, **overrides)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def issue(self, gender: str = "male") -> str:
        payload = caution_payload()
        payload["offender"]["gender"] = gender
        response = self.client.post("/v1/cautions", json=payload, headers=self.steps.police)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def book(self, session_id: str, caution_id: str, headers: dict[str, str] | None = None, **extra: Any) -> Any:
        return self.client.post(f"/v1/workshop-sessions/{session_id}/bookings",
                                json={"caution_id": caution_id, **extra}, headers=headers or self.steps.provider)

    def booked(self, session_id: str, caution_id: str, **extra: Any) -> dict[str, Any]:
        response = self.book(session_id, caution_id, **extra)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def register(self, session_id: str, lines: list[dict[str, Any]], headers: dict[str, str] | None = None,
                 **extra: Any) -> Any:
        return self.client.post(f"/v1/workshop-sessions/{session_id}/register", json={"lines": lines, **extra},
                                headers=headers or self.steps.provider)

    def cancel(self, session_id: str, reason: str = "facilitator_unavailable", detail: str = "Both facilitators ill",
               headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/v1/workshop-sessions/{session_id}/cancellation",
                                json={"reason": reason, "detail": detail}, headers=headers or self.steps.provider)

    def caution(self, caution_id: str) -> Any:
        return app_state(self.client).cautions.get_caution(uuid.UUID(caution_id))

    def session(self, session_id: str) -> Any:
        return app_state(self.client).cautions.get_session(uuid.UUID(session_id), self.steps.force)
