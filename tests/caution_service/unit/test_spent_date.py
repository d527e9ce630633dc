"""The spent date (ROA 1974 Sch 2 para 1(1)(a), as the MoJ disclosure calculator applies it; CJA 2003 s.24(3)):
three months from the caution, or the day its conditions ended (completion, withdrawal) if sooner, or the day a
prosecution was decided if sooner; "no further action" leaves the three months standing. UK days throughout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict

import pytest

from services.caution_service.domain import spent as spent_rule
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.spent import add_months
from services.caution_service.domain.values import (
    Booking,
    BreachOutcome,
    ContactOutcome,
    ContactStage,
    MissReason,
    Workshop,
)

from .builders import LATER, POLICE, PROVIDER, VICTIM_SERVICE, issued, offence

Step = Callable[[Caution], None]


def given(on: date | datetime) -> Caution:
    """A caution given on `on` (10:00 UTC that day, unless a time is given)."""
    moment = on if isinstance(on, datetime) else datetime.combine(on, time(10), tzinfo=UTC)
    return issued(occurred_at=moment, recorded_at=moment + LATER,
                  offence=offence(committed_on=moment.date() - timedelta(days=10)))


class When(TypedDict):
    occurred_at: datetime
    recorded_at: datetime


def day(c: Caution, n: int, hour: int = 10) -> When:
    moment = datetime.combine(c.issued_at.date() + timedelta(days=n), time(hour), tzinfo=UTC)
    return {"occurred_at": moment, "recorded_at": moment + LATER}


def completed_on(n: int, hour: int = 10, a_day: int = 10) -> Step:
    def steps(c: Caution) -> None:
        c.schedule_workshop(Workshop.A, Booking(day(c, a_day)["occurred_at"], "Hall"), None, **day(c, 1),
                            recorded_by=PROVIDER)
        c.attend_workshop_a(**day(c, a_day), recorded_by=PROVIDER)
        c.contact_victim(ContactStage.AFTER_WORKSHOP_A, ContactOutcome.CONTACTED, False, None, **day(c, a_day + 1),
                         recorded_by=VICTIM_SERVICE)
        b_day = a_day + 30
        c.schedule_workshop(Workshop.B, Booking(day(c, b_day)["occurred_at"], "Hall"), None, **day(c, a_day + 1),
                            recorded_by=PROVIDER)
        c.attend_workshop_b(**day(c, b_day), recorded_by=PROVIDER)
        c.complete(**day(c, n, hour), recorded_by=PROVIDER)
    return steps


def breached_on(n: int, outcome: BreachOutcome) -> Step:
    """Workshop A missed without a reasonable excuse, then the breach decided on day `n`."""
    def steps(c: Caution) -> None:
        c.schedule_workshop(Workshop.A, Booking(day(c, 5)["occurred_at"], "Hall"), None, **day(c, 1),
                            recorded_by=PROVIDER)
        c.miss_workshop(Workshop.A, MissReason.DID_NOT_ATTEND, "", **day(c, 5, 20), recorded_by=PROVIDER)
        c.decide_excuse(False, "no excuse", **day(c, 6), recorded_by=POLICE)
        c.breach(outcome, "did not attend", **day(c, n), recorded_by=POLICE)
    return steps


def withdrawn_on(n: int) -> Step:
    def steps(c: Caution) -> None:
        c.withdraw("set aside on appeal", **day(c, n), recorded_by=POLICE)
    return steps


def still_open(c: Caution) -> None:
    return None


@pytest.mark.parametrize(("given_on", "story", "spent"), [
    # three months from the day given, month ends and leap years
    (date(2026, 8, 31), still_open, date(2026, 11, 30)),    # November has no 31st: its last day
    (date(2026, 11, 30), still_open, date(2027, 2, 28)),    # February has no 30th
    (date(2027, 11, 30), still_open, date(2028, 2, 29)),    # ... in a leap year, the 29th
    (date(2028, 2, 29), still_open, date(2028, 5, 29)),     # from a leap day
    (date(2026, 12, 31), still_open, date(2027, 3, 31)),    # across the year end
    # completion: the conditions end then, if sooner than three months (the MoJ calculator)
    (date(2026, 3, 2), completed_on(41), date(2026, 4, 12)),
    (date(2026, 3, 2), completed_on(95, a_day=60), date(2026, 6, 2)),  # later: the three months stand
    (date(2026, 3, 2), completed_on(92, a_day=60), date(2026, 6, 2)),  # on the day: either way
    # withdrawal ends the conditions too
    (date(2026, 3, 2), withdrawn_on(20), date(2026, 3, 22)),
    (date(2026, 3, 2), withdrawn_on(100), date(2026, 6, 2)),
    # a prosecution decided: proceedings instituted, the caution ceases to have effect (CJA 2003 s.24(3))
    (date(2026, 3, 2), breached_on(20, BreachOutcome.PROSECUTE), date(2026, 3, 22)),
    # no further action institutes nothing: three months from the caution (the 16 Oct / 31 Oct case)
    (date(2026, 10, 16), breached_on(15, BreachOutcome.NO_FURTHER_ACTION), date(2027, 1, 16)),
    (date(2026, 3, 2), breached_on(20, BreachOutcome.NO_FURTHER_ACTION), date(2026, 6, 2)),
])
def test_the_spent_date(given_on: date, story: Step, spent: date) -> None:
    c = given(given_on)
    story(c)
    assert c.spent_on == spent


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 10, 31), 3) == date(2027, 1, 31)


def test_the_day_given_is_the_uk_day() -> None:
    # 23:30 UTC on 31 August is 00:30 BST on 1 September: the caution was given on 1 September
    c = given(datetime(2026, 8, 31, 23, 30, tzinfo=UTC))
    assert c.spent_on == date(2026, 12, 1)


def test_the_day_the_conditions_ended_is_the_uk_day() -> None:
    c = given(date(2026, 3, 2))
    completed_on(40, hour=23)(c)  # 23:00 UTC on 11 April is 00:00 BST on 12 April
    assert c.spent_on == date(2026, 4, 12)


def test_an_open_caution_is_spent_three_months_on_at_the_latest() -> None:
    c = given(date(2026, 3, 2))
    assert spent_rule.spent_on(c) == c.spent_on == date(2026, 6, 2)
    assert spent_rule.may_come_sooner(c, date(2026, 6, 1))
    assert not spent_rule.may_come_sooner(c, date(2026, 6, 2))  # spent by then: nothing can bring it forward
    completed_on(41)(c)
    assert not spent_rule.may_come_sooner(c, date(2026, 4, 12))
