"""The two time axes a court asks about, and the caution's state on each.

- `as_of`: what the record said at a moment. The record then is the chain's longest prefix of entries recorded by
  that moment (so its last hash is a chain head a verification can recompute).
- `on`: what had happened by a moment, as the record knows it now: every entry whose event had occurred by then,
  including entries recorded later (a workshop attended on 3 March but entered on 10 March counts on 5 March).

Both may be given together: what had happened by `on`, as the record stood at `as_of`. A caller gives either axis as
a day (meaning the moment that UK day ends, `end_of_uk_day`) or as an exact time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import takewhile
from typing import Any
from urllib.parse import urlencode

from shared.uk_time import end_of_uk_day, uk_date, uk_day_text, uk_time_text

from .domain.caution import Caution, event_name

CORRECTION = "EntryCorrected"


@dataclass(frozen=True)
class When:
    """A moment a caller asked about, and the day they named when they named one (it reads better as a day)."""

    moment: datetime
    day: date | None = None

    @classmethod
    def given(cls, value: date | datetime | None) -> When | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return cls(value)
        end = end_of_uk_day(value)
        offset = end.utcoffset()
        if offset is None or offset % timedelta(minutes=1):
            # Before 1847 the zone is local mean time (-00:01:15), an offset RFC 3339 cannot write: say it in UTC.
            end = end.astimezone(UTC)
        return cls(end, value)

    def uk_day(self) -> date:
        """The UK day asked about: the day named, or the day the time falls on (not the day a named day's end
        moment, 00:00 next day, falls on)."""
        return self.day or uk_date(self.moment)

    def text(self) -> str:
        """`On 3 March 2026` for a day, `At 3 March 2026, 10:00 GMT` for a time: the start of a court's sentence."""
        return f"On {uk_day_text(self.day)}" if self.day else f"At {uk_time_text(self.moment)}"

    def stated(self, moment: datetime) -> str:
        """Another moment in the same style as this one: a day for a day, a time for a time."""
        return f"on {uk_day_text(uk_date(moment))}" if self.day else f"at {uk_time_text(moment)}"

    def query(self) -> str:
        """As a query value that names the same moment: the day as given, or the time in UTC (`Z`)."""
        return self.day.isoformat() if self.day else utc_text(self.moment)

    def logged(self) -> str:
        """As the consultation log names it: the day, or the time as the caller gave it."""
        return self.day.isoformat() if self.day else self.moment.isoformat()


@dataclass(frozen=True)
class Axes:
    as_of: When | None = None
    on: When | None = None

    @classmethod
    def given(cls, as_of: date | datetime | None, on: date | datetime | None) -> Axes:
        return cls(When.given(as_of), When.given(on))

    @property
    def any(self) -> bool:
        return self.as_of is not None or self.on is not None

    def detail(self) -> str | None:
        """The consultation log's detail: which past the caller read (a past state is personal data all the same)."""
        named = [f"as_of={self.as_of.logged()}"] if self.as_of else []
        named += [f"on={self.on.logged()}"] if self.on else []
        return " ".join(named) or None

    def today(self, now: datetime) -> date:
        """The UK day the answer is true for: the `on` day, else the `as_of` day, else today; never a day still to
        come, nor, as the record stood at `as_of`, a day after it (a verdict for such a day would state what the
        record could not yet know)."""
        limit = self.as_of if self.as_of and self.as_of.moment <= now else When(now)
        asked = self.on or limit
        return asked.uk_day() if asked.moment <= limit.moment else limit.uk_day()


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with `Z`: safe in a query string as it is (no `+` to be read as a space)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def verification_path(caution_id: str, pinned: datetime, on: When | None) -> str:
    """The verification route that recomputes exactly the chain prefix recorded by `pinned` (and says which `on`
    the history showed): its digest stays the same however much is recorded later."""
    params = {"as_of": utc_text(pinned)}
    if on is not None:
        params["on"] = on.query()
    return f"/v1/cautions/{caution_id}/compliance-history/verification?{urlencode(params, safe=':')}"


def recorded_by(events: Sequence[Any], moment: datetime) -> list[Any]:
    """The record as it stood at `moment`: the chain's longest prefix recorded by then. A prefix, not every entry
    with an earlier `recorded_at`, so that its last hash is a chain head (clocks that stepped back cannot make a
    gap in it)."""
    return list(takewhile(lambda e: e.recorded_at <= moment, events))


