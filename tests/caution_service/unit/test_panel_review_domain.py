"""A scrutiny panel's review of one caution (issue 19): recorded on open and closed cautions, by police or provider
(the route decides who), changing nothing the caution decides, and never struck out."""

from __future__ import annotations

from datetime import date

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import InvalidCommand
from services.caution_service.domain.progress import required_actions
from services.caution_service.domain.values import PanelCaseKind, Status
from tests.support import at

from .builders import POLICE, PROVIDER, breach, issued, panel, pending, referred, refused, strike, when


def test_a_panel_review_is_recorded_on_an_open_and_on_a_closed_caution_and_changes_nothing_decided() -> None:
    c = referred()
    before = (c.status, required_actions(c, at(60).date()))
    panel(c, 60, PanelCaseKind.BREACH_REFERRAL, by=PROVIDER, actions=[" share the learning ", "", "  "])
    event = pending(c)
    assert (event.panel_id, event.held_on, event.members, event.kind, event.decision, event.actions) == (
        "panel-2026-04", at(60).date(), ["INSP-2002", "prov-7"], PanelCaseKind.BREACH_REFERRAL, "handled well",
        ["share the learning"])
    assert (c.status, required_actions(c, at(60).date())) == before
    breach(c, 61)
    panel(c, 62)
    assert c.status is Status.BREACHED and c.entries[-1] == "CaseReviewedByPanel"


def _review(c: Caution, panel_id: str = "p-1", held: date | None = None, members: tuple[str, ...] = ("INSP-1",),
            decision: str = "ok") -> None:
    c.record_panel_review(panel_id, held or at(5).date(), list(members), PanelCaseKind.OUT_OF_TIME, decision, [],
                          **when(5), recorded_by=POLICE)


def test_a_panel_review_needs_its_id_members_a_decision_and_a_date_in_the_caution() -> None:
    c = issued()
    with refused(InvalidCommand, "panel_id_required", c):
        _review(c, panel_id=" ")
    with refused(InvalidCommand, "panel_needs_members", c):
        _review(c, members=(" ",))
    with refused(InvalidCommand, "panel_decision_required", c):
        _review(c, decision="  ")
    with refused(InvalidCommand, "not_in_future", c):
        _review(c, held=at(7).date())
    with refused(InvalidCommand, "not_before_caution", c):
        _review(c, held=at(-1).date())
    _review(c, held=at(0).date())  # the caution's own day, and the day it is recorded, are both inside
    _review(c, held=at(5).date())
    assert c.entries[-2:] == ["CaseReviewedByPanel", "CaseReviewedByPanel"]


def test_a_panel_review_is_not_struck_out() -> None:
    c = issued()
    panel(c, 5)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, c.version, 6)
    assert "record the panel's review again" in caught.value.message
