"""A reschedule records who asked for it and the coded reason (issue 18); without them it is stored as before."""

from __future__ import annotations

from services.caution_service.domain.errors import InvalidCommand
from services.caution_service.domain.values import RescheduleReason, RescheduleRequester, Workshop

from .builders import A_DAY, book, issued, pending, refused


def test_a_reschedule_records_who_asked_and_why() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.A, A_DAY + 7, on=2, reason="hospital appointment", requested_by=RescheduleRequester.OFFENDER,
         reason_code=RescheduleReason.MEDICAL)
    event = pending(c)
    assert type(event).__name__ == "WorkshopRescheduled"
    assert (event.requested_by, event.reason_code) == (RescheduleRequester.OFFENDER, RescheduleReason.MEDICAL)


def test_a_reschedule_without_them_stores_exactly_what_it_did_before() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    book(c, Workshop.A, A_DAY + 7, on=2, reason="venue closed")
    event = pending(c)
    assert {"requested_by", "reason_code"}.isdisjoint(vars(event))
    assert event.requested_by is None and event.reason_code is None


def test_a_reschedule_still_needs_its_reason_in_words() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(InvalidCommand, "reschedule_needs_reason", c):
        book(c, Workshop.A, A_DAY + 7, on=2, requested_by=RescheduleRequester.POLICE,
             reason_code=RescheduleReason.COURT)


def test_a_first_booking_has_no_one_who_asked_to_record() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1, requested_by=RescheduleRequester.PROVIDER)
    assert type(pending(c)).__name__ == "WorkshopScheduled" and "requested_by" not in vars(pending(c))
