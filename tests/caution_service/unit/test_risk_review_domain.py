"""DASH re-assessment during a caution and the police's review after a rise to high (issue 19)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.progress import required_actions
from services.caution_service.domain.values import DataProtectionBasis, Person, RiskLevel, RiskReviewDecision
from tests.support import at

from .builders import (
    ADMIN,
    POLICE,
    VICTIM_SERVICE,
    completed,
    issued,
    pending,
    reassess,
    refused,
    review,
    strike,
    victim,
    when,
    withdraw,
)

REVIEW = "review_caution_after_risk_rise"


def _reviews(c: Caution, today: date) -> list[tuple[str, str, date | None]]:
    return [(a.action, a.role, a.due_on) for a in required_actions(c, today) if a.action == REVIEW]


def test_a_re_assessment_records_the_level_it_replaces_and_the_current_risk_follows_it() -> None:
    c = issued(victim=victim(dash_risk=RiskLevel.STANDARD))
    reassess(c, RiskLevel.MEDIUM, 3, by=VICTIM_SERVICE)
    assert (pending(c).dash_risk, pending(c).previous) == (RiskLevel.MEDIUM, RiskLevel.STANDARD)
    assert c.dash_risk is RiskLevel.MEDIUM and c.victim.dash_risk is RiskLevel.STANDARD  # the risk stays
    assert c.risk_review_due_since is None and _reviews(c, at(3).date()) == []
    reassess(c, RiskLevel.MEDIUM, 4)  # the same level again is a re-assessment too
    assert pending(c).previous is RiskLevel.MEDIUM and c.risk_review_due_since is None


def test_a_rise_to_high_asks_the_police_to_review_the_caution_due_the_uk_day_of_the_rise() -> None:
    c = issued(victim=victim(dash_risk=RiskLevel.MEDIUM))
    reassess(c, RiskLevel.HIGH, 5)
    assert c.risk_review_due_since == at(5) and c.risk_review_entry == c.version
    assert _reviews(c, at(5).date()) == [(REVIEW, "police", at(5).date())]
    assert required_actions(c, at(5).date())[0].action == REVIEW  # before the caution's own progress


def test_a_rise_late_on_a_summer_evening_is_due_the_next_utc_day_that_is_the_uk_day() -> None:
    c = issued()
    late = datetime(2026, 6, 10, 23, 30, tzinfo=UTC)  # 00:30 on 11 June in London
    c.reassess_risk(RiskLevel.HIGH, "threats", occurred_at=late, recorded_at=late, recorded_by=POLICE)
    assert _reviews(c, date(2026, 6, 11)) == [(REVIEW, "police", date(2026, 6, 11))]


def test_high_again_asks_nothing_more_and_a_new_rise_after_a_decision_asks_again() -> None:
    """A caution is issued only at standard or medium risk (eligibility), so the first high is always a rise."""
    c = issued(victim=victim(dash_risk=RiskLevel.MEDIUM))
    reassess(c, RiskLevel.HIGH, 3)
    review(c, RiskReviewDecision.CONTINUE, 3)
    reassess(c, RiskLevel.HIGH, 4)
    assert c.risk_review_due_since is None
    reassess(c, RiskLevel.MEDIUM, 5)
    reassess(c, RiskLevel.HIGH, 6)
    assert c.risk_review_due_since == at(6)


def test_a_second_rise_before_the_review_keeps_the_first_due_day() -> None:
    c = issued()
    reassess(c, RiskLevel.HIGH, 3)
    reassess(c, RiskLevel.MEDIUM, 4)
    reassess(c, RiskLevel.HIGH, 6)
    assert c.risk_review_due_since == at(3)


def test_the_police_decide_the_review_which_closes_it() -> None:
    c = issued()
    with refused(ConflictsWithState, "no_risk_review_due", c):
        review(c, RiskReviewDecision.CONTINUE, 3)
    reassess(c, RiskLevel.HIGH, 3)
    with refused(InvalidCommand, "reason_required", c):
        c.decide_risk_review(RiskReviewDecision.VARY, " ", **when(4), recorded_by=POLICE)
    with refused(InvalidCommand, "review_after_risk_rise", c):
        c.decide_risk_review(RiskReviewDecision.VARY, "why", occurred_at=at(3, 9), recorded_at=at(4),
                             recorded_by=POLICE)
    review(c, RiskReviewDecision.WITHDRAW, 4)
    assert pending(c).decision is RiskReviewDecision.WITHDRAW
    assert c.risk_review_due_since is None and c.risk_review_entry is None and _reviews(c, at(4).date()) == []
    assert c.is_open  # the withdrawal itself is its own command
    with refused(ConflictsWithState, "no_risk_review_due", c):
        review(c, RiskReviewDecision.CONTINUE, 5)


def test_a_re_assessment_needs_a_reason_an_open_caution_and_a_victim_whose_data_is_held() -> None:
    c = issued()
    with refused(InvalidCommand, "reason_required", c):
        c.reassess_risk(RiskLevel.HIGH, "", **when(3), recorded_by=POLICE)
    with refused(InvalidCommand, "not_before_caution", c):
        c.reassess_risk(RiskLevel.HIGH, "why", occurred_at=at(-1), recorded_at=at(3), recorded_by=POLICE)
    closed = completed()
    with refused(ConflictsWithState, "caution_is_closed", closed):
        reassess(closed, RiskLevel.HIGH, 60)
    erased = issued()
    erased.erase_personal_data(Person.VICTIM, "court order", DataProtectionBasis.COURT_ORDER, recorded_at=at(2),
                               recorded_by=ADMIN)
    with refused(ConflictsWithState, "personal_data_erased", erased):
        reassess(erased, RiskLevel.HIGH, 3)


def test_a_review_is_not_asked_of_a_closed_caution_but_can_still_be_decided() -> None:
    c = issued()
    reassess(c, RiskLevel.HIGH, 3)
    withdraw(c, 4)
    assert _reviews(c, at(4).date()) == []
    review(c, RiskReviewDecision.WITHDRAW, 5)
    assert c.risk_review_due_since is None


def test_re_assessments_and_decisions_are_not_struck_out() -> None:
    c = issued()
    reassess(c, RiskLevel.HIGH, 3)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, c.version, 4)
    assert "re-assessing again" in caught.value.message
    review(c, RiskReviewDecision.CONTINUE, 4)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c):
        strike(c, c.version, 5)


def test_the_re_assessment_that_opened_the_review_re_timed_moves_its_due_day() -> None:
    c = issued()
    reassess(c, RiskLevel.MEDIUM, 2)
    reassess(c, RiskLevel.HIGH, 5)
    c.correct(c.version - 1, "wrong day", at(4), recorded_at=at(6), recorded_by=POLICE)  # not the rise: nothing moves
    assert c.risk_review_due_since == at(5)
    c.correct(c.risk_review_entry or 0, "assessed the day before", at(4), recorded_at=at(6), recorded_by=POLICE)
    assert c.risk_review_due_since == at(4) and _reviews(c, at(6).date())[0][2] == at(4).date()


def test_the_state_replayed_from_the_events_is_the_state_recorded() -> None:
    c = issued()
    reassess(c, RiskLevel.HIGH, 3)
    replayed = None
    for event in c.collect_events():
        replayed = event.mutate(replayed)
    assert isinstance(replayed, Caution)
    assert (replayed.dash_risk, replayed.risk_review_due_since, replayed.risk_review_entry) == (
        RiskLevel.HIGH, at(3), 2)
