"""Over HTTP (issue 18): the provider records first contact; the coded absence reason and who asked for a reschedule
reach the compliance history in the court's words; the absence detail is stored only sealed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.caution_fixtures import assert_problem, recorded_events
from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client
from tests.support import FakeClock, at, iso

DETAIL = "Caring for a relative in hospital 4f1c"


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _first_contact(steps: ReadSteps, cid: str, day: int, outcome: str = "contacted", headers: Any = None) -> Any:
    body = {"occurred_at": iso(steps.tick(at(day, 11))), "method": "phone", "outcome": outcome}
    return steps.post(cid, "first-contact", body, headers or steps.provider)


def _entries(steps: ReadSteps, cid: str) -> list[dict[str, Any]]:
    steps.project()
    entries: list[dict[str, Any]] = ok(steps.history(cid))["entries"]
    return entries


def test_the_provider_records_first_contact_and_the_caution_shows_it(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    fresh = ok(steps.get(cid))
    assert fresh["first_contact"] == {"made_at": None, "due_on": "2026-03-16", "attempts": 0}
    assert fresh["next_action"]["action"] == "make_first_contact"
    attempt = ok(_first_contact(steps, cid, 2, "no_response"))
    assert attempt["first_contact"]["attempts"] == 1 and attempt["first_contact"]["made_at"] is None
    made = ok(_first_contact(steps, cid, 3))
    assert made["first_contact"] == {"made_at": iso(at(3, 11)), "due_on": None, "attempts": 2}
    assert "make_first_contact" not in [a["action"] for a in made["required_actions"]]
    summaries = [e["summary"] for e in _entries(steps, cid) if e["event_type"] == "FirstContactRecorded"]
    assert summaries == ["The provider tried to make first contact with the offender by phone: no response.",
                         "The provider made first contact with the offender by phone."]


def test_first_contact_is_the_provider_s_and_refused_before_the_caution(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    assert_problem(_first_contact(steps, cid, 2, headers=steps.police), 403)
    refused = assert_problem(_first_contact(steps, cid, -1), 422)
    assert refused["errors"][0]["rule"] == "not_before_caution"
    assert_problem(steps.post(cid, "first-contact", {"occurred_at": iso(at(1)), "method": "pigeon",
                                                     "outcome": "contacted"}, steps.provider), 422)


def test_coded_absence_reasons_reach_the_compliance_history(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10))
    body = {"occurred_at": iso(steps.tick(at(10, 20))), "reason": "sent_home", "note": "Arrived intoxicated",
            "absence_reason": "other"}
    needs_detail = assert_problem(steps.post(cid, "workshops/A/non-attendance", body, steps.provider), 422)
    assert needs_detail["errors"][0]["rule"] == "absence_other_needs_detail"
    steps.run(steps.post(cid, "workshops/A/non-attendance", {**body, "absence_detail": DETAIL}, steps.provider))
    steps.run(steps.post(cid, "excuse-decisions", {"occurred_at": iso(steps.tick(at(11, 9))), "accepted": True,
                                                   "reason": "Family emergency, confirmed"}, steps.police))
    steps.run(steps.schedule(cid, "A", 20, occurred=12))
    move = {**steps.schedule_body(27, occurred=13, reason="Court date"), "requested_by": "offender",
            "reason_code": "court"}
    steps.run(steps.post(cid, "workshops/A/schedule", move, steps.provider))

    entries = {e["event_type"]: e for e in _entries(steps, cid)}
    missed, decided, moved = entries["WorkshopMissed"], entries["ExcuseDecided"], entries["WorkshopRescheduled"]
    assert missed["summary"] == ("Workshop A missed: sent home by the facilitator. The provider's note is kept with "
                                 "the offender's personal data. Reason given for the absence: other (the detail is "
                                 "kept with the offender's personal data).")
    assert missed["details"]["absence_reason"] == "other" and missed["details"]["absence_detail"].startswith("p1.")
    assert decided["summary"].endswith("Both workshops to be attended again. Reason given for the absence: other.")
    assert decided["details"]["absence_reason"] == "other"  # the miss's, as the police gave none
    assert moved["summary"].endswith(": Court date. Asked for by the offender. Coded reason: attending court.")
    assert steps.verification(cid)["intact"]
    stored = b"".join(e.state for e in recorded_events(steps.client, cid))
    assert DETAIL.encode() not in stored


def test_a_reschedule_without_who_asked_stores_what_it_stored_before(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "A", 12, occurred=2, reason="Venue closed"))
    moved = recorded_events(steps.client, cid)[-1]
    assert b"requested_by" not in moved.state and b"reason_code" not in moved.state
    assert _entries(steps, cid)[-1]["summary"].endswith(": Venue closed")  # as such an entry always read
