"""Coded absence reasons (issue 18): on the miss, with a sealed detail that `other` needs, and on the excuse decision,
which is on the miss's reason unless the police name another. Sent home and failed to engage are misses."""

from __future__ import annotations

import pytest

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import InvalidCommand
from services.caution_service.domain.values import AbsenceReason, MissReason, Status, Workshop

from .builders import A_DAY, SEALED_DETAIL, book, decide, issued, miss, pending, refused


def _booked() -> Caution:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    return c


@pytest.mark.parametrize("reason", [MissReason.SENT_HOME, MissReason.FAILED_TO_ENGAGE])
def test_sent_home_and_failing_to_engage_are_misses_awaiting_an_excuse_decision(reason: MissReason) -> None:
    c = _booked()
    miss(c, Workshop.A, A_DAY, reason)
    assert c.status is Status.EXCUSE_DECISION_PENDING and pending(c).reason is reason


def test_the_coded_reason_and_its_sealed_detail_are_recorded_with_the_miss() -> None:
    c = _booked()
    miss(c, Workshop.A, A_DAY, absence_reason=AbsenceReason.OTHER, absence_detail=SEALED_DETAIL)
    event = pending(c)
    assert event.absence_reason is AbsenceReason.OTHER and event.absence_detail == SEALED_DETAIL
    assert c.pending_absence_reason is AbsenceReason.OTHER


def test_other_needs_its_detail() -> None:
    c = _booked()
    for detail in (None, "  "):
        with refused(InvalidCommand, "absence_other_needs_detail", c):
            miss(c, Workshop.A, A_DAY, absence_reason=AbsenceReason.OTHER, absence_detail=detail)


def test_a_detail_needs_the_coded_reason_it_is_about() -> None:
    c = _booked()
    with refused(InvalidCommand, "absence_detail_needs_reason", c):
        miss(c, Workshop.A, A_DAY, absence_detail=SEALED_DETAIL)


def test_a_coded_reason_other_than_other_needs_no_detail() -> None:
    c = _booked()
    miss(c, Workshop.A, A_DAY, absence_reason=AbsenceReason.MEDICAL)
    assert "absence_detail" not in vars(pending(c))


def test_a_miss_without_a_reason_stores_neither_field() -> None:
    """As every miss recorded before issue 18: the same stored content, so the same history entry."""
    c = _booked()
    miss(c, Workshop.A, A_DAY)
    assert {"absence_reason", "absence_detail"}.isdisjoint(vars(pending(c)))
    assert pending(c).absence_reason is None


def test_the_excuse_decision_is_on_the_miss_s_reason_by_default() -> None:
    c = _booked()
    miss(c, Workshop.A, A_DAY, absence_reason=AbsenceReason.CHILDCARE)
    decide(c, True, A_DAY + 1)
    assert pending(c).absence_reason is AbsenceReason.CHILDCARE
    assert c.pending_absence_reason is None


def test_the_police_may_decide_on_another_reason() -> None:
    c = _booked()
    miss(c, Workshop.A, A_DAY, absence_reason=AbsenceReason.NONE_GIVEN)
    decide(c, False, A_DAY + 1, absence_reason=AbsenceReason.MEDICAL)
    assert pending(c).absence_reason is AbsenceReason.MEDICAL


def test_a_decision_on_a_miss_without_a_reason_stores_none() -> None:
    c = _booked()
    miss(c, Workshop.A, A_DAY)
    decide(c, True, A_DAY + 1)
    assert "absence_reason" not in vars(pending(c))
