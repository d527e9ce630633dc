"""The spent date (ROA 1974 Sch 2 para 1): three months from the caution, or earlier when it ceases to have effect."""

from __future__ import annotations

from datetime import date

import pytest

from services.caution_service.domain.spent import add_months, spent_on
from services.caution_service.domain.values import Status, Workshop
from tests.caution_service.unit.builders import ISSUED_ON, book, breach, decide, issued, miss, withdraw


@pytest.mark.parametrize(("given", "spent"), [
    (date(2026, 1, 15), date(2026, 4, 15)),
    (date(2026, 11, 30), date(2027, 2, 28)),   # February has no 30th: its last day
    (date(2027, 11, 30), date(2028, 2, 29)),   # ... in a leap year, the 29th
    (date(2026, 12, 31), date(2027, 3, 31)),   # across the year end
    (date(2026, 3, 31), date(2026, 6, 30)),    # June has no 31st
    (date(2028, 2, 29), date(2028, 5, 29)),    # from a leap day
])
def test_three_months_from_the_day_given(given: date, spent: date) -> None:
    assert add_months(given, 3) == spent
    for status in (Status.ACTIVE, Status.COMPLETED, Status.DEADLINE_PASSED):
        assert spent_on(given, status, None) == spent


@pytest.mark.parametrize("status", [Status.BREACHED, Status.WITHDRAWN])
def test_a_caution_that_ends_before_three_months_is_spent_the_day_it_ends(status: Status) -> None:
    assert spent_on(date(2026, 1, 15), status, date(2026, 2, 1)) == date(2026, 2, 1)
    assert spent_on(date(2026, 1, 15), status, date(2026, 4, 14)) == date(2026, 4, 14)
    assert spent_on(date(2026, 1, 15), status, date(2026, 4, 15)) == date(2026, 4, 15)  # the boundary: either way
    assert spent_on(date(2026, 1, 15), status, date(2026, 4, 16)) == date(2026, 4, 15)  # later: three months stand


def test_the_caution_states_its_own_spent_date() -> None:
    c = issued()
    assert c.spent_on == add_months(ISSUED_ON, 3)
    book(c, Workshop.A, 3, on=1)
    miss(c, Workshop.A, 3)
    decide(c, False, 4)  # a rejected excuse: the failure a breach decision rests on (issue 17)
    breach(c, 5)
    assert c.final_at is not None and c.spent_on == c.final_at.date()
    w = issued()
    withdraw(w, 100)
    assert w.spent_on == add_months(ISSUED_ON, 3)
