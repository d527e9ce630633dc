"""When a caution becomes spent: the date a disclosure check stops showing it.

Source: Rehabilitation of Offenders Act 1974, Schedule 2, paragraph 1(1)(a) and 1(2): a conditional
caution is spent at the end of three months from the day it was given; a caution that ceases to have
effect before then (Criminal Justice Act 2003 s.24(3): proceedings instituted) is spent then.

This is the rule as the service has applied it so far: a breach or a withdrawal ends the caution on
the day it is decided, and completion leaves the three months standing. DOMAIN.md refines both
(a breach decided "no further action" institutes no proceedings; the MoJ disclosure calculator ends
the period at completion when sooner); that change belongs to issue 17, not to this move.
"""

from __future__ import annotations

import calendar
from datetime import date

from .values import Status

SPENT_AFTER_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the later month lacks becomes its last (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def spent_on(issued_on: date, status: Status, closed_on: date | None) -> date:
    """The day the caution is spent (see the module's sources)."""
    three_months = add_months(issued_on, SPENT_AFTER_MONTHS)
    if status in (Status.BREACHED, Status.WITHDRAWN) and closed_on is not None:
        return min(three_months, closed_on)
    return three_months
