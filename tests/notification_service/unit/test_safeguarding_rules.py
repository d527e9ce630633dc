"""The notification rules of issue 19: a safeguarding concern tells police at once, marked urgent when it is, and
says whom to contact, never what was said; an acknowledgement stops its escalation; a risk risen to high asks
police to review the caution; due days on the notices that ask for an action."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.notification_service.rules import (
    NORMAL,
    URGENT,
    ConcernPlan,
    ReminderPolicy,
    escalation_notice,
    react,
)
from tests.notification_service.unit.test_notification_rules import (
    FACTS,
    POLICY,
    VICTIM_SECRETS,
    assert_no_victim_data,
    data,
    kinds,
    reaction,
)

RAISED = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)  # `data()`'s recorded_at


def raised(urgency: str = "urgent", source: str = "victim_contact", category: str = "risk_to_victim",
           session_id: str | None = None) -> dict[str, object]:
    # what was said is sealed and never on the feed; a careless producer leaking it must still not be repeated
    return data(version=7, category=category, urgency=urgency, source=source, session_id=session_id,
                details_sealed=VICTIM_SECRETS[4], details=f"{VICTIM_SECRETS[0]} said {VICTIM_SECRETS[3]}")


def test_an_urgent_concern_tells_police_at_once_marked_urgent_and_is_kept_for_escalation_after_30_minutes() -> None:
    r = reaction("SafeguardingConcernRaised", raised())
    assert kinds(r) == [("police", "safeguarding_concern")]
    notice, = r.notices
    assert notice.priority == URGENT and notice.due_on == date(2026, 3, 2) and notice.topic == "7"
    assert "CC-REF-42" in notice.title and "Urgent" in notice.title
    assert "Contact the victim contact service" in notice.body and "risk to the victim" in notice.body
    assert "concern 7" in notice.body
    assert r.concerns == [ConcernPlan(7, "risk_to_victim", "urgent", "victim_contact", RAISED,
                                      RAISED + timedelta(minutes=30))]
    assert_no_victim_data(r)


def test_a_routine_concern_from_a_session_sends_police_to_the_provider_and_escalates_after_a_day() -> None:
    r = react("SafeguardingConcernRaised", raised("routine", "workshop_session", "offender_self_harm", "s-1"),
              FACTS, ReminderPolicy(routine_concern_escalation_hours=24))
    notice, = r.notices
    assert notice.priority == NORMAL and "Routine" in notice.title
    assert "Contact the provider" in notice.body and "victim contact service" not in notice.body
    assert "workshop session s-1" in notice.body
    assert r.concerns[0].escalate_at == RAISED + timedelta(hours=24)
    assert_no_victim_data(r)


def test_the_escalation_times_follow_the_policy() -> None:
    policy = ReminderPolicy(safeguarding_escalation_minutes=5, routine_concern_escalation_hours=2)
    assert react("SafeguardingConcernRaised", raised(), FACTS, policy).concerns[0].escalate_at == \
        RAISED + timedelta(minutes=5)
    assert react("SafeguardingConcernRaised", raised("routine"), FACTS, policy).concerns[0].escalate_at == \
        RAISED + timedelta(hours=2)


def test_an_acknowledgement_names_the_concern_whose_escalation_stops_and_tells_nobody() -> None:
    r = reaction("SafeguardingConcernAcknowledged", data(concern=7, action_taken=VICTIM_SECRETS[3]))
    assert r.acknowledged == [7] and r.notices == []


def test_the_escalation_notice_is_urgent_says_how_long_and_whom_to_contact() -> None:
    notice = escalation_notice("CC-REF-42", 7, "threat_by_offender", "urgent", "victim_contact", RAISED,
                               timedelta(minutes=31))
    assert notice.kind == "safeguarding_escalated" and notice.priority == URGENT and notice.topic == "7"
    assert "31 min" in notice.body and "a threat by the offender" in notice.body
    assert "Contact the victim contact service" in notice.body
    assert "1 h 30 min" in escalation_notice("R", 1, "other", "routine", "workshop_session", RAISED,
                                            timedelta(minutes=90)).body


@pytest.mark.parametrize(("previous", "now", "asked"), [
    ("standard", "high", True), ("medium", "high", True), ("high", "high", False), ("high", "medium", False),
    ("standard", "medium", False),
])
def test_a_risk_risen_to_high_asks_police_to_review_the_caution(previous: str, now: str, asked: bool) -> None:
    r = reaction("RiskReassessed", data(dash_risk=now, previous=previous, reason=VICTIM_SECRETS[4]))
    if not asked:
        assert r.notices == []
        return
    assert kinds(r) == [("police", "risk_review_due")]
    assert "continue, vary or withdraw" in r.notices[0].body and r.notices[0].due_on == date(2026, 3, 2)
    assert_no_victim_data(r)


def test_the_notices_that_ask_for_an_action_carry_its_due_day() -> None:
    """The excuse decision is due DECISION_DAYS (7, as the caution service's progress.py) after the miss was
    recorded; the victim contacts 14 days after workshop A and after completion; first contact by its day."""
    due = {n.kind: n.due_on for name, payload in [
        ("WorkshopMissed", data(workshop="B", reason="did_not_attend")),
        ("WorkshopAAttended", data()),
        ("Completed", data()),
        ("ComplianceDeadlinePassed", data(period_ended_on="2026-06-22")),
        ("CautionIssued", data(police_reference="CC-REF-42", period_ends_on="2026-06-22",
                               conditions={"caution_period_days": 112, "first_contact_days": 14,
                                           "min_days_between_workshops": 28})),
    ] for n in react(name, payload, FACTS, POLICY).notices}
    assert due == {"excuse_decision_needed": date(2026, 3, 9), "victim_contact_due": date(2026, 3, 16),
                   "completion_contact_due": date(2026, 3, 16), "caution_completed": None,
                   "breach_decision_needed": date(2026, 3, 9), "safety_planning": None,
                   "new_referral": date(2026, 3, 16)}
    missed, = reaction("WorkshopMissed", data(workshop="B", reason="did_not_attend")).notices
    assert missed.topic == "B"
