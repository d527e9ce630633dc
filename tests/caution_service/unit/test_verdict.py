"""The verdict a court reads, true on the day it is read (DOMAIN.md's verdict table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.caution_service.domain.values import Booking, BreachOutcome, ContactStage, Workshop
from services.caution_service.domain.verdict import verdict

from .builders import (
    A_DAY,
    B_DAY,
    ISSUED_ON,
    PROVIDER,
    at,
    attend_a,
    attend_b,
    book,
    breach,
    complete,
    completed,
    contact,
    decide,
    issued,
    miss,
    pass_deadline,
    ready_to_complete,
    when,
    with_a_attended,
    with_b_booked,
    withdraw,
)

LAST_DAY = ISSUED_ON + timedelta(weeks=16)  # 2026-06-22
DAY_AFTER = LAST_DAY + timedelta(days=1)
PERIOD_END_DAY = 16 * 7
NO_ENTRIES: list[dict[str, Any]] = []


def test_the_period_ended_unmet_with_the_deadline_recorded_is_not_complied_pending_a_decision() -> None:
    """The found bug: this said in_progress, and the certificate "the caution period has not concluded"."""
    c = with_a_attended()
    pass_deadline(c, PERIOD_END_DAY + 5)
    v = verdict(c, NO_ENTRIES, DAY_AFTER + timedelta(days=4))
    assert v == {"outcome": "not_complied", "decision": "breach_decision_pending", "reasons": [
        "The caution period ended on 2026-06-22 without every condition met.",
        "Not met: workshop B not attended.",
        "Not met: victim not contacted after workshop A.",
        "A police decision on the breach is due.",
    ]}


def test_the_clock_decides_not_the_monitor() -> None:
    c = with_a_attended()  # nothing recorded after the period ended
    assert verdict(c, NO_ENTRIES, LAST_DAY)["outcome"] == "in_progress"
    after = verdict(c, NO_ENTRIES, DAY_AFTER)
    assert (after["outcome"], after["decision"]) == ("not_complied", "breach_decision_pending")
    assert after["reasons"][0] == "The caution period ended on 2026-06-22 without every condition met."


def test_on_its_last_day_the_period_runs_and_nothing_says_it_has_ended() -> None:
    c = with_a_attended()
    v = verdict(c, NO_ENTRIES, LAST_DAY)
    assert v == {"outcome": "in_progress", "decision": None, "reasons": [
        "Not yet met: workshop B not attended.",
        "Not yet met: victim not contacted after workshop A.",
        "The caution period ends on 2026-06-22.",  # B can still be attended today
    ]}


def test_an_open_caution_that_can_no_longer_fit_its_workshops_says_the_conditions_must_be_varied() -> None:
    c = issued()
    book(c, Workshop.A, PERIOD_END_DAY - 10, on=1)
    v = verdict(c, NO_ENTRIES, LAST_DAY - timedelta(days=27))
    assert (v["outcome"], v["decision"]) == ("in_progress", None)
    assert v["reasons"][-1] == ("Too little of the period is left for the workshops still to attend (A, then B at "
                                "least 28 days later): the conditions must be varied.")
    assert "varied" not in " ".join(verdict(c, NO_ENTRIES, LAST_DAY - timedelta(days=28))["reasons"])


def test_a_rejected_excuse_after_the_period_ended_is_not_complied_and_says_it_was_referred() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY)
    decide(c, False, A_DAY + 1)
    during = verdict(c, NO_ENTRIES, at(A_DAY + 1).date())
    assert during["outcome"] == "in_progress"
    assert during["reasons"][-1] == "An excuse was rejected; the case is referred for a breach decision."
    after = verdict(c, NO_ENTRIES, DAY_AFTER)
    assert (after["outcome"], after["decision"]) == ("not_complied", "breach_decision_pending")
    assert after["reasons"][-2:] == ["An excuse was rejected; the case is referred for a breach decision.",
                                     "A police decision on the breach is due."]


def test_a_breach_names_its_decision() -> None:
    for outcome in BreachOutcome:
        c = with_b_booked()
        miss(c, Workshop.B, B_DAY)
        decide(c, False, B_DAY + 1)
        breach(c, B_DAY + 2, outcome)
        sentence = f"Breach decided ({outcome.value}): did not comply"
        for today in (at(B_DAY + 2).date(), DAY_AFTER + timedelta(days=300)):
            assert verdict(c, [{"event_type": "Breached", "summary": sentence}], today) == {
                "outcome": "not_complied", "decision": outcome.value, "reasons": [sentence]}


def test_a_withdrawn_caution_is_set_aside() -> None:
    c = issued()
    withdraw(c, 4)
    entries = [{"event_type": "CautionIssued", "summary": "issued"},
               {"event_type": "Withdrawn", "summary": "Caution withdrawn: issued in error"}]
    assert verdict(c, entries, DAY_AFTER) == {"outcome": "withdrawn", "decision": None, "reasons": [
        "Caution withdrawn: issued in error", "The caution was set aside: there is no caution to cite."]}


def test_a_completed_caution_complied_with_the_dates_that_prove_it_true_on_any_day() -> None:
    c = completed()
    expected = {"outcome": "complied", "decision": None, "reasons": [
        "Workshop A attended on 2026-03-12.",
        "Workshop B attended on 2026-04-09, 28 days after A.",
        "The victim was contacted after workshop A.",
        "Both workshops inside the caution period (2026-03-02 to 2026-06-22).",  # never "ended" while it runs
    ]}
    assert verdict(c, NO_ENTRIES, at(B_DAY + 1).date()) == expected
    assert verdict(c, NO_ENTRIES, DAY_AFTER) == expected


def test_attendance_days_are_uk_days() -> None:
    c = issued()
    a_time = datetime(2026, 3, 30, 23, 30, tzinfo=UTC)  # 00:30 BST on 31 March
    c.schedule_workshop(Workshop.A, Booking(a_time - timedelta(minutes=15), "Hall 1"), None, **when(1),
                        recorded_by=PROVIDER)
    attend_a(c, a_time)
    contact(c, ContactStage.AFTER_WORKSHOP_A, 30)
    book(c, Workshop.B, 58, on=30)
    attend_b(c, 58)
    complete(c, 59)
    reasons = verdict(c, NO_ENTRIES, DAY_AFTER)["reasons"]
    assert reasons[:2] == ["Workshop A attended on 2026-03-31.", "Workshop B attended on 2026-04-29, 29 days after A."]


def test_a_completion_the_corrected_facts_no_longer_support_is_not_called_complied() -> None:
    """Corrections (the rules helper's) may move an attendance after completion: the verdict follows the facts."""
    c = completed()
    c.attended_b_at = at(A_DAY + 20)  # as a correction of B's time would leave it: 20 days after A
    v = verdict(c, NO_ENTRIES, at(B_DAY + 5).date())
    assert (v["outcome"], v["decision"]) == ("not_complied", "breach_decision_pending")
    assert "Not met: workshop B attended 20 days after A (at least 28 needed)." in v["reasons"]
    assert not any("contacted after workshop A" in r and "Not met" not in r for r in v["reasons"])
    c = completed()
    c.attended_a_at = at(-1)  # before the caution was given
    assert verdict(c, NO_ENTRIES, DAY_AFTER)["outcome"] == "not_complied"
    c = completed()
    c.contacted_after_a = False
    assert "Not met: victim not contacted after workshop A." in verdict(c, NO_ENTRIES, DAY_AFTER)["reasons"]


def test_conditions_met_in_the_period_but_completion_not_recorded_by_its_end() -> None:
    c = ready_to_complete()
    running = verdict(c, NO_ENTRIES, LAST_DAY)
    assert running == {"outcome": "in_progress", "decision": None, "reasons": [
        "Every condition is met; completion is yet to be recorded.", "The caution period ends on 2026-06-22."]}
    ended = verdict(c, NO_ENTRIES, DAY_AFTER)
    assert (ended["outcome"], ended["decision"]) == ("complied", None)
    assert ended["reasons"][-1] == "Every condition was met inside the period; completion has not been recorded yet."
