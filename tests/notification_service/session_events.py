"""Workshop-session events as the caution service's feed publishes them (CloudEvents dicts), for the tests."""

from __future__ import annotations

from typing import Any

from shared.events import event_id

SESSION_PREFIX = "uk.cara.workshop-session."


def session_event(kebab: str, session_id: str, version: int, position: int, *, force: str = "CAMBS",
                  occurred_at: str = "2026-03-02T10:00:00+00:00", **fields: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0", "id": event_id(session_id, version), "source": "/cara/caution-service",
        "type": f"{SESSION_PREFIX}{kebab}.v1", "subject": session_id, "time": occurred_at,
        "datacontenttype": "application/json", "position": position, "force": force,
        "data": {**fields, "session_id": session_id, "version": version, "force": force, "occurred_at": occurred_at,
                 "recorded_at": occurred_at, "recorded_by": {"id": "provider-account-1", "role": "provider",
                                                             "force": force}},
    }


def planned(session_id: str, position: int, *, starts_at: str, ends_at: str, capacity: int = 12,
            workshop: str = "A", force: str = "CAMBS", venue_name: str = "Riverside Hub") -> dict[str, Any]:
    return session_event("workshop-session-planned", session_id, 1, position, force=force,
                         provider="Safer Futures", workshop=workshop, venue_id="venue-1", venue_name=venue_name,
                         starts_at=starts_at, ends_at=ends_at, capacity=capacity, group="mens",
                         facilitators=["facilitator-1", "facilitator-2"])


def booked(session_id: str, version: int, position: int, caution_id: str) -> dict[str, Any]:
    return session_event("session-place-booked", session_id, version, position,
                         booking={"caution_id": caution_id, "group_override": None})


def released(session_id: str, version: int, position: int, caution_id: str) -> dict[str, Any]:
    return session_event("session-place-released", session_id, version, position, caution_id=caution_id,
                         reason="rebooked elsewhere")


def registered(session_id: str, version: int, position: int, lines: list[tuple[str, str]]) -> dict[str, Any]:
    return session_event("session-register-recorded", session_id, version, position,
                         lines=[{"caution_id": c, "outcome": o} for c, o in lines], correction=False)


def cancelled(session_id: str, version: int, position: int, cautions: list[str],
              detail: str = "Facilitator Jane Doe is ill") -> dict[str, Any]:
    return session_event("workshop-session-cancelled", session_id, version, position,
                         reason="facilitator_unavailable", detail=detail, cautions=cautions)
