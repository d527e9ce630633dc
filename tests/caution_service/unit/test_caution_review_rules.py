"""Rules added after review: misses follow the session, variations keep bookings, corrections move the after-A clock."""

from __future__ import annotations

from datetime import timedelta

from services.caution_service.domain.errors import InvalidCommand
from services.caution_service.domain.values import ContactStage, Workshop

from .builders import A_DAY, B_DAY, at, book, contact, correct, issued, miss, refused, vary, with_a_attended


def test_a_miss_cannot_be_recorded_before_the_session_begins() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "miss_after_session_start", c):
        miss(c, Workshop.A, A_DAY - 1)


def test_a_variation_cannot_end_the_period_before_a_booked_session() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.B, B_DAY, on=1)
    with refused(InvalidCommand, "variation_would_exclude_booking", c):
        vary(c, at(B_DAY - 1).date(), day=2)


def test_a_variation_that_keeps_every_booking_is_accepted() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    vary(c, at(B_DAY + 5).date(), day=2)
    assert c.period_ends_on == at(B_DAY + 5).date()


def test_correcting_the_first_workshop_a_time_moves_the_after_a_contact_rule() -> None:
    c = with_a_attended()
    a_entry = c.attended_a_version
    assert a_entry is not None
    correct(c, a_entry, at(A_DAY) + timedelta(days=2), day=A_DAY + 2)
    assert c.first_attended_a_at == at(A_DAY) + timedelta(days=2)
    with refused(InvalidCommand, "victim_contact_after_workshop_a", c):
        contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
