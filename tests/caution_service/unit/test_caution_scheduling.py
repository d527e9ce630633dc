"""Booking and rebooking workshops A and B."""

from __future__ import annotations

from datetime import timedelta

from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import Booking, Conditions, MissReason, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    PROVIDER,
    at,
    attend_a,
    book,
    breach,
    completed,
    event_names,
    issued,
    miss,
    pending,
    refused,
    with_a_attended,
    withdraw,
)

PERIOD_END_DAY = 16 * 7


def test_booking_workshop_a_records_workshop_scheduled() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    assert event_names(c)[-1] == "WorkshopScheduled"
    assert c.booking_a == Booking(at(A_DAY), "Hall 1")
    event = pending(c)
    assert event.workshop is Workshop.A
    assert event.recorded_by == PROVIDER


def test_rebooking_a_workshop_without_a_reason_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "reschedule_needs_reason", c):
        book(c, Workshop.A, A_DAY + 3, on=2)


def test_rebooking_a_workshop_with_a_blank_reason_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "reschedule_needs_reason", c):
        book(c, Workshop.A, A_DAY + 3, on=2, reason="   ")


def test_rebooking_with_a_reason_records_workshop_rescheduled_keeping_the_old_booking() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.A, A_DAY + 3, on=2, reason="venue flooded")
    assert event_names(c)[-2:] == ["WorkshopScheduled", "WorkshopRescheduled"]
    event = pending(c)
    assert event.previous == Booking(at(A_DAY), "Hall 1")
    assert event.booking == Booking(at(A_DAY + 3), "Hall 1")
    assert event.reason == "venue flooded"
    assert c.booking_a == Booking(at(A_DAY + 3), "Hall 1")


def test_rebooking_workshop_b_also_needs_a_reason() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.B, B_DAY, on=1)
    with refused(InvalidCommand, "reschedule_needs_reason", c):
        book(c, Workshop.B, B_DAY + 1, on=2)
    book(c, Workshop.B, B_DAY + 1, on=2, reason="facilitator ill")
    assert c.booking_b is not None and c.booking_b.session_at == at(B_DAY + 1)


def test_session_on_the_last_day_of_the_caution_period_is_allowed() -> None:
    c = issued()
    book(c, Workshop.A, PERIOD_END_DAY, on=1)
    assert c.booking_a is not None


def test_session_after_the_caution_period_is_refused() -> None:
    c = issued()
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        book(c, Workshop.A, PERIOD_END_DAY + 1, on=1)


def test_session_before_the_caution_date_is_refused() -> None:
    c = issued()
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        book(c, Workshop.A, -1, on=0)


def test_rebooking_outside_the_caution_period_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        book(c, Workshop.A, PERIOD_END_DAY + 1, on=2, reason="provider asked")


def test_workshop_b_cannot_be_booked_before_workshop_a() -> None:
    c = issued()
    with refused(ConflictsWithState, "workshop_a_first", c):
        book(c, Workshop.B, B_DAY, on=1)


def test_workshop_b_booked_exactly_28_days_after_a_is_allowed() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.B, A_DAY + 28, on=1)
    assert c.booking_b is not None


def test_workshop_b_booked_27_days_after_a_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        book(c, Workshop.B, A_DAY + 27, on=1)


def test_workshop_b_gap_is_counted_in_days_whatever_the_hour() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)  # 10:00
    b = Booking(at(A_DAY + 28, hour=8), "Hall 2")  # 27 days 22 hours later, but 28 calendar days
    c.schedule_workshop(Workshop.B, b, None, occurred_at=at(1), recorded_at=at(1), recorded_by=PROVIDER)
    assert c.booking_b == b


def test_workshop_b_gap_is_counted_in_uk_days_as_the_attendance_counts_it() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)  # 12 March, GMT
    assert c.earliest_day_for_b() == at(A_DAY + 28).date()  # 9 April, in British Summer Time
    too_soon = Booking(at(A_DAY + 27, hour=22).replace(minute=30), "Hall 2")  # 23:30 on 8 April in the UK
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        c.schedule_workshop(Workshop.B, too_soon, None, occurred_at=at(1), recorded_at=at(1), recorded_by=PROVIDER)
    first = Booking(at(A_DAY + 27, hour=23).replace(minute=30), "Hall 2")  # 00:30 on 9 April in the UK
    c.schedule_workshop(Workshop.B, first, None, occurred_at=at(1), recorded_at=at(1), recorded_by=PROVIDER)
    assert c.booking_b == first


def test_workshop_b_gap_uses_the_gap_in_the_caution_conditions() -> None:
    c = issued(conditions=Conditions(min_days_between_workshops=35))
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        book(c, Workshop.B, A_DAY + 34, on=1)
    book(c, Workshop.B, A_DAY + 35, on=1)


def test_workshop_b_gap_is_measured_from_the_day_a_was_attended() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    attend_a(c, A_DAY + 3, other_day="moved to a later session")  # attended later than booked
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        book(c, Workshop.B, A_DAY + 28, on=A_DAY + 4)
    book(c, Workshop.B, A_DAY + 31, on=A_DAY + 4)


def test_moving_workshop_a_too_close_to_the_booked_workshop_b_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.B, B_DAY, on=1)
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        book(c, Workshop.A, A_DAY + 1, on=2, reason="offender at work")


def test_moving_workshop_a_earlier_while_b_is_booked_is_allowed() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.B, B_DAY, on=1)
    book(c, Workshop.A, A_DAY - 2, on=2, reason="earlier place free")
    assert c.booking_a is not None and c.booking_a.session_at == at(A_DAY - 2)


def test_an_attended_workshop_cannot_be_booked_again() -> None:
    c = with_a_attended()
    with refused(ConflictsWithState, "workshop_already_attended", c):
        book(c, Workshop.A, A_DAY + 5, on=A_DAY + 1, reason="again")


def test_booking_is_refused_while_a_missed_workshop_awaits_an_excuse_decision() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY, MissReason.ARRIVED_LATE)
    with refused(ConflictsWithState, "excuse_decision_pending", c):
        book(c, Workshop.A, A_DAY + 7, on=A_DAY + 1, reason="after miss")


def test_booking_made_in_the_future_is_refused() -> None:
    c = issued()
    booking = Booking(at(A_DAY), "Hall 1")
    with refused(InvalidCommand, "not_in_future", c):
        c.schedule_workshop(Workshop.A, booking, None, occurred_at=at(2), recorded_at=at(1), recorded_by=PROVIDER)


def test_booking_made_before_the_caution_is_refused() -> None:
    c = issued()
    booking = Booking(at(A_DAY), "Hall 1")
    with refused(InvalidCommand, "not_before_caution", c):
        c.schedule_workshop(
            Workshop.A, booking, None, occurred_at=at(0) - timedelta(hours=1), recorded_at=at(1), recorded_by=PROVIDER
        )


def test_booking_is_refused_once_the_caution_is_closed() -> None:
    for close in (lambda c: breach(c, 16 * 7 + 1), lambda c: withdraw(c, 2)):
        c = issued()
        close(c)
        with refused(ConflictsWithState, "caution_is_closed", c):
            book(c, Workshop.A, A_DAY, on=3)


def test_booking_is_refused_after_completion() -> None:
    c = completed()
    with refused(ConflictsWithState, "caution_is_closed", c):
        book(c, Workshop.A, B_DAY + 2, on=B_DAY + 2, reason="extra")
