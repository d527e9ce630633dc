"""Over HTTP (issue 19): safeguarding concerns raised (on a victim contact too: the flag alone told nobody) and
acknowledged, DASH re-assessments and the review after a rise to high, a panel's review of one caution; who may do
each (403 for the others); what was said read by the victim contact service alone, and never in the history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.caution_fixtures import assert_problem, event_names, recorded_events
from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client
from tests.support import FakeClock, at, iso

SAID = "He said he would come round to her flat at 9 Tern Close tonight"


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _concern(steps: ReadSteps, cid: str, day: int, headers: dict[str, str], **extra: Any) -> Any:
    body = {"occurred_at": iso(steps.tick(at(day, 11))), "category": "threat_by_offender", "urgency": "urgent",
            "details": SAID, **extra}
    return steps.post(cid, "safeguarding-concerns", body, headers)


def _acknowledge(steps: ReadSteps, cid: str, entry: int, day: int, headers: dict[str, str] | None = None,
                 extra: dict[str, str] | None = None) -> Any:
    body = {"occurred_at": iso(steps.tick(at(day, 12))), "action_taken": "Patrol visited; bail checked"}
    return steps.post(cid, f"safeguarding-concerns/{entry}/acknowledgement", body,
                      {**(headers or steps.police), **(extra or {})})


def _reassess(steps: ReadSteps, cid: str, day: int, level: str, headers: dict[str, str]) -> Any:
    body = {"occurred_at": iso(steps.tick(at(day, 11))), "dash_risk": level, "reason": "Threats by text message"}
    return steps.post(cid, "risk-assessments", body, headers)


def _concerns_read(steps: ReadSteps, cid: str, headers: dict[str, str]) -> Any:
    return steps.client.get(f"/v1/cautions/{cid}/safeguarding-concerns", headers=headers)


def _summaries(steps: ReadSteps, cid: str, kind: str) -> list[str]:
    steps.project()
    return [e["summary"] for e in ok(steps.history(cid))["entries"] if e["event_type"] == kind]


def test_a_victim_contact_with_a_concern_raises_it_to_the_police_as_well(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    body = {"occurred_at": iso(steps.tick(at(12, 12))), "stage": "after_workshop_a", "outcome": "contacted",
            "safeguarding_concern": True, "notes": SAID}
    answer = ok(steps.post(cid, "victim-contacts", body, steps.victim_contact))
    assert event_names(steps.client, cid)[-2:] == ["VictimContacted", "SafeguardingConcernRaised"]
    concern = answer["version"]
    assert answer["open_safeguarding_concerns"] == [
        {"entry": concern, "category": "risk_to_victim", "urgency": "urgent", "raised_at": iso(at(12, 12))}]
    police = ok(steps.get(cid))
    assert police["next_action"] == {"action": "acknowledge_safeguarding_concern", "role": "police",
                                     "due_on": "2026-03-14", "overdue": False}
    assert police["open_safeguarding_concerns"][0]["entry"] == concern
    stored = recorded_events(steps.client, cid)[-1]
    assert SAID.encode() not in stored.state and b"victim_contact_on_contact" in stored.state
    assert _summaries(steps, cid, "SafeguardingConcernRaised") == [
        "Safeguarding concern raised by the victim contact service on a contact with the victim (urgent: risk to "
        "the victim). Details are held by the victim contact service."]
    assert "Tern Close" not in steps.history(cid, headers=steps.police).text


def test_a_contact_s_concern_takes_the_category_and_urgency_given_and_only_with_a_concern(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    body = {"occurred_at": iso(steps.tick(at(12, 12))), "stage": "after_workshop_a", "outcome": "contacted",
            "concern_category": "risk_to_children"}
    refused = assert_problem(steps.post(cid, "victim-contacts", body, steps.victim_contact), 422)
    assert refused["errors"][0]["rule"] == "concern_fields_need_concern"
    answer = ok(steps.post(cid, "victim-contacts", {**body, "safeguarding_concern": True, "concern_urgency": "routine"},
                           steps.victim_contact))
    assert [(c["category"], c["urgency"]) for c in answer["open_safeguarding_concerns"]] == [
        ("risk_to_children", "routine")]


def test_a_contact_without_a_concern_raises_none(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    answer = ok(steps.contact_victim(cid, 12, notes="All well"))
    assert answer["open_safeguarding_concerns"] == [] and event_names(steps.client, cid)[-1] == "VictimContacted"


def test_concerns_are_raised_by_the_victim_contact_service_and_the_provider_from_a_session(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    for role in (steps.police, steps.court):
        assert_problem(_concern(steps, cid, 3, role), 403)
    ok(_concern(steps, cid, 3, steps.victim_contact))
    needs_session = assert_problem(_concern(steps, cid, 3, steps.provider), 422)
    assert needs_session["errors"][0]["rule"] == "concern_from_session_needs_session"
    not_from_vcs = assert_problem(_concern(steps, cid, 3, steps.victim_contact, session_id="s-1"), 422)
    assert not_from_vcs["errors"][0]["rule"] == "session_only_for_session_concern"
    answer = ok(_concern(steps, cid, 4, steps.provider, session_id="s-1", urgency="routine"))
    assert [c["urgency"] for c in answer["open_safeguarding_concerns"]] == ["urgent", "routine"]
    assert _summaries(steps, cid, "SafeguardingConcernRaised") == [
        "Safeguarding concern raised by the victim contact service (urgent: a threat by the offender). Details are "
        "held by the victim contact service.",
        "Safeguarding concern raised by the provider from a workshop session (routine: a threat by the offender). "
        "Details are held by the victim contact service."]


def test_what_was_said_is_read_by_the_victim_contact_service_alone(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    first = ok(_concern(steps, cid, 3, steps.provider, session_id="s-1"))["version"]
    for role in (steps.police, steps.provider, steps.court):
        assert_problem(_concerns_read(steps, cid, role), 403)
        assert "Tern Close" not in steps.get(cid, role).text
    no_purpose = {k: v for k, v in steps.victim_contact.items() if k != "X-Purpose"}
    assert_problem(_concerns_read(steps, cid, no_purpose), 400)
    read = ok(_concerns_read(steps, cid, steps.victim_contact))
    assert read["concerns"] == [{
        "entry": first, "category": "threat_by_offender", "urgency": "urgent", "source": "workshop_session",
        "session_id": "s-1", "raised_at": iso(at(3, 11)), "raised_by_role": "provider", "acknowledged_at": None,
        "struck_out": False, "details": SAID}]
    ok(_acknowledge(steps, cid, first, 3))
    assert ok(_concerns_read(steps, cid, steps.victim_contact))["concerns"][0]["acknowledged_at"] == iso(at(3, 12))


def test_the_police_acknowledge_a_concern_once(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    concern = ok(_concern(steps, cid, 3, steps.victim_contact))["version"]
    for role in (steps.provider, steps.victim_contact, steps.court):
        assert_problem(_acknowledge(steps, cid, concern, 3, role), 403)
    not_one = assert_problem(_acknowledge(steps, cid, 1, 3), 422)
    assert not_one["errors"][0]["rule"] == "not_a_safeguarding_concern"
    assert_problem(_acknowledge(steps, cid, concern, 3, extra={"If-Match": '"1"'}), 412)
    first = _acknowledge(steps, cid, concern, 3, extra={"Idempotency-Key": "ack-1"})
    answer = ok(first)
    assert answer["open_safeguarding_concerns"] == []
    assert "acknowledge_safeguarding_concern" not in [a["action"] for a in answer["required_actions"]]
    again = _acknowledge(steps, cid, concern, 3, extra={"Idempotency-Key": "ack-1"})
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    twice = assert_problem(_acknowledge(steps, cid, concern, 4), 409)
    assert twice["errors"][0]["rule"] == "concern_already_acknowledged"
    assert _summaries(steps, cid, "SafeguardingConcernAcknowledged") == [
        f"Safeguarding concern (entry {concern}) acknowledged by the police, with the action taken."]


def test_a_rise_to_high_asks_the_police_for_a_review_which_they_decide(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    assert_problem(_reassess(steps, cid, 3, "high", steps.provider), 403)
    no_review = assert_problem(steps.post(cid, "risk-review-decisions", {
        "occurred_at": iso(steps.tick(at(3, 12))), "decision": "continue", "reason": "Nothing to review"},
        steps.police), 409)
    assert no_review["errors"][0]["rule"] == "no_risk_review_due"
    ok(_reassess(steps, cid, 3, "medium", steps.victim_contact))
    risen = ok(_reassess(steps, cid, 4, "high", steps.police))
    assert (risen["current_dash_risk"], risen["victim"]["dash_risk"]) == ("high", "standard")
    assert risen["next_action"] == {"action": "review_caution_after_risk_rise", "role": "police",
                                    "due_on": "2026-03-06", "overdue": False}
    assert ok(steps.get(cid, steps.provider))["current_dash_risk"] == "high"
    decision = {"occurred_at": iso(steps.tick(at(5, 9))), "decision": "vary", "reason": "More time to attend"}
    assert_problem(steps.post(cid, "risk-review-decisions", decision, steps.victim_contact), 403)
    reviewed = ok(steps.post(cid, "risk-review-decisions", decision, steps.police))
    assert "review_caution_after_risk_rise" not in [a["action"] for a in reviewed["required_actions"]]
    assert _summaries(steps, cid, "RiskReassessed") == [
        "The victim's DASH risk re-assessed: standard to medium.",
        "The victim's DASH risk re-assessed: medium to high. The police are to review the caution."]
    assert _summaries(steps, cid, "RiskReviewDecided") == [
        "Caution reviewed by the police after the victim's risk rose to high: the conditions are to be varied."]


def test_a_panel_review_of_one_caution_by_police_or_provider(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    body = {"occurred_at": iso(steps.tick(at(20, 14))), "panel_id": "panel-2026-03", "held_on": "2026-03-22",
            "members": ["INSP-2002", "prov-7"], "kind": "out_of_time", "decision": "Reasonable progress",
            "actions": ["Book workshop A this week"]}
    for role in (steps.victim_contact, steps.court):
        assert_problem(steps.post(cid, "panel-reviews", body, role), 403)
    ok(steps.post(cid, "panel-reviews", body, steps.police))
    ok(steps.post(cid, "panel-reviews", {**body, "actions": []}, steps.provider))
    assert_problem(steps.post(cid, "panel-reviews", {**body, "members": []}, steps.police), 422)
    assert _summaries(steps, cid, "CaseReviewedByPanel") == [
        "Case reviewed by the scrutiny panel on 2026-03-22 (out of time): Reasonable progress. Actions: Book "
        "workshop A this week.",
        "Case reviewed by the scrutiny panel on 2026-03-22 (out of time): Reasonable progress."]


def test_a_concern_raised_in_error_is_struck_by_the_police(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    concern = ok(_concern(steps, cid, 3, steps.victim_contact))["version"]
    refused = assert_problem(steps.post(cid, "corrections", {"corrects_entry": concern, "reason": "Wrong caution",
                                                             "recorded_in_error": True}, steps.provider), 422)
    assert refused["errors"][0]["rule"] == "concern_struck_by_police"
    struck = ok(steps.post(cid, "corrections", {"corrects_entry": concern, "reason": "Wrong caution",
                                                "recorded_in_error": True}, steps.police))
    assert struck["open_safeguarding_concerns"] == []
    assert ok(_concerns_read(steps, cid, steps.victim_contact))["concerns"][0]["struck_out"] is True
