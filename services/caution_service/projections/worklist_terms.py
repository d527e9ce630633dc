"""What the provider's worklist asks of a caution: first contact by when, and which workshop to book by when.

Interim (issue 18): the caution side (domain/progress.py, H1's part) defines `first_contact_due_on(c)` and
`booking_needed(c, today)`, and the caution `first_contact_at`. Until that is merged these fallbacks give the same
answers from what the caution holds today; once it is, the imports below take progress.py's and this module's
fallbacks go.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from ..domain import progress
from ..domain.caution import Caution
from ..domain.values import Status, Workshop


def first_contact_at(c: Caution) -> datetime | None:
    return getattr(c, "first_contact_at", None)


def _first_contact_due_on(c: Caution) -> date | None:
    """Issued + the force's first-contact days, until the provider has made contact; None once closed."""
    if first_contact_at(c) is not None or c.status is not Status.ACTIVE:
        return None
    return c.issued_at.date() + timedelta(days=c.conditions.first_contact_days)


def _booking_needed(c: Caution, today: date) -> tuple[Workshop, date] | None:
    """The workshop to book now and the latest UK day its session may be on for A, the gap and B to fit in the
    period (A: the period's end less the gap; B: the period's end); None when booked, attended or not active."""
    if c.status is not Status.ACTIVE:
        return None
    if c.attended_a_at is None:
        if c.booking_a is not None:
            return None
        return Workshop.A, c.period_ends_on - timedelta(days=c.conditions.min_days_between_workshops)
    if c.attended_b_at is None and c.booking_b is None:
        return Workshop.B, c.period_ends_on
    return None


first_contact_due_on: Callable[[Caution], date | None] = getattr(progress, "first_contact_due_on",
                                                                _first_contact_due_on)
booking_needed: Callable[[Caution, date], Any] = getattr(progress, "booking_needed", _booking_needed)
