"""The provider's first contact (issue 18): recorded with how and its outcome; only contact made meets the
conditions' first_contact_days, and a caution without it is overdue for the provider after them."""

from __future__ import annotations

from datetime import date, timedelta

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.progress import first_contact_due_on, required_actions
from services.caution_service.domain.values import FirstContactMethod, FirstContactOutcome, Workshop
from tests.support import T0, at

from .builders import (
    A_DAY,
    ISSUED_ON,
    PROVIDER,
    book,
    correct,
    first_contact,
    issued,
    pending,
    refused,
    strike,
    withdraw,
)

FOURTEENTH_DAY = ISSUED_ON + timedelta(days=14)


def _actions(c: Caution, today: date) -> list[tuple[str, date | None]]:
    return [(a.action, a.due_on) for a in required_actions(c, today)]


def test_a_new_caution_needs_first_contact_by_the_fourteenth_day_and_is_overdue_the_day_after() -> None:
    c = issued()
    assert first_contact_due_on(c) == FOURTEENTH_DAY
    assert ("make_first_contact", FOURTEENTH_DAY) in _actions(c, FOURTEENTH_DAY)
    first = required_actions(c, FOURTEENTH_DAY + timedelta(days=1))[0]
    assert (first.action, first.role, first.due_on) == ("make_first_contact", "provider", FOURTEENTH_DAY)
    assert first.due_on is not None and first.due_on < FOURTEENTH_DAY + timedelta(days=1)  # what reads as overdue


def test_contact_on_the_fourteenth_day_meets_it_and_the_action_goes() -> None:
    c = issued()
    first_contact(c, 14)
    assert c.first_contact_at == at(14) and c.first_contact_attempts == 1
    assert first_contact_due_on(c) is None
    assert "make_first_contact" not in [a for a, _ in _actions(c, FOURTEENTH_DAY + timedelta(days=3))]
    event = pending(c)
    assert type(event).__name__ == "FirstContactRecorded" and event.outcome is FirstContactOutcome.CONTACTED


def test_booking_workshop_a_no_longer_meets_the_first_contact_rule() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    assert first_contact_due_on(c) == FOURTEENTH_DAY
    assert _actions(c, ISSUED_ON)[0] == ("make_first_contact", FOURTEENTH_DAY)


def test_an_attempt_without_response_is_counted_but_meets_nothing() -> None:
    c = issued()
    first_contact(c, 2, FirstContactOutcome.NO_RESPONSE)
    first_contact(c, 3, FirstContactOutcome.NO_RESPONSE)
    assert c.first_contact_at is None and c.first_contact_attempts == 2
    assert first_contact_due_on(c) == FOURTEENTH_DAY
    first_contact(c, 5, FirstContactOutcome.DECLINED_TO_ENGAGE)  # contact made, though refused
    assert c.first_contact_at == at(5) and c.first_contact_attempts == 3


def test_the_first_contact_is_the_earliest_contact_made_whatever_order_it_was_recorded_in() -> None:
    c = issued()
    first_contact(c, 6)
    first_contact(c, 4)
    assert c.first_contact_at == at(4)


def test_refused_before_the_caution_in_the_future_and_on_a_closed_caution() -> None:
    c = issued()
    with refused(InvalidCommand, "not_before_caution", c):
        first_contact(c, T0 - timedelta(minutes=1))
    with refused(InvalidCommand, "not_in_future", c):
        c.record_first_contact(FirstContactMethod.PHONE, FirstContactOutcome.CONTACTED,
                               occurred_at=at(3), recorded_at=at(2), recorded_by=PROVIDER)
    withdraw(c, 1)
    with refused(ConflictsWithState, "caution_is_closed", c):
        first_contact(c, 2)


def test_a_contact_struck_out_as_recorded_in_error_no_longer_meets_the_rule() -> None:
    c = issued()
    first_contact(c, 3)
    strike(c, 2, 4)
    assert c.first_contact_at is None and c.first_contact_attempts == 0
    assert first_contact_due_on(c) == FOURTEENTH_DAY


def test_a_contact_re_timed_by_a_correction_moves_the_first_contact() -> None:
    c = issued()
    first_contact(c, 3)
    correct(c, 2, at(2), 4)
    assert c.first_contact_at == at(2)


def test_a_closed_caution_needs_no_first_contact() -> None:
    c = issued()
    withdraw(c, 1)
    assert first_contact_due_on(c) is None

