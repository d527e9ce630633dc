"""The CARA eligibility rules, one named function each, checked when a caution is issued.

Each rule returns a message when it fails and None when it holds, so an
ineligible application can be refused with every failed rule named.

The previous-disposal rule has two sources: what the issuing officer declares (`OffendingHistory`), and the
CARA cautions this system already holds for the offender in the force (`previous_cara_cautions`, asked of the
write side's table, references.py). Either failing fails the rule, and the refusal names the cautions found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from .errors import RuleFailure
from .values import (
    IssuingOfficer,
    Offence,
    OffenceCategory,
    OffenderIdentity,
    OffendingHistory,
    Rank,
    Relationship,
    RiskLevel,
    Victim,
)

ELIGIBLE_OFFENCES = frozenset(OffenceCategory) - {OffenceCategory.OTHER}
INTIMATE = frozenset({Relationship.CURRENT_PARTNER, Relationship.FORMER_PARTNER})
LOOKBACK_YEARS = 2


@dataclass(frozen=True)
class Application:
    """The facts an issuing officer asserts about one offender and offence."""

    offender: OffenderIdentity
    offence: Offence
    history: OffendingHistory
    victim: Victim
    issuing_officer: IssuingOfficer
    issued_on: date


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def offender_must_be_adult(a: Application) -> str | None:
    age = _age_on(a.offender.date_of_birth, a.offence.committed_on)
    return None if age >= 18 else f"The offender was {age} on the offence date; CARA is for adults (18+)."


def relationship_must_be_intimate_partner(a: Application) -> str | None:
    if a.offence.relationship in INTIMATE:
        return None
    return "The victim must be a current or former intimate partner of the offender."


def offence_must_be_eligible_category(a: Application) -> str | None:
    if a.offence.category in ELIGIBLE_OFFENCES:
        return None
    allowed = ", ".join(sorted(c.value for c in ELIGIBLE_OFFENCES))
    return f"The offence category is not eligible; eligible categories are: {allowed}."


def offender_must_have_admitted_offence(a: Application) -> str | None:
    return None if a.offence.admitted else "The offender must have admitted the offence."


def evidence_must_be_sufficient_to_charge(a: Application) -> str | None:
    if a.offence.evidence_sufficient_to_charge and a.offence.charge_decision_by.strip():
        return None
    return "There must be sufficient evidence to charge, agreed by the CPS or an authorised decision-maker."


def no_recent_domestic_abuse_disposal(a: Application) -> str | None:
    last = a.history.last_domestic_abuse_disposal_on
    if last is None or last < _years_before(a.issued_on, LOOKBACK_YEARS):
        return None
    return (f"The offender had a domestic abuse conviction or caution on {last.isoformat()}, "
            f"within the previous {LOOKBACK_YEARS} years.")


@dataclass(frozen=True)
class CautionOnRecord:
    """A CARA caution this system holds, as a refusal names it."""

    caution_id: UUID
    police_reference: str
    issued_on: date


@dataclass(frozen=True)
class PreviousCautionFailure(RuleFailure):
    """The previous-disposal rule failed (also) because of CARA cautions on this system's record."""

    cautions: tuple[CautionOnRecord, ...] = ()


def previous_cara_cautions(issued_on: date, held: Iterable[CautionOnRecord]) -> list[CautionOnRecord]:
    """The offender's CARA cautions (withdrawn ones already left out) within the look-back of a caution given on
    `issued_on`: less than LOOKBACK_YEARS apart, with the boundary of `no_recent_domestic_abuse_disposal`
    (a caution exactly two years before still counts).

    Counted both ways, so whichever of two cautions is recorded second is refused, even one dated before a
    caution already recorded: the record never holds two within the period, whatever order they came in."""
    return sorted((c for c in held if c.issued_on >= _years_before(issued_on, LOOKBACK_YEARS)
                   and issued_on >= _years_before(c.issued_on, LOOKBACK_YEARS)),
                  key=lambda c: (c.issued_on, c.police_reference))


def _named(cautions: Iterable[CautionOnRecord]) -> str:
    return "; ".join(f"caution {c.caution_id}, police reference {c.police_reference}, given on "
                     f"{c.issued_on.isoformat()}" for c in cautions)


def with_previous_cautions(failures: list[RuleFailure], found: list[CautionOnRecord]) -> list[RuleFailure]:
    """The failed rules with the CARA cautions found added to the previous-disposal rule (one entry per rule,
    in the order of RULES)."""
    if not found:
        return failures
    rule = no_recent_domestic_abuse_disposal.__name__
    message = (f"The offender has a CARA caution in this force within {LOOKBACK_YEARS} years of this one's date "
               f"({_named(found)}).")
    declared = next((f for f in failures if f.rule == rule), None)
    merged = PreviousCautionFailure(rule, f"{declared.message} {message}" if declared else message, tuple(found))
    order = [r.__name__ for r in RULES]
    others = [f for f in failures if f.rule != rule]
    return sorted([*others, merged], key=lambda f: order.index(f.rule) if f.rule in order else len(order))


def not_serving_community_sentence(a: Application) -> str | None:
    if not a.history.serving_community_sentence:
        return None
    return "The offender is currently serving a community sentence or order."


def victim_risk_must_be_standard_or_medium(a: Application) -> str | None:
    if a.victim.dash_risk is not RiskLevel.HIGH:
        return None
    return "The DASH risk assessment is high; only standard or medium risk cases are eligible."


def victim_must_be_consulted_and_agree(a: Application) -> str | None:
    if a.victim.consulted and a.victim.agrees:
        return None
    return "The victim must have been consulted and must agree to the caution."


def issuer_must_be_sergeant_or_authorised(a: Application) -> str | None:
    officer: IssuingOfficer = a.issuing_officer
    if officer.authorised_person or officer.rank.at_least(Rank.SERGEANT):
        return None
    return "The caution must be issued by an officer of at least sergeant rank or an authorised person."


def offence_must_precede_caution(a: Application) -> str | None:
    if a.offence.committed_on <= a.issued_on:
        return None
    return "The offence date is after the caution date."


RULES: tuple[Callable[[Application], str | None], ...] = (
    offender_must_be_adult,
    relationship_must_be_intimate_partner,
    offence_must_be_eligible_category,
    offender_must_have_admitted_offence,
    evidence_must_be_sufficient_to_charge,
    no_recent_domestic_abuse_disposal,
    not_serving_community_sentence,
    victim_risk_must_be_standard_or_medium,
    victim_must_be_consulted_and_agree,
    issuer_must_be_sergeant_or_authorised,
    offence_must_precede_caution,
)


def failed_rules(application: Application) -> list[RuleFailure]:
    failures = []
    for rule in RULES:
        message = rule(application)
        if message is not None:
            failures.append(RuleFailure(rule=rule.__name__, message=message))
    return failures
