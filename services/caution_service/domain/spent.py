"""When a caution becomes spent: the date a basic disclosure check stops showing it.

Sources:
- Rehabilitation of Offenders Act 1974, Schedule 2, paragraph 1(1)(a): a conditional caution is spent at the end
  of three months from the day it was given, "or, if earlier, when the caution ceases to have effect".
- The Ministry of Justice's disclosure calculator (gov.uk "Check when you need to disclose your criminal record")
  applies that to a conditional caution as the earlier of three months from the caution and the day its
  conditions ended: so completion (the conditions met) or withdrawal (the caution set aside) ends it then.
- Criminal Justice Act 2003 s.24(3): a conditional caution ceases to have effect when criminal proceedings are
  instituted for the offence. A breach decided "prosecute" institutes them, on the day of that decision; a breach
  decided "no further action" institutes nothing, so the caution did not cease to have effect and the three
  months stand.

Days are UK calendar days (shared/uk_time): a caution given at 00:30 BST on 1 September was given on 1 September.
For a caution still open the date is the latest it can be: it comes sooner if the conditions end (completion,
withdrawal) or a prosecution is decided before then (`may_come_sooner`).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING

from shared.uk_time import uk_date

from .values import BreachOutcome, Status

if TYPE_CHECKING:
    from .caution import Caution

SPENT_AFTER_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the later month lacks becomes its last (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def spent_on(c: Caution) -> date:
    """The day the caution is spent (see the module's sources)."""
    three_months = add_months(uk_date(c.issued_at), SPENT_AFTER_MONTHS)
    ended_on = _conditions_ended_on(c)
    return three_months if ended_on is None else min(three_months, ended_on)


def may_come_sooner(c: Caution, today: date) -> bool:
    """True while the caution is open and not yet spent: completion, withdrawal or a prosecution could end it first."""
    return c.is_open and today < spent_on(c)


def _conditions_ended_on(c: Caution) -> date | None:
    """The UK day the caution ceased to have effect before its three months, if it did."""
    if c.final_at is None:
        return None
    if c.status in (Status.COMPLETED, Status.WITHDRAWN):
        return uk_date(c.final_at)
    if c.status is Status.BREACHED and c.breach_outcome is BreachOutcome.PROSECUTE:
        return uk_date(c.final_at)
    return None  # no further action: no proceedings instituted (CJA 2003 s.24(3))