def occurred_at(event: Any) -> datetime:
    """When the event happened (an event that names no time happened when it was recorded, as in its entry)."""
    return getattr(event, "occurred_at", None) or event.recorded_at


def happened_by(events: Sequence[Any], moment: datetime) -> list[Any]:
    """The events that had happened by `moment` as `events` (the record) tell it, in recorded order.

    What is known now counts: an event whose time a correction changed happened at its corrected time, and a
    correction counts, whenever it was recorded, with the entry it corrects (it says what that entry should have
    said)."""
    corrected_times: dict[int, datetime] = {}
    for e in events:
        if event_name(e) == CORRECTION and getattr(e, "corrected_occurred_at", None) is not None:
            corrected_times[e.corrects_version] = e.corrected_occurred_at
    happened: list[Any] = []
    numbers: set[int] = set()
    for e in events:
        if event_name(e) == CORRECTION:
            counts = e.corrects_version in numbers
        else:
            counts = corrected_times.get(e.originator_version, occurred_at(e)) <= moment
        if counts:
            happened.append(e)
            numbers.add(e.originator_version)
    return happened


def caution_on(events: Sequence[Any], moment: datetime) -> Caution | None:
    """The caution as it stood at `moment`, from the events that had happened by then (`happened_by`), as known
    now; None if it had not been issued.

    The events are applied in recorded order, skipping those that happened later. The library's `mutate` checks
    that each event is the next version, so the version is set to the one before each event's own; and a skipped
    entry's name stays in `entries`, so an entry number means the same in this state as in the record (the
    mutators note attendances by entry number, and corrections name entries by it). The state is for reading:
    it is never saved."""
    names = [event_name(e) for e in events]
    happened = happened_by(events, moment)
    if not happened or happened[0].originator_version != 1:
        return None  # the first entry is the issue: it had not happened
    caution: Caution | None = None
    for e in happened:
        if caution is not None:
            caution.entries.extend(names[len(caution.entries):e.originator_version - 1])
            caution.version = e.originator_version - 1
        caution = e.mutate(caution)
    assert isinstance(caution, Caution)
    return caution


@dataclass(frozen=True)
class Then:
    """The caution on the axes asked about, read from the record's version `head`; None before it existed there,
    with the statement saying so."""

    caution: Caution | None
    head: int
    statement: str | None = None


def caution_then(events: Sequence[Any], current: Caution, axes: Axes, at_version: Callable[[int], Caution],
                 upto: int | None = None) -> Then:
    """The caution on `axes`: as recorded by `as_of` (the record's prefix), then as it stood `on` a moment, from the
    events that had happened by then. `upto` judges it from the record's first entries alone (a read model that
    trails the store shows no more). `events` is the caution's whole record whenever an axis is given. The personal
    data's state is today's: a past read shows nothing since erased or restricted."""
    recorded = recorded_by(events, axes.as_of.moment) if axes.as_of else None
    if axes.as_of and not recorded:
        return Then(None, 0, not_recorded_statement(axes.as_of, events))
    head = len(recorded) if recorded is not None else current.version
    judged = min(head, upto) if upto else head
    if axes.on is None:
        then = current if judged == current.version else at_version(judged)
    else:
        on_state = caution_on(events[:judged], axes.on.moment)
        if on_state is None:
            return Then(None, head, not_issued_statement(axes.on, events))
        then = on_state
    return Then(then if then is current else with_data_state_now(then, current), head)


def with_data_state_now(past: Caution, now: Caution) -> Caution:
    """A past state shown with the personal data's state now: erasure and restriction govern what may be shown
    today, whatever the record said then (DPA 2018 s.47), so a past read shows no data since erased or
    restricted."""
    past.erased, past.restricted = dict(now.erased), dict(now.restricted)
    return past


def not_issued_statement(on: When, events: Sequence[Any]) -> str:
    """`On 1 March 2026 this caution had not been issued: it was issued on 2 March 2026.` (`events`: the record)"""
    return f"{on.text()} this caution had not been issued: it was issued {on.stated(occurred_at(events[0]))}."


def not_recorded_statement(as_of: When, events: Sequence[Any]) -> str:
    """`On 1 March 2026 the record did not yet hold this caution: it was first recorded on 2 March 2026.`"""
    return (f"{as_of.text()} the record did not yet hold this caution: it was first recorded "
            f"{as_of.stated(events[0].recorded_at)}.")
