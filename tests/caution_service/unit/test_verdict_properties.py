"""For random lifecycles, built only through the Caution's public methods, the verdict read on any day never
contradicts itself or the facts: what a court reads is true at every moment.

Each lifecycle is a run of commands (issue, schedule, attend, miss, excuse, contact, vary, deadline, breach,
complete, withdraw) on days that move forward; the domain refuses what cannot happen, and the run goes on.
The verdict is then read for a handful of days, around the period's end and long after it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import DomainError
from services.caution_service.domain.spent import add_months
from services.caution_service.domain.values import (
    TERMINAL,
    Booking,
    BreachOutcome,
    ContactOutcome,
    ContactStage,
    MissReason,
    Status,
    Workshop,
)
from services.caution_service.domain.verdict import verdict
from services.caution_service.projections.entries import entry_content
from shared.uk_time import uk_date

from .builders import ISSUED_ON, POLICE, PROVIDER, SYSTEM, VICTIM_SERVICE, issued

GAP = 28
DECISIONS = {"breach_decision_pending", "prosecute", "no_further_action"}
HOURS = (8, 10, 18, 23)  # 23:00 UTC is the next UK day in summer time

others = st.one_of(
    st.tuples(st.just("schedule"), st.sampled_from(Workshop), st.integers(0, 40), st.booleans()),
    st.tuples(st.just("attend"), st.sampled_from(Workshop), st.sampled_from(HOURS), st.booleans()),
    st.tuples(st.just("miss"), st.sampled_from(Workshop)),
    st.tuples(st.just("excuse"), st.booleans()),
    st.tuples(st.just("contact"), st.sampled_from(ContactStage)),
    st.tuples(st.just("vary"), st.integers(-20, 30)),
    st.tuples(st.just("deadline"),),
    st.tuples(st.just("breach"), st.sampled_from(BreachOutcome)),
    st.tuples(st.just("complete"),),
    st.tuples(st.just("withdraw"),),
)
# Mostly what the caution needs next (sometimes a few days late), so runs reach completion; otherwise any command.
commands = st.tuples(st.integers(0, 9), st.integers(0, 6), others).map(
    lambda pick: ("progress", pick[1]) if pick[0] < 7 else pick[2])
lifecycles = st.lists(st.tuples(st.integers(0, 20), commands), min_size=3, max_size=24)
reading_days = st.lists(st.integers(-3, 200), min_size=1, max_size=4)


def _moment(day: int, hour: int = 10) -> datetime:
    return datetime.combine(ISSUED_ON + timedelta(days=day), time(hour), tzinfo=UTC)


def _next_step(c: Caution, day: int, late: int) -> tuple[Any, ...]:
    """The command the caution needs next (a few days `late` now and then), so runs reach completion."""
    if c.pending_miss is not None:
        return ("excuse", late % 2 == 0)
    if c.is_open and not c.deadline_passed and ISSUED_ON + timedelta(days=day) > c.period_ends_on:
        return ("deadline",)
    for workshop in Workshop:
        if late == 6 and c.booking(workshop) is not None and c.attended_at(workshop) is None:
            return ("miss", workshop)
    if c.booking_a is None:
        return ("schedule", Workshop.A, 3 + late, False)
    if c.attended_a_at is None:
        return ("attend", Workshop.A, 18, late < 5)
    if not c.contacted_after_a:
        return ("contact", ContactStage.AFTER_WORKSHOP_A)
    if c.booking_b is None:
        a_day = (uk_date(c.attended_a_at) - ISSUED_ON).days
        return ("schedule", Workshop.B, max(0, a_day + GAP + late - day), False)
    if c.attended_b_at is None:
        return ("attend", Workshop.B, 18, late < 5)
    if c.status is Status.COMPLETED:
        return ("contact", ContactStage.ON_COMPLETION)
    return ("complete",)


def _run(c: Caution, day: int, command: tuple[Any, ...]) -> None:
    """One command on `day`; a refused one leaves the caution as it was (the state machine test checks that)."""
    if command[0] == "progress":
        command = _next_step(c, day, command[1])
    name = command[0]
    now = _moment(day, 21)
    at: dict[str, Any] = {"occurred_at": now, "recorded_at": now + timedelta(hours=1)}
    if name == "schedule":
        _, workshop, ahead, rebook = command
        c.schedule_workshop(workshop, Booking(_moment(day + ahead, 18), "Hall"), "moved" if rebook else None, **at,
                            recorded_by=PROVIDER)
    elif name == "attend":
        _, workshop, hour, on_the_booked_day = command
        booking = c.booking(workshop)
        when = booking.session_at if booking and on_the_booked_day else _moment(day, hour)
        attend = c.attend_workshop_a if workshop is Workshop.A else c.attend_workshop_b
        attend(occurred_at=when, recorded_at=max(when, now) + timedelta(hours=1), recorded_by=PROVIDER)
    elif name == "miss":
        booking = c.booking(command[1])
        when = booking.session_at + timedelta(hours=1) if booking else now
        c.miss_workshop(command[1], MissReason.DID_NOT_ATTEND, "", occurred_at=when,
                        recorded_at=max(when, now) + timedelta(hours=1), recorded_by=PROVIDER)
    elif name == "excuse":
        c.decide_excuse(command[1], "reason", **at, recorded_by=POLICE)
    elif name == "contact":
        c.contact_victim(command[1], ContactOutcome.CONTACTED, False, None, **at, recorded_by=VICTIM_SERVICE)
    elif name == "vary":
        c.vary_conditions(c.period_ends_on + timedelta(days=command[1]), "illness", "INSP-1", **at,
                          recorded_by=POLICE)
    elif name == "deadline":
        c.record_deadline_passed(recorded_at=now, recorded_by=SYSTEM)
    elif name == "breach":
        c.breach(command[1], "no excuse", **at, recorded_by=POLICE)
    elif name == "complete":
        c.complete(**at, recorded_by=PROVIDER)
    else:
        c.withdraw("appeal", **at, recorded_by=POLICE)


def _lifecycle(steps: list[tuple[int, tuple[Any, ...]]]) -> tuple[Caution, list[dict[str, Any]]]:
    c = issued()
    events = list(c.collect_events())
    day = 0
    for wait, command in steps:
        day += wait
        try:
            _run(c, day, command)
        except DomainError:
            pass
        new = c.collect_events()
        events += new
        day = max([day] + [(uk_date(e.occurred_at) - ISSUED_ON).days for e in new if hasattr(e, "occurred_at")])
    return c, [entry_content(e) for e in events]


def _facts_meet_every_condition(c: Caution) -> bool:
    a, b = c.attended_a_at, c.attended_b_at
    if a is None or b is None or not c.contacted_after_a:
        return False
    window = (uk_date(c.issued_at), c.period_ends_on)
    return (window[0] <= uk_date(a) <= window[1] and window[0] <= uk_date(b) <= window[1]
            and (uk_date(b) - uk_date(a)).days >= GAP)


def _check(c: Caution, entries: list[dict[str, Any]], today: date) -> None:
    v = verdict(c, entries, today)
    outcome, decision, reasons = v["outcome"], v["decision"], v["reasons"]
    text = " ".join(reasons)
    period_runs = c.status not in TERMINAL and today <= c.period_ends_on
    assert set(v) == {"outcome", "decision", "reasons"} and reasons and all(r.strip() for r in reasons)

    # one outcome for one situation
    assert (outcome == "withdrawn") == (c.status is Status.WITHDRAWN)
    assert (outcome == "in_progress") == period_runs, (outcome, c.status, today, c.period_ends_on)
    if c.status is Status.BREACHED:
        assert outcome == "not_complied"

    # "not complied" always names its decision, and only it does
    if outcome == "not_complied":
        assert decision in DECISIONS
        if c.status is Status.BREACHED:
            assert c.breach_outcome is not None and decision == c.breach_outcome.value
        else:
            assert decision == "breach_decision_pending" and "decision on the breach is due" in text
    else:
        assert decision is None

    # while the period runs nothing says it has ended, and what is missing is "not yet" met, never "not" met
    if outcome == "in_progress":
        assert not re.search(r"\bended\b", text) and "Not met" not in text
        assert "decision on the breach is due" not in text
        assert f"The caution period ends on {c.period_ends_on}." in reasons
    else:
        assert "Not yet met" not in text and "ends on" not in text

    # complied only on facts that meet every condition, and its dates are the facts' UK days
    if outcome == "complied":
        assert _facts_meet_every_condition(c)
        assert c.attended_a_at is not None and c.attended_b_at is not None
        assert f"Workshop A attended on {uk_date(c.attended_a_at)}." in reasons
        assert "days after A" in reasons[1] and str(uk_date(c.attended_b_at)) in reasons[1]
        assert "Not met" not in text and "Not yet met" not in text
    if outcome == "not_complied" and c.status is not Status.BREACHED:
        assert not _facts_meet_every_condition(c) and "Not met" in text

    # the spent date: never after three months; a "no further action" breach leaves them standing
    three_months = add_months(uk_date(c.issued_at), 3)
    assert c.spent_on <= three_months
    if c.status is Status.BREACHED and c.breach_outcome is BreachOutcome.NO_FURTHER_ACTION:
        assert c.spent_on == three_months


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(steps=lifecycles, days=reading_days)
def test_no_sentence_of_the_verdict_contradicts_another_or_the_facts(
    steps: list[tuple[int, tuple[Any, ...]]], days: list[int]
) -> None:
    c, entries = _lifecycle(steps)
    event(f"ended {c.status.value}" + (" (round 2+)" if c.round > 1 else ""))
    event("deadline recorded" if "ComplianceDeadlinePassed" in c.entries else "no deadline recorded")
    for today in {ISSUED_ON + timedelta(days=d) for d in days} | {c.period_ends_on, c.period_ends_on + timedelta(1)}:
        _check(c, entries, today)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(steps=lifecycles)
def test_once_the_period_has_ended_an_open_caution_reads_the_same_on_every_later_day(
    steps: list[tuple[int, tuple[Any, ...]]]
) -> None:
    c, entries = _lifecycle(steps)
    later = [verdict(c, entries, c.period_ends_on + timedelta(days=d)) for d in (1, 2, 30, 400)]
    assert all(v == later[0] for v in later)
    assert later[0]["outcome"] != "in_progress"
