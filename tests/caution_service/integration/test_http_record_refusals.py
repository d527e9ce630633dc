"""Over HTTP, the record refuses what cannot have happened (issue 17), each refusal naming its rule: an attendance on
another day than the booked session's without the reason, a breach decision resting on no failure, a variation
ending the period before today, a repeated round completed on the first round's victim contact. And events recorded
before the new fields existed still read exactly as they did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.values import BreachOutcome, RecordedBy
from services.caution_service.feed import to_cloud_event
from services.caution_service.projections.entries import entry_content
from tests.caution_fixtures import assert_problem, recorded_events
from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client
from tests.support import FakeClock, app_state, at, iso


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _rule(response: Any, status: int) -> str:
    body = assert_problem(response, status)
    assert body["detail"] == body["errors"][0]["message"]
    rule: str = body["errors"][0]["rule"]
    return rule


def _version(steps: ReadSteps, cid: str) -> int:
    version: int = ok(steps.get(cid))["version"]
    return version


def _history(steps: ReadSteps, cid: str) -> dict[str, Any]:
    steps.project()
    history: dict[str, Any] = ok(steps.history(cid))
    return history


# ----- attendance on the booked session's day -------------------------------------------------------


def test_an_attendance_ten_days_before_the_booked_session_is_refused(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 20))

    response = steps.attend(cid, "A", 10)

    assert _rule(response, 422) == "attendance_on_the_booked_day"
    assert "22 March 2026" in response.json()["detail"] and "12 March 2026" in response.json()["detail"]
    assert _version(steps, cid) == 2


def test_an_attendance_on_another_day_with_the_reason_is_recorded_and_shown(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 20))
    body = {"occurred_at": iso(steps.tick(at(10, 20))), "reason_not_on_booked_day": "Moved to the earlier group"}

    steps.run(steps.post(cid, "workshops/A/attendance", body, steps.provider))

    entry = _history(steps, cid)["entries"][-1]
    assert entry["summary"] == (
        "Attended workshop A in full, on another day than the booked session's: Moved to the earlier group")
    assert entry["details"]["reason_not_on_booked_day"] == "Moved to the earlier group"


def test_an_attendance_on_the_booked_day_reads_as_it_always_did(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    assert _history(steps, cid)["entries"][-1]["summary"] == "Attended workshop A in full."


def test_a_blank_reason_for_another_day_is_refused_as_bad_input(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 20))
    body = {"occurred_at": iso(steps.tick(at(10, 20))), "reason_not_on_booked_day": "  "}
    assert_problem(steps.post(cid, "workshops/A/attendance", body, steps.provider), 422)
    assert _version(steps, cid) == 2


# ----- a breach decision rests on a failure -----------------------------------------------------------


def test_a_breach_when_nothing_was_missed_and_the_period_runs_is_refused(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))

    response = steps.breach(cid, 15, "Thought he would not comply.")

    assert _rule(response, 409) == "breach_needs_a_failure"
    assert "no excuse has been rejected" in response.json()["detail"]
    assert ok(steps.get(cid))["status"] == "active"


def test_a_breach_after_a_rejected_excuse_says_what_it_rests_on(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10),
              steps.decide_excuse(cid, 11, False, "No excuse given"),
              steps.breach(cid, 12, "Missed workshop A without excuse."))

    entry = _history(steps, cid)["entries"][-1]
    assert entry["summary"] == (
        "Breach decided (prosecute), resting on a rejected excuse: Missed workshop A without excuse.")
    assert entry["details"]["failure"] == "excuse_rejected"


def test_a_breach_once_the_period_has_ended_rests_on_that(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    period_end_day = 16 * 7
    steps.run(steps.breach(cid, period_end_day + 1, "Nothing attended.", outcome=BreachOutcome.NO_FURTHER_ACTION.value))
    assert _history(steps, cid)["entries"][-1]["details"]["failure"] == "period_ended_without_completion"


# ----- a variation cannot end the period before today ---------------------------------------------------


def test_a_variation_made_today_ending_the_period_three_days_ago_is_refused(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    today = 50
    response = steps.vary(cid, today, at(today - 3).date())
    assert _rule(response, 422) == "variation_cannot_end_the_period_in_the_past"
    assert _version(steps, cid) == 1
    steps.run(steps.vary(cid, today, at(today).date()))  # today itself is the earliest end


# ----- a repeated round needs its own victim contact after the repeated A -------------------------------


def test_a_repeated_round_does_not_complete_on_the_first_rounds_contact(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10),
              steps.contact_victim(cid, 12), steps.miss(cid, "B", 40),
              steps.decide_excuse(cid, 41, True, "In hospital; letter seen"),
              steps.schedule(cid, "A", 45, occurred=42), steps.attend(cid, "A", 45),
              steps.schedule(cid, "B", 75, occurred=46), steps.attend(cid, "B", 75))

    refused = steps.complete(cid, 76)
    assert _rule(refused, 409) == "conditions_not_met"
    assert "victim not contacted after workshop A" in refused.json()["detail"]
    assert "contact_victim_after_workshop_a" in [a["action"] for a in ok(steps.get(cid))["required_actions"]]

    steps.run(steps.contact_victim(cid, 76), steps.complete(cid, 77))
    assert ok(steps.get(cid))["status"] == "completed"


def test_a_contact_after_an_accepted_excuse_waits_for_the_repeated_a(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10), steps.schedule(cid, "B", 40, occurred=11),
              steps.miss(cid, "B", 40), steps.decide_excuse(cid, 41, True, "In hospital; letter seen"))
    assert _rule(steps.contact_victim(cid, 42), 409) == "victim_contact_after_workshop_a"


# ----- events recorded before the new fields read exactly as before -------------------------------------


def _old_shape(steps: ReadSteps, cid: str, cls: type, state: dict[str, Any]) -> None:
    """Store an event as this service stored it before issue 17: the new optional field absent."""
    app = app_state(steps.client).cautions
    version = _version(steps, cid) + 1
    app.recorder.insert_events([StoredEvent(
        originator_id=app.get_caution(cid).id, originator_version=version, topic=get_topic(cls),
        state=app.mapper.transcoder.encode(state))])


def test_events_stored_without_the_new_fields_load_and_read_exactly_as_before(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10), steps.decide_excuse(cid, 11, False, "None"))
    by = RecordedBy("officer-1", "police", "CAMBS")
    when = steps.tick(at(12, 9))
    _old_shape(steps, cid, Caution.Breached, {"timestamp": when, "outcome": BreachOutcome.PROSECUTE,
                                              "reason": "Missed A.", "occurred_at": when, "recorded_at": when,
                                              "recorded_by": by})
    later = steps.tick(when + timedelta(hours=1))
    _old_shape(steps, cid, Caution.EntryCorrected, {
        "timestamp": later, "corrects_version": 5, "corrected_type": "Breached", "reason": "Typo",
        "corrected_occurred_at": None, "occurred_at": later, "recorded_at": later, "recorded_by": by})

    stored = recorded_events(steps.client, cid)[-2:]
    app = app_state(steps.client).cautions
    breached, corrected = (app.mapper.to_domain_event(s) for s in stored)
    assert "failure" not in entry_content(breached)["details"]
    assert entry_content(breached)["summary"] == "Breach decided (prosecute): Missed A."
    assert "recorded_in_error" not in entry_content(corrected)["details"]
    assert entry_content(corrected)["summary"] == "Correction to entry 5 (Breached): Typo."
    # the feed publishes the new fields: an old event gives their defaults, it does not fail
    assert to_cloud_event(breached, 1)["data"]["failure"] is None
    assert to_cloud_event(corrected, 2)["data"]["recorded_in_error"] is False

    caution = app.get_caution(breached.originator_id)
    assert caution.status.value == "breached" and caution.strikes == []
    history = _history(steps, cid)
    assert [e["summary"] for e in history["entries"][-2:]] == [
        "Breach decided (prosecute): Missed A.", "Correction to entry 5 (Breached): Typo."]
    assert ok(steps.client.get(f"/v1/cautions/{cid}/compliance-history/verification", headers=steps.court))["intact"]


def test_an_attendance_stored_without_the_reason_reads_as_before(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10))
    when = steps.tick(at(10, 20))
    _old_shape(steps, cid, Caution.WorkshopAAttended, {
        "timestamp": when, "occurred_at": when, "recorded_at": when,
        "recorded_by": RecordedBy("provider-1", "provider", "CAMBS")})
    entry = _history(steps, cid)["entries"][-1]
    assert entry["summary"] == "Attended workshop A in full."
    assert "reason_not_on_booked_day" not in entry["details"]
    assert ok(steps.get(cid))["workshops"]["A"]["attended_at"] is not None
