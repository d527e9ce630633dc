"""Dates and times as a court in England and Wales reads them: in UK local time, one style, the zone named.

CARA's rules count in calendar days (a caution period, 28 days between workshops, three months to spent),
and a day is a day in the UK, not in UTC: an attendance at 00:30 BST on 1 April happened on 1 April, though
UTC says 31 March. Everything that turns a moment into a day for a court, or a day into the moment it ends,
goes through here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_date(moment: datetime) -> date:
    """The UK calendar day a moment falls on (the moment must carry its offset). At the ends of the calendar
    (year 1, year 9999), where the UK day would lie outside it, the day the moment itself names."""
    try:
        return moment.astimezone(UK).date()
    except OverflowError:
        return moment.date()


def start_of_uk_day(day: date) -> datetime:
    """00:00 UK time on `day`, as an aware time (GMT or BST, whichever is in force then)."""
    return datetime.combine(day, time(0), tzinfo=UK)


def end_of_uk_day(day: date) -> datetime:
    """The moment `day` ends in the UK: 00:00 UK time on the next day. "By 3 March" means before this moment.
    The calendar's last day ends at its last representable moment."""
    if day == date.max:
        return datetime.combine(day, time.max, tzinfo=UK)
    return start_of_uk_day(day + timedelta(days=1))


def uk_day_text(day: date) -> str:
    """`3 March 2026`: the one date style of every court document."""
    return f"{day.day} {day:%B %Y}"


def uk_time_text(moment: datetime) -> str:
    """`3 March 2026, 10:00 GMT` (or BST): minutes, never seconds or microseconds, the zone by its UK name."""
    local = moment.astimezone(UK)
    return f"{uk_day_text(local.date())}, {local:%H:%M} {local.tzname()}"


def uk_moment_text(moment: datetime) -> str:
    """A moment as a court reads it: UK midnight is "the end of" the day before (a day asked for, `on=2026-03-22`,
    means the moment it ends), any other moment as `uk_time_text` gives it."""
    local = moment.astimezone(UK)
    if local.time() == time(0):
        return f"the end of {uk_day_text(local.date() - timedelta(days=1))}"
    return uk_time_text(moment)
