"""Bank holidays in England and Wales, from the `holidays` package (no hand-typed list, no network).

The Banking and Financial Dealings Act 1971 (Schedule 1) sets the bank holidays, and a royal proclamation adds
the one-off ones (a coronation, a state funeral); the package keeps both, for any year, and a new release brings
a proclamation made since (the lock file pins it, and updating it is routine maintenance). England and Wales share
one calendar. A holiday that falls at a weekend is listed on its own day as well as on the substitute weekday: a
session on Christmas Day needs a reason whatever day of the week it is.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import holidays


@cache
def _calendar(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _calendar(day.year)


def bank_holidays_around(*days: date) -> frozenset[date]:
    """Every bank holiday in the years of these days: what a session's rule needs to know, and nothing more."""
    found: frozenset[date] = frozenset()
    for year in {day.year for day in days}:
        found |= _calendar(year)
    return found


def holiday_name(day: date) -> str | None:
    return holidays.country_holidays("GB", subdiv="ENG", years=day.year).get(day)
