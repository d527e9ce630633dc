"""A scrutiny panel's review of one caution (issue 19): recorded on open and closed cautions, by police or provider
(the route decides who), changing nothing the caution decides, and never struck out."""

from __future__ import annotations

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


def test_a_panel_review_needs_its_id_members_a_decision_and_a_date_in_the_caution() -> None:
    c = issued()
    held = at(5).date()
    args = dict(kind=PanelCaseKind.OUT_OF_TIME, actions=[], **when(5), recorded_by=POLICE)
    with refused(InvalidCommand, "panel_id_required", c):
        c.record_panel_review(" ", held, ["INSP-1"], decision="ok", **args)  # type: ignore[arg-type]
    with refused(InvalidCommand, "panel_needs_members", c):
        c.record_panel_review("p-1", held, [" "], decision="ok", **args)  # type: ignore[arg-type]
    with refused(InvalidCommand, "panel_decision_required", c):
        c.record_panel_review("p-1", held, ["INSP-1"], decision="  ", **args)  # type: ignore[arg-type]
    with refused(InvalidCommand, "not_in_future", c):
        c.record_panel_review("p-1", at(7).date(), ["INSP-1"], decision="ok", **args)  # type: ignore[arg-type]
    with refused(InvalidCommand, "not_before_caution", c):
        c.record_panel_review("p-1", at(-1).date(), ["INSP-1"], decision="ok", **args)  # type: ignore[arg-type]
    c.record_panel_review("p-1", held, ["INSP-1"], decision="ok", **args)  # type: ignore[arg-type]


def test_a_panel_review_is_not_struck_out() -> None:
    c = issued()
    panel(c, 5)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, c.version, 6)
    assert "record the panel's review again" in caught.value.message
