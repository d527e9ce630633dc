"""Varying the caution period (statutory maximum 20 weeks) and recording that the deadline passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.caution_service.domain.errors import ConflictsWithState, DomainError, InvalidCommand
from services.caution_service.domain.values import ContactStage, Status, Workshop
from shared.uk_time import end_of_uk_day, uk_date

from .builders import (
    A_DAY,
    B_DAY,
    ISSUED_ON,
    POLICE,
    SYSTEM,
    at,
    attend_a,
    attend_b,
    book,
    breach,
    complete,
    completed,
    contact,
    event_names,
    issued,
    pass_deadline,
    pending,
    referred,
    refused,
    vary,
    with_b_booked,
)

PERIOD_END_DAY = 16 * 7


def test_varying_the_period_records_the_old_and_new_end() -> None:
    c = issued()
    vary(c, ISSUED_ON + timedelta(weeks=18), 20)
    assert event_names(c)[-1] == "ConditionsVaried"
    event = pending(c)
    assert event.previous_period_ends_on == ISSUED_ON + timedelta(weeks=16)
    assert event.period_ends_on == ISSUED_ON + timedelta(weeks=18)
    assert event.authorised_by == "INSP-9"
    assert c.period_ends_on == ISSUED_ON + timedelta(weeks=18)


def test_the_period_can_be_varied_up_to_the_20_week_statutory_maximum() -> None:
    c = issued()
    vary(c, ISSUED_ON + timedelta(weeks=20), 20)
    assert c.period_ends_on == ISSUED_ON + timedelta(weeks=20)


def test_the_period_cannot_be_varied_beyond_20_weeks() -> None:
    c = issued()
    with refused(InvalidCommand, "statutory_maximum_period", c):
        vary(c, ISSUED_ON + timedelta(weeks=20, days=1), 20)


def test_the_period_must_end_after_the_caution_date() -> None:
    c = issued()
    with refused(InvalidCommand, "period_must_end_after_issue", c):
        vary(c, ISSUED_ON, 1)


def test_a_variation_cannot_end_the_period_before_an_attended_workshop() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    attend_a(c, A_DAY)
    with refused(InvalidCommand, "variation_would_exclude_attendance", c):
        vary(c, at(A_DAY - 1).date(), A_DAY)
    vary(c, at(A_DAY).date(), A_DAY)  # ending on the day of the workshop (today) is fine


def test_a_longer_period_lets_a_later_workshop_be_booked() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        book(c, Workshop.A, PERIOD_END_DAY + 7, on=2, reason="offender in hospital")
    vary(c, ISSUED_ON + timedelta(weeks=20), 2)
    book(c, Workshop.A, PERIOD_END_DAY + 7, on=2, reason="offender in hospital")


def test_the_deadline_cannot_be_recorded_as_passed_on_the_last_day_of_the_period() -> None:
    c = issued()
    with refused(ConflictsWithState, "deadline_not_passed", c):
        pass_deadline(c, PERIOD_END_DAY)


def test_the_deadline_is_recorded_as_passed_the_day_after_the_period_ends() -> None:
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 1)
    assert event_names(c)[-1] == "ComplianceDeadlinePassed"
    assert pending(c).period_ended_on == ISSUED_ON + timedelta(weeks=16)
    assert pending(c).recorded_by == SYSTEM
    # it happened when the period ended (the end of its last UK day: 00:00 BST, 23:00 UTC), not when noticed
    assert pending(c).occurred_at == end_of_uk_day(ISSUED_ON + timedelta(weeks=16))
    assert pending(c).occurred_at == datetime(2026, 6, 22, 23, 0, tzinfo=UTC)
    assert pending(c).recorded_at == at(PERIOD_END_DAY + 1)
    assert c.status is Status.DEADLINE_PASSED
    assert c.is_open


def test_the_deadline_passing_is_recorded_once() -> None:
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 1)
    with refused(ConflictsWithState, "deadline_already_recorded", c):
        pass_deadline(c, PERIOD_END_DAY + 2)


def test_a_variation_that_extends_the_period_beyond_today_clears_deadline_passed() -> None:
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 1)
    vary(c, ISSUED_ON + timedelta(weeks=20), PERIOD_END_DAY + 2)
    assert not c.deadline_passed
    assert c.status is Status.ACTIVE


def test_a_variation_whose_new_end_is_still_past_is_refused_and_the_deadline_stays_passed() -> None:
    """Issue 17: a variation cannot end the period before the day it is made."""
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 10)
    with refused(InvalidCommand, "variation_cannot_end_the_period_in_the_past", c):
        vary(c, ISSUED_ON + timedelta(days=PERIOD_END_DAY + 5), PERIOD_END_DAY + 10)
    assert c.status is Status.DEADLINE_PASSED


def test_after_a_variation_clears_it_the_deadline_can_pass_again() -> None:
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 1)
    vary(c, ISSUED_ON + timedelta(days=PERIOD_END_DAY + 5), PERIOD_END_DAY + 2)
    with refused(ConflictsWithState, "deadline_not_passed", c):
        pass_deadline(c, PERIOD_END_DAY + 5)
    pass_deadline(c, PERIOD_END_DAY + 6)
    assert c.status is Status.DEADLINE_PASSED


def test_conditions_cannot_be_varied_or_the_deadline_recorded_once_closed() -> None:
    c = completed()
    with refused(ConflictsWithState, "caution_is_closed", c):
        vary(c, ISSUED_ON + timedelta(weeks=20), B_DAY + 2)
    c = referred()
    breach(c, B_DAY + 2)
    with refused(ConflictsWithState, "caution_is_closed", c):
        pass_deadline(c, PERIOD_END_DAY + 1)


def test_conditions_met_after_the_deadline_passed_can_still_complete() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    attend_b(c, B_DAY)
    pass_deadline(c, PERIOD_END_DAY + 1)
    complete(c, PERIOD_END_DAY + 2)
    assert c.status is Status.COMPLETED


LAST_DAY = ISSUED_ON + timedelta(weeks=16)  # 22 June 2026, in BST: it ends at 23:00 UTC


def test_the_deadline_can_be_recorded_once_the_last_uk_day_is_over_though_the_utc_day_is_not() -> None:
    early, late = issued(), issued()
    with refused(ConflictsWithState, "deadline_not_passed", early):
        early.record_deadline_passed(recorded_at=datetime(2026, 6, 22, 22, 59, tzinfo=UTC), recorded_by=SYSTEM)
    late.record_deadline_passed(recorded_at=datetime(2026, 6, 22, 23, 30, tzinfo=UTC), recorded_by=SYSTEM)
    assert late.status is Status.DEADLINE_PASSED
    assert pending(late).occurred_at == datetime(2026, 6, 22, 23, 0, tzinfo=UTC)


def test_a_deadline_noticed_weeks_late_still_happened_when_the_period_ended() -> None:
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 30)
    assert uk_date(pending(c).occurred_at) == LAST_DAY + timedelta(days=1)  # 00:00 on the day after the last
    assert pending(c).occurred_at == end_of_uk_day(LAST_DAY)


def test_a_variation_whose_end_is_a_uk_day_already_over_does_not_reopen_the_period() -> None:
    """The reset compares UK days: 23:30 UTC on the new last day is already the next day in the UK."""
    c = issued()
    pass_deadline(c, PERIOD_END_DAY + 1)
    new_end = LAST_DAY + timedelta(days=3)
    moment = datetime.combine(new_end, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23, minutes=30)
    try:
        c.vary_conditions(new_end, "illness", "INSP-9", occurred_at=moment, recorded_at=moment, recorded_by=POLICE)
    except DomainError:
        pass  # refusing a period that ends before today is as good: nothing says the period runs
    assert c.status is Status.DEADLINE_PASSED
