"""Issue 18's caution-event rules: the referral's booking deadlines, first contact, a booking cancelled with its
session. They key on the catalogue's names `FirstContactRecorded` and `WorkshopBookingCancelled`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.notification_service.facts import CautionFacts, facts_after
from services.notification_service.rules import (
    FIRST_CONTACT_OVERDUE,
    RULES,
    ReminderPolicy,
    first_contact_reminder_at,
    latest_session_day,
    react,
)
from shared.catalogue import CATALOGUE
from tests.notification_service.unit.test_notification_rules import assert_no_victim_data, data, issued, kinds

FACTS = CautionFacts("c-1", "CAMBS", "CC-REF-42", date(2026, 6, 22), workshop_gap_days=28)
POLICY = ReminderPolicy()


def reaction(name: str, payload: dict[str, Any], facts: CautionFacts = FACTS) -> Any:
    return react(name, payload, facts, POLICY)


def test_the_new_caution_events_are_decided() -> None:
    assert RULES["FirstContactRecorded"] and RULES["WorkshopBookingCancelled"]
    assert RULES["WorkshopRescheduled"] == []


def test_the_referral_tells_the_provider_the_latest_day_for_each_workshop() -> None:
    r = reaction("CautionIssued", issued())
    body = r.notices[0].body
    assert "2026-03-16" in body  # first contact: issued 2 March + 14 days
    assert "no later than 2026-05-25" in body  # A: the period's end (22 June) less the 28-day gap
    assert "B no later than 2026-06-22" in body
    assert_no_victim_data(r)


def test_the_referral_uses_this_cautions_gap_not_a_default() -> None:
    payload = issued()
    payload["conditions"] = {**payload["conditions"], "min_days_between_workshops": 35}
    assert "no later than 2026-05-18" in reaction("CautionIssued", payload).notices[0].body


def test_the_referral_arms_the_overdue_first_contact_reminder_for_the_morning_after_the_due_day() -> None:
    payload = issued()
    payload["conditions"] = {**payload["conditions"], "first_contact_days": 10}
    plans = {p.kind: p.due_at for p in reaction("CautionIssued", payload).schedule}
    assert plans[FIRST_CONTACT_OVERDUE] == datetime(2026, 3, 13, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("outcome,cancelled,told", [
    ("contacted", [FIRST_CONTACT_OVERDUE], []),
    ("declined_to_engage", [FIRST_CONTACT_OVERDUE], [("police", "declined_to_engage")]),
    ("no_response", [], []),  # an attempt only: the reminder stays armed
])
def test_first_contact(outcome: str, cancelled: list[str], told: list[tuple[str, str]]) -> None:
    r = reaction("FirstContactRecorded", data(method="phone", outcome=outcome))
    assert r.cancel == cancelled
    assert kinds(r) == told
    assert r.schedule == []
    if told:
        assert "CC-REF-42" in r.notices[0].title and "declined to engage" in r.notices[0].body
    assert_no_victim_data(r)


@pytest.mark.parametrize("workshop,latest", [("A", "2026-05-25"), ("B", "2026-06-22")])
def test_a_booking_cancelled_with_its_session_tells_the_provider_to_book_again_by_the_latest_day(
        workshop: str, latest: str) -> None:
    r = reaction("WorkshopBookingCancelled", data(workshop=workshop, session_id="s-1", reason="venue_unavailable"))
    assert kinds(r) == [("provider", "booking_needed")]
    notice = r.notices[0]
    assert f"workshop {workshop}" in notice.title and "CC-REF-42" in notice.title
    assert f"by {latest}" in notice.body and "venue unavailable" in notice.body
    assert r.schedule == [] and r.cancel == []
    assert_no_victim_data(r)


def test_without_a_known_gap_the_deadline_for_a_is_not_guessed() -> None:
    older = CautionFacts("c-1", "CAMBS", "CC-REF-42", date(2026, 6, 22))  # remembered before the gap was kept
    assert latest_session_day("A", older) is None and latest_session_day("B", older) == date(2026, 6, 22)
    body = reaction("WorkshopBookingCancelled", data(workshop="A", session_id="s-1", reason="other"), older
                    ).notices[0].body
    assert "2026-05-25" not in body and "2026-06-22" in body


def test_a_miss_tells_the_police_the_coded_reason_given() -> None:
    r = reaction("WorkshopMissed", data(workshop="B", reason="sent_home", absence_reason="medical",
                                        note="WHISPERED-NOTE-XYZ"))
    assert "sent home" in r.notices[0].body and "Reason given: medical" in r.notices[0].body
    assert_no_victim_data(r)


def test_failed_to_engage_is_a_miss_the_police_decide_on() -> None:
    r = reaction("WorkshopMissed", data(workshop="A", reason="failed_to_engage"))
    assert kinds(r) == [("police", "excuse_decision_needed")] and "failed to engage" in r.notices[0].body
    assert "Reason given" not in r.notices[0].body


def test_the_issue_keeps_the_gap_between_workshops_from_the_conditions() -> None:
    payload = {"police_reference": "CC-9", "period_ends_on": "2026-07-01",
               "conditions": {"caution_period_days": 112, "first_contact_days": 14, "min_days_between_workshops": 30}}
    after = facts_after(CATALOGUE["CautionIssued"], "c-9", "KENT", payload, None)
    assert after == CautionFacts("c-9", "KENT", "CC-9", date(2026, 7, 1), workshop_gap_days=30)
    varied = facts_after(CATALOGUE["ConditionsVaried"], "c-9", "KENT", {"period_ends_on": "2026-08-01"}, after)
    assert varied is not None and varied.workshop_gap_days == 30


def test_the_first_contact_reminder_is_the_morning_after_the_due_day() -> None:
    assert first_contact_reminder_at(date(2026, 3, 15), "2026-03-01T10:00:00+00:00") == datetime(2026, 3, 16, 9, 0,
                                                                                               tzinfo=UTC)


def test_a_caution_recorded_after_its_first_contact_day_is_reminded_an_hour_after_it_was_recorded() -> None:
    """Recorded late (a backdated caution), the provider has an hour to record a contact already made."""
    assert first_contact_reminder_at(date(2026, 3, 15), "2026-04-01T10:00:00+00:00") == datetime(2026, 4, 1, 11, 0,
                                                                                               tzinfo=UTC)
