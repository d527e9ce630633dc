"""What the provider must book now and by when (issue 18): A no later than the period's end less the gap, so B fits;
B no later than the period's end."""

from __future__ import annotations

from datetime import timedelta

from services.caution_service.domain.progress import booking_needed, required_actions
from services.caution_service.domain.values import Workshop
from tests.support import at

from .builders import (
    A_DAY,
    B_DAY,
    ISSUED_ON,
    attend_a,
    attend_b,
    book,
    cancel_booking,
    decide,
    issued,
    miss,
    with_a_attended,
    with_b_booked,
    withdraw,
)

PERIOD_END = ISSUED_ON + timedelta(weeks=16)
LATEST_A = PERIOD_END - timedelta(days=28)
TODAY = ISSUED_ON + timedelta(days=1)


def test_a_new_caution_needs_a_booked_by_the_period_end_less_the_gap() -> None:
    c = issued()
    assert booking_needed(c, TODAY) == (Workshop.A, LATEST_A)
    assert ("schedule_workshop_a", "provider", LATEST_A) in [(a.action, a.role, a.due_on)
                                                             for a in required_actions(c, TODAY)]


def test_a_booked_on_the_latest_day_still_fits_b_on_the_period_s_last_day() -> None:
    c = issued()
    latest_day = (LATEST_A - ISSUED_ON).days
    book(c, Workshop.A, latest_day, on=1)
    assert booking_needed(c, TODAY) is None
    attend_a(c, latest_day)
    assert booking_needed(c, LATEST_A) == (Workshop.B, PERIOD_END)
    book(c, Workshop.B, latest_day + 28, on=latest_day)  # the period's last day: accepted
    assert c.booking_b is not None and c.booking_b.session_at.date() == PERIOD_END
    assert booking_needed(c, LATEST_A) is None


def test_after_a_b_is_needed_by_the_period_end_and_nothing_once_booked_or_attended() -> None:
    c = with_a_attended()
    assert booking_needed(c, at(A_DAY).date()) == (Workshop.B, PERIOD_END)
    c = with_b_booked()
    assert booking_needed(c, at(A_DAY + 1).date()) is None
    attend_b(c, B_DAY)
    assert booking_needed(c, at(B_DAY).date()) is None


def test_a_whose_session_was_cancelled_must_fit_before_the_b_still_booked() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1, session_id="s-a")
    book(c, Workshop.B, B_DAY + 7, on=1, session_id="s-b")
    cancel_booking(c, Workshop.A, "s-a", 2)
    assert booking_needed(c, TODAY) == (Workshop.A, at(B_DAY + 7 - 28).date())


def test_nothing_to_book_while_a_miss_awaits_the_police_nor_once_closed_nor_after_the_period() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY)
    assert booking_needed(c, at(A_DAY).date()) is None
    decide(c, True, A_DAY + 1)  # both to do again
    assert booking_needed(c, at(A_DAY + 1).date()) == (Workshop.A, LATEST_A)
    assert booking_needed(c, PERIOD_END) == (Workshop.A, LATEST_A)  # late: the police are asked to vary
    assert booking_needed(c, PERIOD_END + timedelta(days=1)) is None
    withdraw(c, A_DAY + 2)
    assert booking_needed(c, at(A_DAY + 2).date()) is None
