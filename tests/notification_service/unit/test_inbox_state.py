"""The table of what closes an inbox notice (inbox_state.py): done when its action is recorded, superseded when the
caution moved on. Pure: payloads as the feed carries them."""

from __future__ import annotations

from typing import Any

import pytest

from services.notification_service.inbox_state import (
    CLOSES_CAUTION,
    COMPLETED_BY,
    DONE,
    SUPERSEDED,
    closes,
    closings,
)
from services.notification_service.rules import RULES


def state_after(event: str, data: dict[str, Any], kind: str, topic: str | None = None) -> str | None:
    """The state an open notice of `kind` about `topic` is left in by `event` (None: it stays open)."""
    for closing in closings(event, data):
        if closes(closing, kind, topic):
            return closing.state
    return None


@pytest.mark.parametrize(("kind", "topic", "event", "data", "expected"), [
    ("excuse_decision_needed", "A", "ExcuseDecided", {"workshop": "A", "accepted": True}, DONE),
    ("excuse_decision_needed", "A", "ExcuseDecided", {"workshop": "B", "accepted": False}, None),
    ("excuse_decision_needed", "B", "Breached", {"outcome": "prosecute"}, SUPERSEDED),
    ("excuse_decision_needed", "A", "Withdrawn", {"reason": "issued in error"}, SUPERSEDED),
    ("victim_contact_due", None, "VictimContacted", {"stage": "after_workshop_a", "outcome": "contacted"}, DONE),
    ("victim_contact_due", None, "VictimContacted", {"stage": "on_completion", "outcome": "contacted"}, None),
    ("completion_contact_due", None, "VictimContacted", {"stage": "on_completion", "outcome": "declined"}, DONE),
    ("completion_contact_due", None, "VictimContacted", {"stage": "after_workshop_a"}, None),
    ("completion_contact_due", None, "Completed", {}, None),  # still owed once the caution is complete
    ("breach_decision_needed", None, "Breached", {"outcome": "no_further_action"}, DONE),
    ("breach_decision_needed", None, "ConditionsVaried", {"period_ends_on": "2026-08-01"}, DONE),
    ("new_referral", None, "FirstContactRecorded", {"outcome": "contacted"}, DONE),
    ("new_referral", None, "FirstContactRecorded", {"outcome": "declined_to_engage"}, DONE),
    ("new_referral", None, "FirstContactRecorded", {"outcome": "no_response"}, None),  # an attempt meets nothing
    ("first_contact_overdue", None, "FirstContactRecorded", {"outcome": "contacted"}, DONE),
    ("booking_needed", "A", "WorkshopScheduled", {"workshop": "A"}, DONE),
    ("booking_needed", "A", "WorkshopScheduled", {"workshop": "B"}, None),
    ("workshop_b_window_closing", None, "WorkshopBAttended", {}, DONE),
    ("safeguarding_concern", "7", "SafeguardingConcernAcknowledged", {"concern": 7}, DONE),
    ("safeguarding_concern", "7", "SafeguardingConcernAcknowledged", {"concern": 9}, None),
    ("safeguarding_escalated", "7", "SafeguardingConcernAcknowledged", {"concern": 7}, DONE),
    ("safeguarding_concern", "7", "Completed", {}, None),  # a concern on a closed caution is still acknowledged
    ("safeguarding_concern", "7", "Withdrawn", {"reason": "x"}, None),
    ("risk_review_due", None, "RiskReviewDecided", {"decision": "continue"}, DONE),
    ("risk_review_due", None, "Completed", {}, SUPERSEDED),
    ("caution_period_ending", None, "Completed", {}, SUPERSEDED),
    ("declined_to_engage", None, "Breached", {"outcome": "prosecute"}, SUPERSEDED),
    ("victim_contact_due", None, "Completed", {}, SUPERSEDED),
    ("new_referral", None, "Withdrawn", {"reason": "x"}, SUPERSEDED),
    ("victim_contact_due", None, "WorkshopMissed", {"workshop": "B"}, None),  # completes nothing, closes nothing
])
def test_each_notice_is_closed_by_the_event_that_records_its_action_and_nothing_else(
        kind: str, topic: str | None, event: str, data: dict[str, Any], expected: str | None) -> None:
    assert state_after(event, data, kind, topic) == expected


def test_what_an_event_completes_comes_before_what_the_caution_closing_supersedes() -> None:
    """Breached decides the breach (done), and only then supersedes the rest: the decision is not 'superseded'."""
    assert state_after("Breached", {}, "breach_decision_needed") == DONE
    assert state_after("Breached", {}, "excuse_decision_needed", "A") == SUPERSEDED


def test_every_completing_event_is_one_the_rules_know() -> None:
    named = {by.event for completions in COMPLETED_BY.values() for by in completions} | set(CLOSES_CAUTION)
    assert named <= set(RULES)
