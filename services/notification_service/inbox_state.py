"""When an inbox notice stops being open (issue 19 item 6). Pure: no I/O.

A notice asks for something; it is `done` when the record shows that thing done, and `superseded` when the
caution moved on so that it is no longer owed. `COMPLETED_BY` is the whole of that, as one table: a notice's
kind -> the caution events that complete it, each with the test a payload must pass (the same workshop, the same
concern, a contact actually made) and the state it leaves the notice in. The store applies it in the consumer's
transaction, so a notice and the event that closes it are never seen apart.

Besides the table, a caution that closes (`Completed`, `Breached`, `Withdrawn`) supersedes whatever of it is still
open and no longer owed: `OWED_AFTER_CLOSE` names what stays (the on-completion victim contact after
`Completed`; a safeguarding concern, which police must acknowledge on a closed caution too). Notices that ask for
no recorded action (a caution completed, a breach decided, safety planning) have no line in the table: they stay
open until the caution closes, and those the closing event itself makes stay open, since nothing in the record
will close them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .rules import CONTACT_OUTCOMES

OPEN, DONE, SUPERSEDED = "open", "done", "superseded"
STATES = (OPEN, DONE, SUPERSEDED)
CLOSES_CAUTION = ("Completed", "Breached", "Withdrawn")

Test = Callable[[Mapping[str, Any], str | None], bool]  # (the event's payload, the notice's topic)


def always(data: Mapping[str, Any], topic: str | None) -> bool:
    return True


def same_workshop(data: Mapping[str, Any], topic: str | None) -> bool:
    return topic is None or str(data.get("workshop")) == topic


def same_concern(data: Mapping[str, Any], topic: str | None) -> bool:
    return topic is not None and str(data.get("concern")) == topic


def contact_stage(stage: str) -> Test:
    def at_stage(data: Mapping[str, Any], topic: str | None) -> bool:
        return data.get("stage") == stage
    return at_stage


def contact_made(data: Mapping[str, Any], topic: str | None) -> bool:
    """An attempt with no response meets nothing: the provider still owes the contact."""
    return data.get("outcome") in CONTACT_OUTCOMES


@dataclass(frozen=True)
class CompletedBy:
    event: str  # the catalogue's event name
    test: Test = always
    state: str = DONE


_SAFEGUARDING = (CompletedBy("SafeguardingConcernAcknowledged", same_concern),)

COMPLETED_BY: Mapping[str, tuple[CompletedBy, ...]] = {
    # the police decide the excuse; a breach or withdrawal decided meanwhile makes the decision moot
    "excuse_decision_needed": (CompletedBy("ExcuseDecided", same_workshop),
                               CompletedBy("Breached", state=SUPERSEDED), CompletedBy("Withdrawn", state=SUPERSEDED)),
    "victim_contact_due": (CompletedBy("VictimContacted", contact_stage("after_workshop_a")),),
    "completion_contact_due": (CompletedBy("VictimContacted", contact_stage("on_completion")),),
    "breach_decision_needed": (CompletedBy("Breached"), CompletedBy("ConditionsVaried")),
    "new_referral": (CompletedBy("FirstContactRecorded", contact_made),),
    "first_contact_overdue": (CompletedBy("FirstContactRecorded", contact_made),),
    "booking_needed": (CompletedBy("WorkshopScheduled", same_workshop),),
    "workshop_b_window_closing": (CompletedBy("WorkshopBAttended"),),
    "safeguarding_concern": _SAFEGUARDING,
    "safeguarding_escalated": _SAFEGUARDING,
    "risk_review_due": (CompletedBy("RiskReviewDecided"),),
}

OWED_AFTER_CLOSE = {
    "Completed": frozenset({"completion_contact_due", "safeguarding_concern", "safeguarding_escalated"}),
    "Breached": frozenset({"safeguarding_concern", "safeguarding_escalated"}),
    "Withdrawn": frozenset({"safeguarding_concern", "safeguarding_escalated"}),
}


@dataclass(frozen=True)
class Closing:
    """What one event closes among its caution's open notices: those of `kinds` whose topic passes `test`."""

    kinds: frozenset[str]
    state: str
    test: Test = always
    all_but: bool = False  # `kinds` are the ones left open: every other kind is closed


def closings(event: str, data: Mapping[str, Any]) -> list[Closing]:
    """What `event` closes, in order: what it completes, then (for an event that closes the caution) the rest."""
    found = [Closing(frozenset({kind}), by.state, _bound(by.test, data))
             for kind, completions in COMPLETED_BY.items() for by in completions if by.event == event]
    if event in CLOSES_CAUTION:
        found.append(Closing(OWED_AFTER_CLOSE[event], SUPERSEDED, all_but=True))
    return found


def _bound(test: Test, data: Mapping[str, Any]) -> Test:
    return lambda _data, topic: test(data, topic)


def closes(closing: Closing, kind: str, topic: str | None) -> bool:
    """Whether `closing` closes an open notice of `kind` about `topic`."""
    listed = kind in closing.kinds
    return (not listed if closing.all_but else listed) and closing.test({}, topic)
