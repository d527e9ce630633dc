"""The record refuses what cannot have happened (issue 17): an attendance on another day than the booked session's
without the reason, a breach decision with no failure to rest on, a variation ending the period before the day it
is made, and a repeated round completed on the first round's victim contact.

Days are UK days (shared/uk_time.py): the caution period is in British Summer Time here, so 23:30 UTC is already
the next day in the UK.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import Booking, BreachFailure, BreachOutcome, ContactStage, Status, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    ISSUED_ON,
    POLICE,
    PROVIDER,
    attend_a,
    attend_b,
    book,
    breach,
    complete,
    contact,
    decide,
    issued,
    miss,
    pass_deadline,
    pending,
    referred,
    refused,
    vary,
    with_a_attended,
    with_b_booked,
)

PERIOD_END_DAY = 16 * 7
PERIOD_END = ISSUED_ON + timedelta(days=PERIOD_END_DAY)  # 22 June 2026, in BST


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


# ----- attendance on the booked session's day -----------------------------------------------------


def test_an_attendance_ten_days_before_the_booked_session_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY + 10, on=1)
    with refused(InvalidCommand, "attendance_on_the_booked_day", c) as caught:
        attend_a(c, A_DAY)
    assert "22 March 2026" in caught.value.message and "12 March 2026" in caught.value.message


def test_an_attendance_on_another_day_is_accepted_with_the_reason_and_the_event_keeps_it() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY + 10, on=1)
    attend_a(c, A_DAY, other_day="the provider moved him to the earlier group")
    event = pending(c)
    assert event.reason_not_on_booked_day == "the provider moved him to the earlier group"
    assert c.attended_a_at is not None


def test_a_blank_reason_is_no_reason() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY + 1, on=1)
    with refused(InvalidCommand, "attendance_on_the_booked_day", c):
        attend_a(c, A_DAY, other_day="   ")


def test_an_attendance_on_the_booked_day_needs_no_reason_and_records_none() -> None:
    c = with_a_attended()
    assert pending(c).reason_not_on_booked_day is None


def test_workshop_b_too_must_be_on_its_booked_day() -> None:
    c = with_b_booked()
    with refused(InvalidCommand, "attendance_on_the_booked_day", c):
        attend_b(c, B_DAY + 1)
    attend_b(c, B_DAY + 1, other_day="the session ran a day late")


def test_the_booked_day_is_the_uk_day_not_the_utc_day() -> None:
    """A session at 23:30 UTC on 1 June is at 00:30 BST on 2 June: that is the booked day."""
    session = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    c = issued()
    c.schedule_workshop(Workshop.A, Booking(session, "Hall 1"), None, occurred_at=utc(session, 9) - timedelta(days=5),
                        recorded_at=utc(session, 9) - timedelta(days=5), recorded_by=PROVIDER)
    late_on_1_june = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # 23:30 BST on 1 June: the day before
    with refused(InvalidCommand, "attendance_on_the_booked_day", c):
        attend_a(c, late_on_1_june)
    attend_a(c, datetime(2026, 6, 2, 1, 0, tzinfo=UTC))  # 02:00 BST on 2 June: a UTC day later than booked, same UK day
    assert c.attended_a_at == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)


# ----- a breach decision rests on a failure -------------------------------------------------------


def test_a_breach_with_nothing_missed_while_the_period_runs_is_refused_naming_what_is_missing() -> None:
    c = with_a_attended()
    with refused(ConflictsWithState, "breach_needs_a_failure", c) as caught:
        breach(c, A_DAY + 5)
    assert "no excuse has been rejected" in caught.value.message
    assert "22 June 2026" in caught.value.message


def test_a_miss_awaiting_its_excuse_decision_is_not_yet_a_failure() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    with refused(ConflictsWithState, "breach_needs_a_failure", c):
        breach(c, B_DAY + 1)


def test_a_breach_after_a_rejected_excuse_records_that_failure() -> None:
    c = referred()
    breach(c, B_DAY + 2)
    assert c.status is Status.BREACHED
    assert pending(c).failure is BreachFailure.EXCUSE_REJECTED


def test_a_breach_after_the_deadline_was_recorded_rests_on_the_period_ending() -> None:
    c = with_a_attended()
    pass_deadline(c, PERIOD_END_DAY + 1)
    breach(c, PERIOD_END_DAY + 2, BreachOutcome.NO_FURTHER_ACTION)
    assert pending(c).failure is BreachFailure.PERIOD_ENDED


def test_the_period_ended_once_its_last_uk_day_is_over_even_before_the_deadline_is_recorded() -> None:
    c = with_a_attended()
    last_evening = utc(PERIOD_END, 22, 30)  # 23:30 BST on the period's last day
    with refused(ConflictsWithState, "breach_needs_a_failure", c):
        c.breach(BreachOutcome.PROSECUTE, "x", occurred_at=last_evening, recorded_at=last_evening, recorded_by=POLICE)
    next_day = utc(PERIOD_END, 23, 30)  # 00:30 BST the day after: the period has ended
    c.breach(BreachOutcome.PROSECUTE, "x", occurred_at=next_day, recorded_at=next_day, recorded_by=POLICE)
    assert pending(c).failure is BreachFailure.PERIOD_ENDED


def test_a_period_ended_with_every_condition_met_is_no_failure_the_caution_is_to_be_completed() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    attend_b(c, B_DAY)
    with refused(ConflictsWithState, "breach_needs_a_failure", c):
        breach(c, PERIOD_END_DAY + 3)


# ----- a variation cannot end the period before today ----------------------------------------------


def test_a_variation_ending_the_period_three_days_ago_is_refused() -> None:
    c = issued()
    with refused(InvalidCommand, "variation_cannot_end_the_period_in_the_past", c) as caught:
        vary(c, ISSUED_ON + timedelta(days=47), 50)
    assert "21 April 2026" in caught.value.message and "18 April 2026" in caught.value.message


def test_a_variation_ending_the_period_today_is_accepted() -> None:
    c = issued()
    vary(c, ISSUED_ON + timedelta(days=50), 50)
    assert c.period_ends_on == ISSUED_ON + timedelta(days=50)


def test_today_is_the_uk_day_the_variation_is_made() -> None:
    c = issued()
    made = utc(ISSUED_ON + timedelta(days=50), 23, 30)  # already the next day in the UK (BST)
    with refused(InvalidCommand, "variation_cannot_end_the_period_in_the_past", c):
        c.vary_conditions(ISSUED_ON + timedelta(days=50), "x", "INSP-9", occurred_at=made, recorded_at=made,
                          recorded_by=POLICE)


# ----- a repeated round needs its own victim contact after the repeated A ----------------------------


def repeated_round_with_b_attended(*, contact_again: bool) -> Caution:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)  # the first round's contact
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    book(c, Workshop.A, B_DAY + 3, on=B_DAY + 2)
    attend_a(c, B_DAY + 3)
    if contact_again:
        contact(c, ContactStage.AFTER_WORKSHOP_A, B_DAY + 4)
    book(c, Workshop.B, B_DAY + 31, on=B_DAY + 4)
    attend_b(c, B_DAY + 31)
    return c


def test_a_repeated_round_does_not_complete_on_the_first_rounds_victim_contact() -> None:
    c = repeated_round_with_b_attended(contact_again=False)
    assert not c.contacted_after_a
    with refused(ConflictsWithState, "conditions_not_met", c) as caught:
        complete(c, B_DAY + 32)
    assert "victim not contacted after workshop A" in caught.value.message


def test_a_repeated_round_completes_with_its_own_contact_after_the_repeated_a() -> None:
    c = repeated_round_with_b_attended(contact_again=True)
    complete(c, B_DAY + 32)
    assert c.status is Status.COMPLETED


def test_the_repeated_rounds_contact_is_measured_from_the_repeated_a() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    book(c, Workshop.A, B_DAY + 3, on=B_DAY + 2)
    attend_a(c, B_DAY + 3)
    with refused(InvalidCommand, "victim_contact_after_workshop_a", c):
        contact(c, ContactStage.AFTER_WORKSHOP_A, B_DAY + 2)  # after the first A, before the repeated one
    contact(c, ContactStage.AFTER_WORKSHOP_A, B_DAY + 3)
    assert c.contacted_after_a


def test_a_rejected_excuse_keeps_the_rounds_contact() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    miss(c, Workshop.B, B_DAY)
    decide(c, False, B_DAY + 1)
    assert c.contacted_after_a and c.round == 1
