"""Recording attendance at workshops A and B."""

from __future__ import annotations

from datetime import timedelta

from services.caution_service.domain.caution import CLOCK_SKEW
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import Conditions, MissReason, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    T0,
    at,
    attend_a,
    attend_b,
    book,
    breach,
    completed,
    event_names,
    issued,
    miss,
    referred,
    refused,
    with_a_attended,
    with_b_booked,
    withdraw,
)

PERIOD_END_DAY = 16 * 7


def test_attending_workshop_a_records_when() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    attend_a(c, A_DAY)
    assert event_names(c)[-1] == "WorkshopAAttended"
    assert c.attended_a_at == at(A_DAY)


def test_workshop_a_must_be_booked_before_it_is_attended() -> None:
    c = issued()
    with refused(ConflictsWithState, "workshop_not_booked", c):
        attend_a(c, A_DAY)


def test_workshop_a_cannot_be_attended_twice() -> None:
    c = with_a_attended()
    with refused(ConflictsWithState, "workshop_already_attended", c):
        attend_a(c, A_DAY + 1)


def test_workshop_b_must_be_booked_before_it_is_attended() -> None:
    c = with_a_attended()
    with refused(ConflictsWithState, "workshop_not_booked", c):
        attend_b(c, B_DAY)


def test_workshop_b_cannot_be_attended_before_workshop_a() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.B, B_DAY, on=1)
    with refused(ConflictsWithState, "workshop_a_first", c):
        attend_b(c, B_DAY)


def test_workshop_b_attended_exactly_28_days_after_a_is_accepted() -> None:
    c = with_b_booked()
    attend_b(c, A_DAY + 28)
    assert event_names(c)[-1] == "WorkshopBAttended"
    assert c.attended_b_at == at(A_DAY + 28)


def test_workshop_b_attended_27_days_after_a_is_refused() -> None:
    c = with_b_booked()
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        attend_b(c, A_DAY + 27, other_day="moved to an earlier session")


def test_workshop_b_gap_follows_the_caution_conditions() -> None:
    c = issued(conditions=Conditions(min_days_between_workshops=30))
    book(c, Workshop.A, A_DAY, on=1)
    attend_a(c, A_DAY)
    book(c, Workshop.B, A_DAY + 30, on=A_DAY)
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        attend_b(c, A_DAY + 29, other_day="moved to an earlier session")
    attend_b(c, A_DAY + 30)


def test_workshop_b_cannot_be_attended_twice() -> None:
    c = with_b_booked()
    attend_b(c, B_DAY)
    with refused(ConflictsWithState, "workshop_already_attended", c):
        attend_b(c, B_DAY + 1)


def test_attendance_on_the_last_day_of_the_caution_period_is_accepted() -> None:
    c = issued()
    book(c, Workshop.A, PERIOD_END_DAY, on=1)
    attend_a(c, PERIOD_END_DAY)
    assert c.attended_a_at == at(PERIOD_END_DAY)


def test_attendance_after_the_caution_period_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, PERIOD_END_DAY, on=1)
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        attend_a(c, PERIOD_END_DAY + 1)


def test_workshop_b_after_the_caution_period_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    attend_a(c, A_DAY)
    book(c, Workshop.B, PERIOD_END_DAY, on=A_DAY)
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        attend_b(c, PERIOD_END_DAY + 1)


def test_attendance_more_than_five_minutes_in_the_future_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    now = at(A_DAY)
    with refused(InvalidCommand, "not_in_future", c):
        attend_a(c, now + CLOCK_SKEW + timedelta(seconds=1), recorded_at=now)


def test_attendance_up_to_five_minutes_ahead_of_the_clock_is_accepted() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    now = at(A_DAY)
    attend_a(c, now + CLOCK_SKEW, recorded_at=now)
    assert c.attended_a_at == now + CLOCK_SKEW


def test_attendance_before_the_caution_was_issued_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, 0, on=0)
    with refused(InvalidCommand, "not_before_caution", c):
        attend_a(c, T0 - timedelta(minutes=1), recorded_at=T0 + timedelta(hours=1))


def test_attendance_without_a_utc_offset_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "time_needs_offset", c):
        attend_a(c, at(A_DAY).replace(tzinfo=None), recorded_at=at(A_DAY))


def test_attendance_is_refused_while_a_miss_awaits_an_excuse_decision() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    with refused(ConflictsWithState, "excuse_decision_pending", c):
        attend_b(c, B_DAY + 1)


def test_attending_a_is_refused_while_its_miss_awaits_a_decision() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY, MissReason.ARRIVED_LATE)
    with refused(ConflictsWithState, "excuse_decision_pending", c):
        attend_a(c, A_DAY)


def test_attendance_is_refused_once_the_caution_is_closed() -> None:
    for make, close in ((referred, lambda c: breach(c, B_DAY + 2)), (with_b_booked, lambda c: withdraw(c, A_DAY + 1))):
        c = make()
        close(c)
        with refused(ConflictsWithState, "caution_is_closed", c):
            attend_b(c, B_DAY)


def test_attendance_is_refused_after_completion() -> None:
    c = completed()
    with refused(ConflictsWithState, "caution_is_closed", c):
        attend_b(c, B_DAY + 2)
