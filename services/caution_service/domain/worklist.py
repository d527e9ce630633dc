"""A caution's required actions over time, as rows a worklist can select by day without the caution in hand.

`required_actions(c, today)` (progress.py) depends on the UK day it is asked on, but only at a few days fixed by the
caution's state: the day after the period's last day (the police must decide from then on), and the first day the
workshops still to attend can no longer fit (the police must vary the conditions). Between two such days the list
is the same on every day, except that an action may be due on the very day it is asked about (varying the
conditions is due "now"). So the caution's worklist is a handful of rows, each valid from one change day to the
next, computed by asking `required_actions` itself on each interval: nothing here names an action, and a new action
that does not depend on the day needs nothing here. The rows change only when the caution's state does, that is on
a new event (projections/worklist.py replaces them then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .caution import Caution
from .progress import RequiredAction, required_actions, workshops_can_fit
from .values import OpenConcern

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Row:
    """One required action, outstanding on the UK days `valid_from` <= day < `valid_until` (None: no bound).

    `ordinal` is its place in `required_actions` on those days (most pressing first), which tells apart two
    actions of the same name (one per open safeguarding concern). `due_on_the_day`: it is due on whichever day
    it is asked about (`due_on` is then None). `concern`: the open concern an acknowledgement is for (None for
    any other action); the same on every day, as only an event opens or closes a concern."""

    ordinal: int
    action: str
    role: str
    due_on: date | None
    due_on_the_day: bool
    valid_from: date | None
    valid_until: date | None
    concern: OpenConcern | None = None

    def valid_on(self, day: date) -> bool:
        starts, ends = self.valid_from, self.valid_until
        return (starts is None or starts <= day) and (ends is None or day < ends)

    def due_when_asked_on(self, day: date) -> date | None:
        return day if self.due_on_the_day else self.due_on


# An action as outstanding on an interval: (ordinal, action, role, due_on, due_on_the_day, concern).
_Key = tuple[int, str, str, date | None, bool, OpenConcern | None]


def change_days(c: Caution) -> list[date]:
    """The UK days on which `required_actions(c, day)` may differ from the day before without a new event."""
    days = {c.period_ends_on + ONE_DAY}  # `today > period_ends_on`: the clock ends the period, not the monitor
    stops = _first_day_workshops_cannot_fit(c)
    if stops is not None:
        days.add(stops)
    return sorted(days)


def schedule(c: Caution) -> list[Row]:
    """Every required action of the caution on every day, as rows valid on intervals between change days; an
    action the same on two neighbouring intervals is one row."""
    bounds: list[date | None] = [None, *change_days(c), None]
    rows: list[Row] = []
    running: dict[_Key, int] = {}  # the rows still valid at the interval's start
    for start, end in zip(bounds, bounds[1:], strict=False):
        still: dict[_Key, int] = {}
        for key in _actions_between(c, start, end):
            at = running.get(key)
            if at is not None and rows[at].valid_until == start:
                rows[at] = _row(key, rows[at].valid_from, end)
            else:
                at = len(rows)
                rows.append(_row(key, start, end))
            still[key] = at
        running = still
    return rows


def _row(key: _Key, valid_from: date | None, valid_until: date | None) -> Row:
    ordinal, action, role, due_on, due_on_the_day, concern = key
    return Row(ordinal, action, role, due_on, due_on_the_day, valid_from, valid_until, concern)


def _actions_between(c: Caution, start: date | None, end: date | None) -> list[_Key]:
    """The actions outstanding on every day of [start, end), on which `required_actions` gives the same actions.

    Asked on two days of the interval where it has two: an action due on each of them on that very day is due on
    the day asked (whatever the day), any other is due on the date it gave."""
    first, second = _two_days(c, start, end)
    on_first = required_actions(c, first)
    on_second = required_actions(c, second) if second is not None else None
    found = []
    for ordinal, action in enumerate(on_first):
        other = on_second[ordinal] if on_second is not None and ordinal < len(on_second) else None
        floating = (second is not None and other is not None and _same(action, other)
                    and action.due_on == first and other.due_on == second)
        found.append((ordinal, action.action, action.role, None if floating else action.due_on, floating,
                      action.concern))
    return found


def _same(a: RequiredAction, b: RequiredAction) -> bool:
    return (a.action, a.role) == (b.action, b.role)


def _two_days(c: Caution, start: date | None, end: date | None) -> tuple[date, date | None]:
    """Two days of [start, end) (the second None when it has one day only)."""
    if start is None and end is None:
        first = c.period_ends_on
    elif start is None:
        assert end is not None
        first = end - 2 * ONE_DAY
    else:
        first = start
    second = first + ONE_DAY
    return first, (second if end is None or second < end else None)


def _first_day_workshops_cannot_fit(c: Caution) -> date | None:
    """The first UK day on which the workshops still to attend no longer fit in the period, if there is one after
    a day they do fit on. `workshops_can_fit` only gets less likely as the day moves on (the earliest days A and B
    can be on move with it, the period's end does not), so a binary search over days finds it."""
    late = c.period_ends_on + ONE_DAY
    if workshops_can_fit(c, late):
        return None
    early = date.min
    if not workshops_can_fit(c, early):
        return None  # they fit on no day: nothing changes with the day
    low, high = early.toordinal(), late.toordinal()  # fits on `low`, not on `high`
    while high - low > 1:
        middle = (low + high) // 2
        if workshops_can_fit(c, date.fromordinal(middle)):
            low = middle
        else:
            high = middle
    return date.fromordinal(high)
