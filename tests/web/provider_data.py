"""What the provider journeys start from, put in through the caution service's API with the provider's token: a
venue, sessions (at times the service's rules take), and bookings; each call waits for the read model to have it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from services.caution_service.domain.bank_holidays import is_bank_holiday
from shared.uk_time import UK
from tests.web.stack import Stack

VICTIM_DETAILS = ("Sam Victim", "07700 900123")
OFFENDER_NAME = "Alex Example"


def venue(stack: Stack) -> dict[str, Any]:
    name = f"Hall {uuid.uuid4().hex[:6]}"
    answer = stack.caution_call("POST", "/v1/venues", "provider",
                                json={"name": name, "address": "1 Market Square\nCambridge", "postcode": "CB1 2AB",
                                      "accessible": True})
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def starting_now() -> datetime:
    """A session the register can be taken for at once, yet still bookable: it starts two minutes from now (the
    service takes a register from five minutes before the start, and a booking until it)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=2)


def in_days(days: int, hour: int = 18) -> datetime:
    """`hour` o'clock UK time `days` days ahead, moved on past any bank holiday."""
    day = datetime.now(UK).date() + timedelta(days=days)
    while is_bank_holiday(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=UK)


def plan(stack: Stack, venue_id: str, starts_at: datetime, workshop: str = "A", group: str = "mens",
         capacity: int = 12) -> dict[str, Any]:
    body: dict[str, Any] = {
        "workshop": workshop, "venue_id": venue_id, "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=2)).isoformat(), "capacity": capacity, "group": group,
        "facilitators": ["FAC-0012"], "provider": "Respect Partnership"}
    if is_bank_holiday(starts_at.astimezone(UK).date()):
        body["bank_holiday_reason"] = "The only evening the venue is free"
    answer = stack.caution_call("POST", "/v1/workshop-sessions", "provider", json=body)
    assert answer.status_code == 201, answer.text
    return caught_up(stack, answer.json())


def book(stack: Stack, session: dict[str, Any], caution: dict[str, Any]) -> dict[str, Any]:
    answer = stack.caution_call("POST", f"/v1/workshop-sessions/{session['id']}/bookings", "provider",
                                json={"caution_id": caution["id"]})
    assert answer.status_code == 200, answer.text
    return caught_up(stack, answer.json())


def session_starting_now_with(stack: Stack, cautions: list[dict[str, Any]]) -> dict[str, Any]:
    """A session of workshop A starting now at a new venue, each of `cautions` booked into it: ready for its
    register."""
    session = plan(stack, venue(stack)["id"], starting_now())
    for caution in cautions:
        session = book(stack, session, caution)
    return session


def attended_a(stack: Stack, caution: dict[str, Any], days_ago: int) -> dict[str, Any]:
    """Workshop A booked and attended (recorded after the fact) at noon UK time `days_ago` days ago, so workshop B
    is the one to book; the caution as the worklist has it once it has the attendance."""
    when = datetime.combine(datetime.now(UK).date() - timedelta(days=days_ago), time(12), tzinfo=UK)
    path = f"/v1/cautions/{caution['id']}/workshops/A"
    booked = stack.caution_call("POST", f"{path}/schedule", "provider",
                                json={"occurred_at": (when - timedelta(days=1)).isoformat(),
                                      "session_at": when.isoformat(), "venue": "Cambridge Hub"})
    assert booked.status_code == 200, booked.text
    attended = stack.caution_call("POST", f"{path}/attendance", "provider", json={"occurred_at": when.isoformat()})
    assert attended.status_code == 200, attended.text
    found: dict[str, Any] = attended.json()
    provider_worklist(stack, found["position"])
    return found


def caught_up(stack: Stack, written: dict[str, Any]) -> dict[str, Any]:
    """The session as the read model holds it once it has the write."""
    answer = stack.caution_call("GET", f"/v1/workshop-sessions/{written['id']}", "provider",
                                params={"min_position": written["position"]})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def provider_worklist(stack: Stack, position: int | None = None) -> dict[str, Any]:
    params = {"min_position": position} if position is not None else {}
    answer = stack.caution_call("GET", "/v1/provider/worklist", "provider", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found
