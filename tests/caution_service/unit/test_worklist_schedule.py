"""For random lifecycles built through the Caution's public methods, a caution's worklist rows (domain/worklist.py)
valid on any day are exactly the required actions the domain computes for that day, due dates included.

The lifecycles are test_verdict_properties.py's, on conditions of random lengths (the period, the gap between the
workshops) and with a first contact now and then; the days read are random, and every change day with the days
either side of it, where a wrong interval would show first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import DomainError
from services.caution_service.domain.progress import ACKNOWLEDGE_CONCERN, VARY_TO_FIT_WORKSHOPS, required_actions
from services.caution_service.domain.values import (
    ConcernUrgency,
    Conditions,
    FirstContactMethod,
    FirstContactOutcome,
    SafeguardingCategory,
    Workshop,
)
from services.caution_service.domain.worklist import Row, change_days, schedule
from shared.uk_time import uk_date
from tests.support import at

from .builders import ISSUED_ON, PROVIDER, acknowledge, attend_a, attend_b, book, issued, raise_concern, when
from .test_verdict_properties import _run, lifecycles

conditions = st.builds(Conditions, caution_period_days=st.integers(20, 140), first_contact_days=st.integers(1, 21),
                       min_days_between_workshops=st.integers(0, 40))
first_contact_days = st.one_of(st.none(), st.integers(0, 30))
reading_days = st.lists(st.integers(-400, 400), min_size=1, max_size=12)


def _lifecycle(terms: Conditions, steps: list[tuple[int, tuple[Any, ...]]], contact_on: int | None) -> Caution:
    c = issued(conditions=terms)
    day = 0
    for wait, command in steps:
        if contact_on is not None and day <= contact_on < day + wait:
            _try(lambda: c.record_first_contact(FirstContactMethod.PHONE, FirstContactOutcome.CONTACTED,
                                                **when(at(contact_on, 9)), recorded_by=PROVIDER))
        day += wait
        _try(lambda: _run(c, day, command))  # noqa: B023  (run at once, within the iteration)
        day = max([day] + [(uk_date(e.occurred_at) - ISSUED_ON).days for e in c.collect_events()
                           if hasattr(e, "occurred_at")])
    return c


def _try(command: Any) -> None:
    try:
        command()
    except DomainError:
        pass  # refused: the caution is as it was, and the run goes on


def _valid(rows: list[Row], day: date) -> list[tuple[int, str, str, date | None]]:
    return sorted((r.ordinal, r.action, r.role, r.due_when_asked_on(day)) for r in rows if r.valid_on(day))


def _expected(c: Caution, day: date) -> list[tuple[int, str, str, date | None]]:
    return [(i, a.action, a.role, a.due_on) for i, a in enumerate(required_actions(c, day))]


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(terms=conditions, steps=lifecycles, contact_on=first_contact_days, days=reading_days)
def test_the_rows_valid_on_a_day_are_that_days_required_actions(
    terms: Conditions, steps: list[tuple[int, tuple[Any, ...]]], contact_on: int | None, days: list[int]
) -> None:
    c = _lifecycle(terms, steps, contact_on)
    rows = schedule(c)
    changes = change_days(c)
    event(f"{c.status.value}, {len(rows)} rows")
    if any(r.due_on_the_day for r in rows):
        event("an action due on the day asked")
    around_changes = {d + timedelta(days=k) for d in changes for k in (-2, -1, 0, 1, 2)}
    for day in {ISSUED_ON + timedelta(days=d) for d in days} | around_changes | {date.min, date.max}:
        assert _valid(rows, day) == _expected(c, day), (day, changes, rows)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(terms=conditions, steps=lifecycles, contact_on=first_contact_days)
def test_rows_of_one_action_never_overlap_and_neighbours_are_merged(
    terms: Conditions, steps: list[tuple[int, tuple[Any, ...]]], contact_on: int | None
) -> None:
    rows = schedule(_lifecycle(terms, steps, contact_on))
    by_ordinal: dict[int, list[Row]] = {}
    for row in rows:
        by_ordinal.setdefault(row.ordinal, []).append(row)
    for same_place in by_ordinal.values():
        ordered = sorted(same_place, key=lambda r: r.valid_from or date.min)
        for before, after in zip(ordered, ordered[1:], strict=False):
            assert before.valid_until is not None and after.valid_from is not None
            assert before.valid_until <= after.valid_from
            if before.valid_until == after.valid_from:  # touching: they must differ, or they would be one row
                assert (before.action, before.role, before.due_on, before.due_on_the_day) != (
                    after.action, after.role, after.due_on, after.due_on_the_day)


def test_varying_the_conditions_is_due_on_each_day_from_when_the_workshops_stop_fitting_to_the_periods_end() -> None:
    c = issued()  # nothing booked: A and, 28 days later, B must still fit in the 112 days
    end = c.period_ends_on
    stops = end - timedelta(days=28) + timedelta(days=1)

    assert change_days(c) == [stops, end + timedelta(days=1)]
    vary = [r for r in schedule(c) if r.action == VARY_TO_FIT_WORKSHOPS]
    assert vary == [Row(0, VARY_TO_FIT_WORKSHOPS, "police", None, True, stops, end + timedelta(days=1))]
    assert [a.action for a in required_actions(c, end + timedelta(days=1))] == ["decide_breach_or_vary"]
    decide = [r for r in schedule(c) if r.action == "decide_breach_or_vary"]
    assert decide == [Row(0, "decide_breach_or_vary", "police", None, False, end + timedelta(days=1), None)]


def test_once_both_workshops_are_attended_only_the_periods_end_changes_the_actions() -> None:
    c = issued()
    book(c, Workshop.A, 10)
    attend_a(c, 10)
    book(c, Workshop.B, 40, on=11)
    attend_b(c, 40)
    end = c.period_ends_on

    assert change_days(c) == [end + timedelta(days=1)]
    assert {(r.action, r.valid_from, r.valid_until) for r in schedule(c)} == {
        ("make_first_contact", None, end + timedelta(days=1)),
        ("contact_victim_after_workshop_a", None, end + timedelta(days=1)),
        ("decide_breach_or_vary", end + timedelta(days=1), None)}


def test_each_concern_row_names_its_open_concern_and_no_other_row_names_one() -> None:
    c = issued()
    routine = raise_concern(c, 3, urgency=ConcernUrgency.ROUTINE, category=SafeguardingCategory.OTHER)
    urgent = raise_concern(c, 5, category=SafeguardingCategory.THREAT_BY_OFFENDER)
    acknowledge(c, raise_concern(c, 6), 7)
    rows = schedule(c)

    named = [(r.ordinal, r.action, r.concern.entry, r.concern.urgency, r.concern.category) for r in rows if r.concern]
    assert named == [(0, ACKNOWLEDGE_CONCERN, routine, ConcernUrgency.ROUTINE, SafeguardingCategory.OTHER),
                     (1, ACKNOWLEDGE_CONCERN, urgent, ConcernUrgency.URGENT, SafeguardingCategory.THREAT_BY_OFFENDER)]
    assert all(r.concern for r in rows if r.action == ACKNOWLEDGE_CONCERN)
