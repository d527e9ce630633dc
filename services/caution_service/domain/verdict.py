"""The verdict on a caution's compliance, with the reasons the court reads beside it, true on the day it is read.

DOMAIN.md's verdict table is the contract:

| situation                                       | outcome      | decision                            |
|-------------------------------------------------|--------------|-------------------------------------|
| completed (the facts meet every condition)      | complied     | None                                |
| open, period not ended (today <= its last day)  | in_progress  | None                                |
| period ended, conditions unmet, no decision yet | not_complied | breach_decision_pending             |
| breached                                        | not_complied | prosecute / no_further_action       |
| withdrawn                                       | withdrawn    | None                                |

The clock decides when the period has ended, not the monitor: a caution whose last day is past is not complied
whether or not ComplianceDeadlinePassed has been recorded yet. "Complied" is said only when the facts as they
stand (corrections included) meet every condition: both workshops attended inside the period, B at least the gap
after A, the victim contacted after A. A caution recorded as completed whose facts no longer meet them (a later
correction) is not complied, and a police decision is due; an open one whose facts met them all inside the
period, with completion not yet recorded when the period ended, complied (its reasons say completion is not
recorded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from shared.uk_time import uk_date, uk_time_text

from .caution import Caution
from .progress import workshops_can_fit
from .values import Status

BREACH_DECISION_PENDING = "breach_decision_pending"


def verdict(c: Caution, entries: Sequence[Mapping[str, Any]], today: date) -> dict[str, Any]:
    """The outcome, the decision behind a "not complied", and the reasons, on the UK day `today`;
    `entries` are the history's entries shown with it (event_type, summary). Corrections that bear on it are
    stated after the reasons, as corrections (`correction_reasons`)."""
    judged = _judged(c, entries, today)
    judged["reasons"] += correction_reasons(c, entries)
    return judged


def _judged(c: Caution, entries: Sequence[Mapping[str, Any]], today: date) -> dict[str, Any]:
    if c.status is Status.WITHDRAWN:
        return _verdict("withdrawn", None, [
            *_closing_sentence(entries, "Withdrawn"),
            "The caution was set aside: there is no caution to cite."])
    if c.status is Status.BREACHED:
        assert c.breach_outcome is not None  # a breach is always decided one way or the other
        return _verdict("not_complied", c.breach_outcome.value, _closing_sentence(entries, "Breached") or [
            f"Breach decided ({c.breach_outcome.value.replace('_', ' ')})."])
    unmet = unmet_facts(c)
    if c.is_open and today <= c.period_ends_on:
        return _verdict("in_progress", None, _in_progress_reasons(c, unmet, today))
    if not unmet:
        return _verdict("complied", None, _complied_reasons(c))
    if c.status is Status.COMPLETED:
        assert c.final_at is not None
        return _verdict("not_complied", BREACH_DECISION_PENDING, [
            f"Completion was recorded on {uk_date(c.final_at)}, but on the facts as corrected the conditions "
            "are not met.",
            *(f"Not met: {item}." for item in unmet),
            "A police decision on the breach is due."])
    reasons = [f"The caution period ended on {c.period_ends_on} without every condition met.",
               *(f"Not met: {item}." for item in unmet)]
    if c.breach_referred:
        reasons.append("An excuse was rejected; the case is referred for a breach decision.")
    reasons.append("A police decision on the breach is due.")
    return _verdict("not_complied", BREACH_DECISION_PENDING, reasons)


def unmet_facts(c: Caution) -> list[str]:
    """What the facts as they stand leave unmet, in plain words; empty when every condition is met. Recomputed from
    the attendances, the gap and the period (UK days), so a correction that breaks a condition shows here."""
    unmet = list(c.unmet_conditions())
    a, b = c.attended_a_at, c.attended_b_at
    issued_on, ends_on = uk_date(c.issued_at), c.period_ends_on
    for name, when in (("A", a), ("B", b)):
        if when is not None and not issued_on <= uk_date(when) <= ends_on:
            unmet.append(f"workshop {name} attended on {uk_date(when)}, outside the caution period "
                         f"({issued_on} to {ends_on})")
    gap = c.conditions.min_days_between_workshops
    if a is not None and b is not None and (uk_date(b) - uk_date(a)).days < gap:
        unmet.append(f"workshop B attended {(uk_date(b) - uk_date(a)).days} days after A (at least {gap} needed)")
    return unmet


def _verdict(outcome: str, decision: str | None, reasons: list[str]) -> dict[str, Any]:
    return {"outcome": outcome, "decision": decision, "reasons": reasons}


def _closing_sentence(entries: Sequence[Mapping[str, Any]], event_type: str) -> list[str]:
    return [e["summary"] for e in entries if e["event_type"] == event_type][-1:]


def _complied_reasons(c: Caution) -> list[str]:
    a, b = c.attended_a_at, c.attended_b_at
    assert a is not None and b is not None  # no condition unmet
    reasons = [
        f"Workshop A attended on {uk_date(a)}.",
        f"Workshop B attended on {uk_date(b)}, {(uk_date(b) - uk_date(a)).days} days after A.",
        "The victim was contacted after workshop A.",
        f"Both workshops inside the caution period ({uk_date(c.issued_at)} to {c.period_ends_on}).",
    ]
    if c.status is not Status.COMPLETED:
        reasons.append("Every condition was met inside the period; completion has not been recorded yet.")
    return reasons


def _in_progress_reasons(c: Caution, unmet: list[str], today: date) -> list[str]:
    reasons = [f"Not yet met: {item}." for item in unmet]
    if not unmet:
        reasons.append("Every condition is met; completion is yet to be recorded.")
    reasons.append(f"The caution period ends on {c.period_ends_on}.")
    if not workshops_can_fit(c, today):
        reasons.append(f"Too little of the period is left for the workshops still to attend (A, then B at least "
                       f"{c.conditions.min_days_between_workshops} days later): the conditions must be varied.")
    if c.breach_referred:
        reasons.append("An excuse was rejected; the case is referred for a breach decision.")
    return reasons


# ----- corrections (issue 17) ---------------------------------------------------------------------------


def correction_reasons(c: Caution, entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the verdict must say about corrections: each entry struck out as recorded in error or re-timed (the
    verdict is decided from the facts as corrected: a completion they no longer support reads not complied)."""
    reasons = []
    for e in entries:
        if e["event_type"] != "EntryCorrected":
            continue
        d, by = e["details"], e["entry"]
        corrected = f"Entry {d['corrects_version']} ({d['corrected_type']})"
        reason = str(d["reason"]).rstrip(".")
        if d.get("recorded_in_error"):
            reasons.append(f"{corrected} was recorded in error (corrected by entry {by}): {reason}.")
        elif d.get("corrected_occurred_at"):
            when = uk_time_text(datetime.fromisoformat(d["corrected_occurred_at"]))
            reasons.append(f"{corrected} happened at {when} (corrected by entry {by}): {reason}.")
    return reasons
