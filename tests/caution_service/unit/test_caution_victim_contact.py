"""Victim contact: after workshop A, and again on completion; nothing else once the caution is closed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import ContactOutcome, ContactStage, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    VICTIM_SERVICE,
    at,
    book,
    breach,
    completed,
    contact,
    decide,
    event_names,
    issued,
    miss,
    pending,
    ready_to_complete,
    refused,
    with_a_attended,
    with_b_booked,
    withdraw,
)

AFTER_A = ContactStage.AFTER_WORKSHOP_A
ON_COMPLETION = ContactStage.ON_COMPLETION


def test_the_victim_cannot_be_contacted_after_a_before_workshop_a_is_attended() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    with refused(ConflictsWithState, "victim_contact_after_workshop_a", c):
        contact(c, AFTER_A, A_DAY)


def test_the_victim_is_contacted_once_workshop_a_is_attended() -> None:
    c = with_a_attended()
    c.contact_victim(AFTER_A, ContactOutcome.UNABLE_TO_CONTACT, False, "sealed-details",
                     occurred_at=at(A_DAY + 2), recorded_at=at(A_DAY + 2), recorded_by=VICTIM_SERVICE)
    assert event_names(c)[-1] == "VictimContacted"
    event = pending(c)
    assert (event.stage, event.outcome, event.details_sealed) == (AFTER_A, ContactOutcome.UNABLE_TO_CONTACT,
                                                                   "sealed-details")
    assert c.contacted_after_a
    assert not c.contacted_on_completion


def test_an_after_a_contact_dated_before_workshop_a_is_refused() -> None:
    c = with_a_attended()
    with refused(InvalidCommand, "victim_contact_after_workshop_a", c):
        contact(c, AFTER_A, A_DAY - 1)


def test_a_safeguarding_concern_stays_flagged_after_later_contacts() -> None:
    c = with_a_attended()
    contact(c, AFTER_A, A_DAY + 1, concern=True)
    contact(c, AFTER_A, A_DAY + 2, concern=False)
    assert c.safeguarding_concern


def test_after_an_accepted_excuse_the_after_a_contact_waits_for_the_repeated_workshop_a() -> None:
    """DOMAIN.md (issue 17): a repeated round needs its own victim contact after the repeated A."""
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    with refused(ConflictsWithState, "victim_contact_after_workshop_a", c):
        contact(c, AFTER_A, B_DAY + 2)  # workshop A was attended only in the first round


def test_the_after_a_contact_is_accepted_while_a_miss_awaits_a_decision() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    contact(c, AFTER_A, B_DAY)
    assert c.contacted_after_a


def test_the_on_completion_contact_needs_a_completed_caution() -> None:
    c = ready_to_complete()
    with refused(ConflictsWithState, "completion_contact_needs_completion", c):
        contact(c, ON_COMPLETION, B_DAY + 1)


def test_the_on_completion_contact_is_accepted_after_completion() -> None:
    c = completed()
    contact(c, ON_COMPLETION, B_DAY + 3)
    assert c.contacted_on_completion
    assert event_names(c)[-2:] == ["Completed", "VictimContacted"]


def test_the_on_completion_contact_cannot_precede_the_completion() -> None:
    c = completed()  # completed on B_DAY + 1
    with refused(InvalidCommand, "completion_contact_after_completion", c):
        contact(c, ON_COMPLETION, B_DAY)


def test_the_after_a_contact_is_refused_after_completion() -> None:
    c = completed()
    with refused(ConflictsWithState, "caution_is_closed", c):
        contact(c, AFTER_A, B_DAY + 3)


def close_by_breach(c: Caution) -> None:
    breach(c, 16 * 7 + 1)  # the period ended without completion: the failure the breach rests on


def close_by_withdrawal(c: Caution) -> None:
    withdraw(c, A_DAY + 3)


@pytest.mark.parametrize("close", [close_by_breach, close_by_withdrawal])
@pytest.mark.parametrize("stage", [AFTER_A, ON_COMPLETION])
def test_no_contact_is_recorded_after_a_breach_or_withdrawal(
    close: Callable[[Caution], None], stage: ContactStage
) -> None:
    c = with_a_attended()
    close(c)
    with pytest.raises(ConflictsWithState):
        contact(c, stage, A_DAY + 4)
    assert event_names(c)[-1] in ("Breached", "Withdrawn")


def test_a_contact_dated_in_the_future_is_refused() -> None:
    c = with_a_attended()
    now = at(A_DAY + 1)
    with refused(InvalidCommand, "not_in_future", c):
        c.contact_victim(AFTER_A, ContactOutcome.CONTACTED, False, None,
                         occurred_at=now + timedelta(hours=1), recorded_at=now, recorded_by=VICTIM_SERVICE)
