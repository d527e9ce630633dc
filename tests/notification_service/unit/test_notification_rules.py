"""The notification rules: which notices and reminders each caution event gives rise to (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.notification_service import rules
from services.notification_service.rules import (
    FIRST_CONTACT_OVERDUE,
    PERIOD_ENDING,
    REMINDER_TEXT,
    RULES,
    WORKSHOP_B_WINDOW,
    CautionFacts,
    Reaction,
    ReminderPolicy,
    react,
)
from shared.catalogue import CATALOGUE

FACTS = CautionFacts(caution_id="c-1", force="CAMBS", police_reference="CC-REF-42", period_ends_on=date(2026, 6, 22))
POLICY = ReminderPolicy(period_ending_days=14, workshop_b_days=21)
# Things a careless rule could copy from an event into a text: none of them may ever appear.
VICTIM_SECRETS = ("Zebedee Quixotic", "07700 999888", "zq@victim.example", "12 Hidden Lane", "WHISPERED-NOTE-XYZ")


def data(**fields: Any) -> dict[str, Any]:
    """An event payload as the feed delivers it, carrying victim-looking strings a rule must never repeat."""
    base = {
        "caution_id": FACTS.caution_id, "version": 1, "force": "CAMBS",
        "occurred_at": "2026-03-02T10:00:00+00:00", "recorded_at": "2026-03-02T10:05:00+00:00",
        "recorded_by": {"id": "u-1", "role": "police", "force": "CAMBS"},
        # not in any real feed payload; here to prove the rules only use the fields they name
        "victim": {"reference": "V-1", "contact_details": {"name": VICTIM_SECRETS[0], "phone": VICTIM_SECRETS[1],
                                                           "email": VICTIM_SECRETS[2], "address": VICTIM_SECRETS[3]}},
        "notes": VICTIM_SECRETS[4],
    }
    return {**base, **fields}


def issued() -> dict[str, Any]:
    conditions = {"caution_period_days": 112, "first_contact_days": 14, "min_days_between_workshops": 28}
    return data(police_reference=FACTS.police_reference, conditions=conditions,
                period_ends_on=FACTS.period_ends_on.isoformat())


def reaction(name: str, payload: dict[str, Any]) -> Reaction:
    return react(name, payload, FACTS, POLICY)


def kinds(r: Reaction) -> list[tuple[str, str]]:
    return [(n.recipient_role, n.kind) for n in r.notices]


def assert_no_victim_data(r: Reaction) -> None:
    for notice in r.notices:
        for secret in VICTIM_SECRETS:
            assert secret not in notice.title and secret not in notice.body, (notice, secret)


def test_every_catalogued_event_has_a_notification_decision() -> None:
    """A new event is decided here (an empty list when it asks nothing of anyone), never left out by accident."""
    assert set(RULES) == set(CATALOGUE), "RULES and the event catalogue name different events"
    assert rules.undecided(set(CATALOGUE)) == set()
    assert rules.undecided(set(CATALOGUE) | {"SomethingNew"}) == {"SomethingNew"}


def test_every_rule_is_named_when_event_reaction() -> None:
    for event_name, listed in RULES.items():
        assert event_name in CATALOGUE
        for rule in listed:
            assert rule.__name__.startswith("when_"), rule.__name__
            assert getattr(rules, rule.__name__) is rule


def test_issued_tells_the_provider_of_the_referral_and_schedules_the_period_ending_reminder() -> None:
    r = reaction("CautionIssued", issued())
    assert kinds(r) == [("provider", "new_referral")]
    notice = r.notices[0]
    assert notice.rule == "caution_issued"
    assert "CC-REF-42" in notice.title
    assert "2026-03-16" in notice.body  # first contact: 14 days after issue
    assert "2026-06-22" in notice.body  # end of the caution period
    assert [(p.kind, p.due_at) for p in r.schedule] == [
        (PERIOD_ENDING, datetime(2026, 6, 8, 9, 0, tzinfo=UTC)),
        (FIRST_CONTACT_OVERDUE, datetime(2026, 3, 17, 9, 0, tzinfo=UTC)),  # the morning after the 14th day
    ]
    assert r.cancel == []
    assert_no_victim_data(r)


def test_the_reminder_policy_moves_the_period_ending_reminder() -> None:
    r = react("CautionIssued", issued(), FACTS, ReminderPolicy(period_ending_days=7, workshop_b_days=21))
    assert r.schedule[0].due_at == datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("reason,words", [("did_not_attend", "did not attend"), ("arrived_late", "arrived late")])
def test_missed_workshop_asks_police_for_an_excuse_decision(reason: str, words: str) -> None:
    r = reaction("WorkshopMissed", data(workshop="A", reason=reason, note="WHISPERED-NOTE-XYZ"))
    assert kinds(r) == [("police", "excuse_decision_needed")]
    assert "Workshop A missed" in r.notices[0].title and "CC-REF-42" in r.notices[0].title
    assert words in r.notices[0].body
    assert r.schedule == [] and r.cancel == []
    assert_no_victim_data(r)


def test_workshop_a_attended_asks_for_victim_contact_and_schedules_the_workshop_b_window_reminder() -> None:
    r = reaction("WorkshopAAttended", data())
    assert kinds(r) == [("victim_contact", "victim_contact_due")]
    assert [(p.kind, p.due_at) for p in r.schedule] == [(WORKSHOP_B_WINDOW, datetime(2026, 6, 1, 9, 0, tzinfo=UTC))]
    assert r.cancel == []
    assert_no_victim_data(r)


def test_workshop_b_attended_cancels_the_window_reminder_and_tells_nobody() -> None:
    r = reaction("WorkshopBAttended", data())
    assert r.notices == [] and r.schedule == []
    assert r.cancel == [WORKSHOP_B_WINDOW]


def test_an_accepted_excuse_cancels_the_workshop_b_window_reminder_a_rejected_one_does_nothing() -> None:
    accepted = reaction("ExcuseDecided", data(workshop="A", accepted=True, reason="hospital"))
    assert accepted.notices == [] and accepted.schedule == [] and accepted.cancel == [WORKSHOP_B_WINDOW]
    rejected = reaction("ExcuseDecided", data(workshop="A", accepted=False, reason="no excuse"))
    assert rejected.notices == [] and rejected.schedule == [] and rejected.cancel == []


def test_varied_conditions_move_the_period_ending_reminder_to_the_new_end() -> None:
    moved = CautionFacts(FACTS.caution_id, FACTS.force, FACTS.police_reference, date(2026, 7, 20))
    r = react("ConditionsVaried", data(period_ends_on="2026-07-20", previous_period_ends_on="2026-06-22",
                                                    reason="illness", authorised_by="INSP-1"), moved, POLICY)
    assert r.notices == []
    assert [(p.kind, p.due_at) for p in r.schedule] == [(PERIOD_ENDING, datetime(2026, 7, 6, 9, 0, tzinfo=UTC))]
    assert [(p.kind, p.due_at) for p in r.move] == [(WORKSHOP_B_WINDOW, datetime(2026, 6, 29, 9, 0, tzinfo=UTC))]


def test_completed_tells_victim_contact_and_police_and_cancels_every_reminder() -> None:
    r = reaction("Completed", data())
    assert kinds(r) == [("victim_contact", "completion_contact_due"), ("police", "caution_completed")]
    assert all("CC-REF-42" in n.title for n in r.notices)
    assert set(r.cancel) == {PERIOD_ENDING, WORKSHOP_B_WINDOW, FIRST_CONTACT_OVERDUE}
    assert r.schedule == []
    assert_no_victim_data(r)


def test_breached_tells_police_and_asks_victim_contact_for_safety_planning() -> None:
    r = reaction("Breached", data(outcome="prosecute", reason="did not attend, no excuse"))
    assert kinds(r) == [("police", "caution_breached"), ("victim_contact", "safety_planning")]
    assert "prosecute" in r.notices[0].body
    assert set(r.cancel) == {PERIOD_ENDING, WORKSHOP_B_WINDOW, FIRST_CONTACT_OVERDUE}
    assert_no_victim_data(r)


def test_deadline_passed_asks_police_for_a_decision_and_victim_contact_for_safety_planning() -> None:
    r = reaction("ComplianceDeadlinePassed", data(period_ended_on="2026-06-22"))
    assert kinds(r) == [("police", "breach_decision_needed"), ("victim_contact", "safety_planning")]
    assert "2026-06-22" in r.notices[0].body
    assert set(r.cancel) == {PERIOD_ENDING, WORKSHOP_B_WINDOW, FIRST_CONTACT_OVERDUE}
    assert_no_victim_data(r)


def test_withdrawn_cancels_every_reminder_and_tells_nobody() -> None:
    r = reaction("Withdrawn", data(reason="issued in error"))
    assert r.notices == [] and r.schedule == []
    assert set(r.cancel) == {PERIOD_ENDING, WORKSHOP_B_WINDOW, FIRST_CONTACT_OVERDUE}


@pytest.mark.parametrize("name", ["WorkshopScheduled", "WorkshopRescheduled", "VictimContacted", "EntryCorrected"])
def test_events_without_a_rule_give_no_reaction(name: str) -> None:
    r = reaction(name, data(stage="after_workshop_a", outcome="contacted"))
    assert r.notices == [] and r.schedule == [] and r.cancel == []


def test_an_event_the_rules_never_decided_is_an_error_not_a_silence() -> None:
    """The store skips (and records) feed types the catalogue lacks before it reacts; a catalogued name with no
    line in RULES is a programming error, which start-up refuses, so `react` never quietly answers nothing."""
    with pytest.raises(KeyError):
        react("SomethingNew", data(), FACTS, POLICY)


def test_reminder_texts_name_the_caution_by_reference_and_go_to_the_right_role() -> None:
    roles = {kind: text[0] for kind, text in REMINDER_TEXT.items()}
    assert roles == {PERIOD_ENDING: "police", WORKSHOP_B_WINDOW: "provider", FIRST_CONTACT_OVERDUE: "provider"}
    for _role, title, body in REMINDER_TEXT.values():
        assert "CC-REF-42" in title.format(ref="CC-REF-42", end="2026-06-22")
        assert "2026-06-22" in body.format(ref="CC-REF-42", end="2026-06-22")
