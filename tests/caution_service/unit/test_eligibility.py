"""Eligibility: each rule holds and fails on its own, at its boundary, and a refusal names every failed rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.caution_service.domain import eligibility
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import NotEligible
from services.caution_service.domain.values import Gender, OffenceCategory, Rank, Relationship, RiskLevel

from .builders import ISSUED_ON, T0, application, history, issue_kwargs, offence, offender, officer, victim


def failed(app: eligibility.Application) -> list[str]:
    return [f.rule for f in eligibility.failed_rules(app)]


def test_the_builder_application_is_eligible() -> None:
    assert failed(application()) == []


def test_every_rule_is_checked_by_name() -> None:
    names = {rule.__name__ for rule in eligibility.RULES}
    assert names == {
        "offender_must_be_adult",
        "relationship_must_be_intimate_partner",
        "offence_must_be_eligible_category",
        "offender_must_have_admitted_offence",
        "evidence_must_be_sufficient_to_charge",
        "no_recent_domestic_abuse_disposal",
        "not_serving_community_sentence",
        "victim_risk_must_be_standard_or_medium",
        "victim_must_be_consulted_and_agree",
        "issuer_must_be_sergeant_or_authorised",
        "offence_must_precede_caution",
    }


# ----- adult on the offence date ------------------------------------------------------------------

OFFENCE_DAY = date(2026, 2, 20)


def on_offence_day(born: date) -> eligibility.Application:
    return application(offender=offender(date_of_birth=born), offence=offence(committed_on=OFFENCE_DAY))


def test_offender_whose_18th_birthday_is_the_offence_date_is_an_adult() -> None:
    assert failed(on_offence_day(date(2008, 2, 20))) == []


def test_offender_one_day_short_of_18_on_the_offence_date_is_refused() -> None:
    assert failed(on_offence_day(date(2008, 2, 21))) == ["offender_must_be_adult"]


def test_age_is_taken_on_the_offence_date_not_the_caution_date() -> None:
    # 17 when the offence was committed, 18 by the time of the caution: still refused.
    app = application(offender=offender(date_of_birth=OFFENCE_DAY.replace(year=2008) + timedelta(days=3)),
                      offence=offence(committed_on=OFFENCE_DAY))
    assert OFFENCE_DAY + timedelta(days=3) <= ISSUED_ON
    assert failed(app) == ["offender_must_be_adult"]


def test_offender_born_29_february_is_18_on_1_march_of_a_non_leap_year() -> None:
    app = application(offender=offender(date_of_birth=date(2008, 2, 29)),
                      offence=offence(committed_on=date(2026, 3, 1)))
    assert failed(app) == []


def test_offender_born_29_february_is_still_17_on_28_february_of_a_non_leap_year() -> None:
    app = application(offender=offender(date_of_birth=date(2008, 2, 29)),
                      offence=offence(committed_on=date(2026, 2, 28)))
    assert failed(app) == ["offender_must_be_adult"]


@pytest.mark.parametrize("gender", list(Gender))
def test_gender_is_recorded_but_never_a_bar(gender: Gender) -> None:
    assert failed(application(offender=offender(gender=gender))) == []


# ----- relationship -------------------------------------------------------------------------------


@pytest.mark.parametrize("relationship", [Relationship.CURRENT_PARTNER, Relationship.FORMER_PARTNER])
def test_current_or_former_intimate_partner_is_eligible(relationship: Relationship) -> None:
    assert failed(application(offence=offence(relationship=relationship))) == []


@pytest.mark.parametrize("relationship", [Relationship.FAMILY_MEMBER, Relationship.OTHER])
def test_victim_who_is_not_an_intimate_partner_is_refused(relationship: Relationship) -> None:
    assert failed(application(offence=offence(relationship=relationship))) == ["relationship_must_be_intimate_partner"]


# ----- offence category ---------------------------------------------------------------------------

ELIGIBLE_CATEGORIES = [
    OffenceCategory.COMMON_ASSAULT,
    OffenceCategory.BATTERY,
    OffenceCategory.CRIMINAL_DAMAGE,
    OffenceCategory.HARASSMENT,
    OffenceCategory.THREATENING_BEHAVIOUR,
    OffenceCategory.DOMESTIC_THEFT,
]


@pytest.mark.parametrize("category", ELIGIBLE_CATEGORIES)
def test_each_listed_offence_category_is_eligible(category: OffenceCategory) -> None:
    assert failed(application(offence=offence(category=category))) == []


def test_an_offence_outside_the_listed_categories_is_refused() -> None:
    assert failed(application(offence=offence(category=OffenceCategory.OTHER))) == ["offence_must_be_eligible_category"]


def test_the_eligible_categories_are_exactly_the_listed_ones() -> None:
    assert eligibility.ELIGIBLE_OFFENCES == frozenset(ELIGIBLE_CATEGORIES)


# ----- admission and evidence ---------------------------------------------------------------------


def test_offence_not_admitted_is_refused() -> None:
    assert failed(application(offence=offence(admitted=False))) == ["offender_must_have_admitted_offence"]


def test_insufficient_evidence_to_charge_is_refused() -> None:
    app = application(offence=offence(evidence_sufficient_to_charge=False))
    assert failed(app) == ["evidence_must_be_sufficient_to_charge"]


@pytest.mark.parametrize("decided_by", ["", "   "])
def test_evidence_without_a_named_charge_decision_maker_is_refused(decided_by: str) -> None:
    app = application(offence=offence(charge_decision_by=decided_by))
    assert failed(app) == ["evidence_must_be_sufficient_to_charge"]


# ----- offending history --------------------------------------------------------------------------


def test_a_disposal_exactly_two_years_before_the_caution_still_counts_as_recent() -> None:
    app = application(history=history(last_domestic_abuse_disposal_on=ISSUED_ON.replace(year=ISSUED_ON.year - 2)))
    assert failed(app) == ["no_recent_domestic_abuse_disposal"]


def test_a_disposal_two_years_and_a_day_before_the_caution_is_not_recent() -> None:
    last = ISSUED_ON.replace(year=ISSUED_ON.year - 2) - timedelta(days=1)
    assert failed(application(history=history(last_domestic_abuse_disposal_on=last))) == []


def test_a_disposal_last_month_is_refused_and_the_message_names_its_date() -> None:
    last = ISSUED_ON - timedelta(days=30)
    failures = eligibility.failed_rules(application(history=history(last_domestic_abuse_disposal_on=last)))
    assert [f.rule for f in failures] == ["no_recent_domestic_abuse_disposal"]
    assert last.isoformat() in failures[0].message


def test_two_year_lookback_from_29_february_ends_on_28_february() -> None:
    leap_day = date(2028, 2, 29)
    app = application(issued_on=leap_day, history=history(last_domestic_abuse_disposal_on=date(2026, 2, 28)))
    assert failed(app) == ["no_recent_domestic_abuse_disposal"]
    app = application(issued_on=leap_day, history=history(last_domestic_abuse_disposal_on=date(2026, 2, 27)))
    assert failed(app) == []


def test_offender_serving_a_community_sentence_is_refused() -> None:
    app = application(history=history(serving_community_sentence=True))
    assert failed(app) == ["not_serving_community_sentence"]


# ----- victim -------------------------------------------------------------------------------------


@pytest.mark.parametrize("risk", [RiskLevel.STANDARD, RiskLevel.MEDIUM])
def test_standard_or_medium_dash_risk_is_eligible(risk: RiskLevel) -> None:
    assert failed(application(victim=victim(dash_risk=risk))) == []


def test_high_dash_risk_is_never_eligible() -> None:
    app = application(victim=victim(dash_risk=RiskLevel.HIGH))
    assert failed(app) == ["victim_risk_must_be_standard_or_medium"]


def test_high_dash_risk_is_refused_even_when_the_victim_agrees_and_an_inspector_issues() -> None:
    app = application(victim=victim(dash_risk=RiskLevel.HIGH, agrees=True),
                      issuing_officer=officer(rank=Rank.INSPECTOR))
    assert failed(app) == ["victim_risk_must_be_standard_or_medium"]


def test_victim_not_consulted_is_refused() -> None:
    assert failed(application(victim=victim(consulted=False))) == ["victim_must_be_consulted_and_agree"]


def test_victim_consulted_but_not_agreeing_is_refused() -> None:
    assert failed(application(victim=victim(agrees=False))) == ["victim_must_be_consulted_and_agree"]


# ----- issuing officer ----------------------------------------------------------------------------


def test_a_constable_who_is_not_an_authorised_person_cannot_issue() -> None:
    app = application(issuing_officer=officer(rank=Rank.CONSTABLE, authorised_person=False))
    assert failed(app) == ["issuer_must_be_sergeant_or_authorised"]


def test_a_constable_who_is_an_authorised_person_can_issue() -> None:
    assert failed(application(issuing_officer=officer(rank=Rank.CONSTABLE, authorised_person=True))) == []


@pytest.mark.parametrize("rank", [r for r in Rank if r is not Rank.CONSTABLE])
def test_a_sergeant_or_more_senior_officer_can_issue(rank: Rank) -> None:
    assert failed(application(issuing_officer=officer(rank=rank, authorised_person=False))) == []


def test_rank_order_puts_constable_below_sergeant() -> None:
    assert not Rank.CONSTABLE.at_least(Rank.SERGEANT)
    assert Rank.SERGEANT.at_least(Rank.SERGEANT)
    assert Rank.CHIEF_SUPERINTENDENT.at_least(Rank.SERGEANT)


# ----- dates --------------------------------------------------------------------------------------


def test_an_offence_on_the_caution_date_is_eligible() -> None:
    assert failed(application(offence=offence(committed_on=ISSUED_ON))) == []


def test_an_offence_dated_after_the_caution_is_refused() -> None:
    app = application(offence=offence(committed_on=ISSUED_ON + timedelta(days=1)))
    assert failed(app) == ["offence_must_precede_caution"]


# ----- several failures at once -------------------------------------------------------------------


def everything_wrong() -> eligibility.Application:
    return application(
        offender=offender(date_of_birth=ISSUED_ON - timedelta(days=365 * 16)),
        offence=offence(
            category=OffenceCategory.OTHER,
            relationship=Relationship.FAMILY_MEMBER,
            admitted=False,
            evidence_sufficient_to_charge=False,
            committed_on=ISSUED_ON + timedelta(days=2),
        ),
        history=history(last_domestic_abuse_disposal_on=ISSUED_ON - timedelta(days=100),
                        serving_community_sentence=True),
        victim=victim(dash_risk=RiskLevel.HIGH, consulted=False, agrees=False),
        issuing_officer=officer(rank=Rank.CONSTABLE, authorised_person=False),
    )


def test_an_application_failing_every_rule_lists_every_rule_in_order() -> None:
    assert failed(everything_wrong()) == [rule.__name__ for rule in eligibility.RULES]


def test_issuing_an_ineligible_caution_raises_not_eligible_naming_every_failed_rule() -> None:
    kwargs = issue_kwargs(
        offence=offence(admitted=False, relationship=Relationship.FAMILY_MEMBER),
        victim=victim(dash_risk=RiskLevel.HIGH),
        issuing_officer=officer(rank=Rank.CONSTABLE),
    )
    with pytest.raises(NotEligible) as refused:
        Caution.issue(**kwargs)
    assert [f.rule for f in refused.value.failures] == [
        "relationship_must_be_intimate_partner",
        "offender_must_have_admitted_offence",
        "victim_risk_must_be_standard_or_medium",
        "issuer_must_be_sergeant_or_authorised",
    ]
    assert all(f.message for f in refused.value.failures)
    for failure in refused.value.failures:
        assert failure.message in str(refused.value)


def test_issuing_checks_eligibility_against_the_caution_date() -> None:
    last = T0.date() - timedelta(days=729)  # inside the 2-year lookback from the caution date
    with pytest.raises(NotEligible) as refused:
        Caution.issue(**issue_kwargs(history=history(last_domestic_abuse_disposal_on=last)))
    assert [f.rule for f in refused.value.failures] == ["no_recent_domestic_abuse_disposal"]


def test_an_eligible_application_is_issued_and_records_who_issued_it() -> None:
    caution = Caution.issue(**issue_kwargs())
    assert caution.issuing_officer == officer()
    assert caution.version == 1
