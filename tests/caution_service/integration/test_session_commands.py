"""Planning workshop sessions and booking cautions into them over HTTP, on real SQLite (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.caution_service.domain.values import Workshop
from tests.caution_fixtures import Steps, assert_problem, event_names
from tests.caution_service.integration.session_steps import SESSION_DAY, SessionSteps, add_venue
from tests.support import at, auth, iso


@pytest.fixture
def s(steps: Steps) -> SessionSteps:
    return SessionSteps(steps)


def _rule(response: object, status: int) -> str:
    return str(assert_problem(response, status)["errors"][0]["rule"])


def test_a_planned_session_is_answered_with_its_address_and_version(s: SessionSteps) -> None:
    response = s.plan()
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/workshop-sessions/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["venue"] == {"id": s.venue_id, "name": "Cambridge Hub, Room 2"}
    assert (body["capacity"], body["places_left"], body["status"], body["bookings"]) == (12, 12, "planned", [])
    assert isinstance(body["position"], int)
    assert s.session(body["id"]).workshop is Workshop.A


def test_a_bank_holiday_session_needs_its_reason(s: SessionSteps) -> None:
    good_friday = 32  # 2026-04-03, days after T0 (2026-03-02)
    assert _rule(s.plan(day=good_friday), 422) == "session_on_bank_holiday"
    accepted = s.plan(day=good_friday, bank_holiday_reason="Only evening the venue is free this month")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["bank_holiday_reason"] == "Only evening the venue is free this month"


def test_refusals_when_planning(s: SessionSteps) -> None:
    assert _rule(s.plan(venue_id="no-such-venue"), 422) == "venue_unknown"
    other_forces_venue = add_venue(s.client, "ESSEX")
    assert _rule(s.plan(venue_id=other_forces_venue), 422) == "venue_unknown"
    assert _rule(s.plan(ends_at=iso(at(SESSION_DAY, 17))), 422) == "session_ends_after_start"
    assert assert_problem(s.plan(capacity=40), 422)["type"].endswith("validation-failed")
    assert_problem(s.plan(headers=s.steps.police), 403)


def test_another_forces_session_is_not_found(s: SessionSteps) -> None:
    session = s.planned()
    caution = s.issue()
    essex = auth("provider", "ESSEX")
    assert_problem(s.book(session["id"], caution, headers=essex), 404)
    assert_problem(s.cancel(session["id"], headers=essex), 404)
    # and a caution's id is no session
    assert_problem(s.book(caution, caution), 404)


def test_booking_records_the_caution_and_the_session_together(s: SessionSteps) -> None:
    session = s.planned()
    caution = s.issue()
    body = s.booked(session["id"], caution, headers=s.steps.police)  # the police may book too
    assert body["bookings"] == [{"caution_id": caution}] and body["places_left"] == 11 and body["version"] == 2
    booking = s.caution(caution).booking(Workshop.A)
    assert (booking.session_id, booking.venue, booking.session_at) == (session["id"], "Cambridge Hub, Room 2",
                                                                        at(SESSION_DAY, 18))
    assert event_names(s.client, caution)[-1] == "WorkshopScheduled"
    assert _rule(s.book(session["id"], caution), 409) == "already_booked_in_session"


def test_a_stale_if_match_is_refused(s: SessionSteps) -> None:
    session = s.planned()
    response = s.book(session["id"], s.issue(), headers={**s.steps.provider, "If-Match": '"7"'})
    assert assert_problem(response, 412)
    assert s.session(session["id"]).version == 1


def test_the_rules_of_the_caution_still_hold(s: SessionSteps) -> None:
    caution = s.issue()
    b_too_soon = s.planned(workshop="B", day=SESSION_DAY + 20)
    assert _rule(s.book(b_too_soon["id"], caution), 409) == "workshop_a_first"
    s.booked(s.planned()["id"], caution)
    assert _rule(s.book(b_too_soon["id"], caution), 422) == "workshop_b_after_gap"
    after_the_period = s.planned(day=130)
    assert _rule(s.book(after_the_period["id"], s.issue()), 422) == "workshop_inside_caution_period"
    assert s.session(b_too_soon["id"]).bookings == {}


def test_a_womens_group_refuses_a_man_without_the_override(s: SessionSteps) -> None:
    womens = s.planned(group="womens")
    man, woman, other = s.issue("male"), s.issue("female"), s.issue("other")
    refused = s.book(womens["id"], man)
    assert _rule(refused, 422) == "session_group_mismatch"
    assert "male" not in refused.json()["detail"]  # the refusal does not say what the record holds
    s.booked(womens["id"], woman)
    assert _rule(s.book(womens["id"], other), 422) == "session_group_mismatch"
    body = s.booked(womens["id"], man, group_override_reason="Agreed with the facilitators: identifies as a woman")
    assert [b["caution_id"] for b in body["bookings"]] == [woman, man]
    assert s.session(womens["id"]).bookings[man].group_override.startswith("Agreed with the facilitators")


def test_a_second_booking_of_the_workshop_needs_who_asked_and_why(s: SessionSteps) -> None:
    caution = s.issue()
    first, second = s.planned(), s.planned(day=SESSION_DAY + 2)
    s.booked(first["id"], caution)
    without_who = s.book(second["id"], caution, reason="Offender's shift changed")
    assert _rule(without_who, 422) == "reschedule_needs_who_and_why"
    assert s.session(first["id"]).bookings.keys() == {caution}


def test_a_reschedule_moves_the_place_to_the_new_session(s: SessionSteps) -> None:
    caution = s.issue()
    first, second = s.planned(capacity=1), s.planned(day=SESSION_DAY + 2)
    s.booked(first["id"], caution)
    moved = s.booked(second["id"], caution, requested_by="offender", reason_code="employment",
                     reason="Offender's shift changed")
    assert moved["bookings"] == [{"caution_id": caution}]
    assert s.session(first["id"]).bookings == {} and s.session(first["id"]).places_left == 1
    assert s.caution(caution).booking(Workshop.A).session_id == second["id"]
    assert event_names(s.client, caution)[-1] == "WorkshopRescheduled"
    s.booked(first["id"], s.issue())  # the freed place is taken by another


def test_a_cancelled_session_frees_everyone_without_a_miss(s: SessionSteps) -> None:
    session = s.planned()
    cautions = [s.issue() for _ in range(3)]
    for caution in cautions:
        s.booked(session["id"], caution)
    response = s.cancel(session["id"], headers=s.steps.police)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["bookings"] == []
    book_by = (s.caution(cautions[0]).period_ends_on - timedelta(days=28)).isoformat()
    assert body["rebook"] == [{"caution_id": c, "workshop": "A", "book_by": book_by} for c in cautions]
    for caution in cautions:
        record = s.caution(caution)
        assert record.booking(Workshop.A) is None and record.pending_miss is None
        assert "WorkshopMissed" not in event_names(s.client, caution)
    assert _rule(s.book(session["id"], s.issue()), 409) == "session_cancelled"


def test_a_caution_written_by_a_session_command_and_then_by_its_own_route_keeps_both(s: SessionSteps) -> None:
    caution = s.issue()
    # The writer caches the caution it last saved: this caution at version 1.
    assert s.steps.get(caution).json()["version"] == 1
    assert s.steps.post(caution, "corrections", {"corrects_entry": 1, "reason": "typo", "corrected_occurred_at":
                                                 iso(at(0))}, s.steps.police).status_code == 200
    s.booked(s.planned()["id"], caution)  # version 3, written beside the writer
    s.steps.tick(at(SESSION_DAY, 20))
    attended = s.steps.attend(caution, "A", SESSION_DAY)  # through the writer, whose cached copy is at version 2
    assert attended.status_code == 200, attended.text
    assert event_names(s.client, caution) == ["Issued", "EntryCorrected", "WorkshopScheduled", "WorkshopAAttended"]
    assert attended.json()["version"] == 4
