"""Completion, breach and withdrawal, and that a closed caution accepts nothing more (but the completion contact)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, DomainError, InvalidCommand
from services.caution_service.domain.values import TERMINAL, BreachOutcome, ContactStage, Status, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    ISSUED_ON,
    POLICE,
    at,
    attend_a,
    attend_b,
    book,
    breach,
    complete,
    completed,
    contact,
    correct,
    decide,
    event_names,
    issued,
    miss,
    pass_deadline,
    ready_to_complete,
    referred,
    refused,
    vary,
    with_a_attended,
    with_b_booked,
    withdraw,
)

# ----- completion ---------------------------------------------------------------------------------


def test_completion_records_completed_once_every_condition_is_met() -> None:
    c = ready_to_complete()
    assert c.conditions_met
    assert c.unmet_conditions() == []
    complete(c, B_DAY + 1)
    assert event_names(c)[-1] == "Completed"
    assert c.status is Status.COMPLETED
    assert c.final_at == at(B_DAY + 1)
    assert not c.is_open


def test_completion_of_a_fresh_caution_is_refused_naming_every_unmet_condition() -> None:
    c = issued()
    with refused(ConflictsWithState, "conditions_not_met", c) as caught:
        complete(c, 1)
    message = caught.value.message
    assert "workshop A not attended" in message
    assert "workshop B not attended" in message
    assert "victim not contacted after workshop A" in message


def test_completion_without_workshop_b_is_refused_naming_it() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    with refused(ConflictsWithState, "conditions_not_met", c) as caught:
        complete(c, B_DAY)
    assert c.unmet_conditions() == ["workshop B not attended"]
    assert "workshop B not attended" in caught.value.message
    assert "workshop A" not in caught.value.message


def test_completion_without_the_after_a_victim_contact_is_refused_naming_it() -> None:
    c = with_b_booked()
    attend_b(c, B_DAY)
    with refused(ConflictsWithState, "conditions_not_met", c) as caught:
        complete(c, B_DAY + 1)
    assert c.unmet_conditions() == ["victim not contacted after workshop A"]
    assert "victim not contacted after workshop A" in caught.value.message


def test_completion_cannot_be_dated_before_workshop_b() -> None:
    c = ready_to_complete()
    with refused(InvalidCommand, "completion_after_workshop_b", c):
        c.complete(occurred_at=at(B_DAY) - timedelta(minutes=1), recorded_at=at(B_DAY + 1), recorded_by=POLICE)


def test_completion_needs_both_workshops_of_the_current_round() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    with refused(ConflictsWithState, "conditions_not_met", c) as caught:
        complete(c, B_DAY + 2)
    assert "workshop A not attended" in caught.value.message
    book(c, Workshop.A, B_DAY + 3, on=B_DAY + 2)
    attend_a(c, B_DAY + 3)
    contact(c, ContactStage.AFTER_WORKSHOP_A, B_DAY + 4)  # the repeated round's own contact after its A
    book(c, Workshop.B, B_DAY + 31, on=B_DAY + 3)
    attend_b(c, B_DAY + 31)
    complete(c, B_DAY + 31)
    assert c.status is Status.COMPLETED


# ----- breach -------------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", list(BreachOutcome))
def test_a_breach_closes_the_caution_with_the_police_outcome(outcome: BreachOutcome) -> None:
    c = referred()
    breach(c, B_DAY + 5, outcome)
    assert event_names(c)[-1] == "Breached"
    assert c.status is Status.BREACHED
    assert c.breach_outcome is outcome
    assert c.final_at == at(B_DAY + 5)


def test_a_breach_can_follow_the_deadline_passing() -> None:
    c = with_a_attended()
    pass_deadline(c, 16 * 7 + 1)
    breach(c, 16 * 7 + 2, BreachOutcome.NO_FURTHER_ACTION)
    assert c.status is Status.BREACHED


def test_a_breach_cannot_be_dated_before_the_caution() -> None:
    c = issued()
    with refused(InvalidCommand, "not_before_caution", c):
        c.breach(BreachOutcome.PROSECUTE, "x", occurred_at=at(-1), recorded_at=at(1), recorded_by=POLICE)


# ----- withdrawal ---------------------------------------------------------------------------------


def test_a_withdrawal_closes_the_caution() -> None:
    c = with_a_attended()
    withdraw(c, A_DAY + 1)
    assert event_names(c)[-1] == "Withdrawn"
    assert c.status is Status.WITHDRAWN
    assert c.final_at == at(A_DAY + 1)


def test_a_withdrawal_is_possible_after_a_breach_referral() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, False, B_DAY + 1)
    withdraw(c, B_DAY + 2)
    assert c.status is Status.WITHDRAWN


# ----- nothing after a terminal state -------------------------------------------------------------


def breached() -> Caution:
    c = referred()
    breach(c, B_DAY + 1)
    return c


def withdrawn() -> Caution:
    c = ready_to_complete()
    withdraw(c, B_DAY + 1)
    return c


DAY = B_DAY + 5

COMMANDS: dict[str, Callable[[Caution], None]] = {
    "schedule": lambda c: book(c, Workshop.B, DAY, on=DAY, reason="again"),
    "attend_a": lambda c: attend_a(c, DAY),
    "attend_b": lambda c: attend_b(c, DAY),
    "miss": lambda c: miss(c, Workshop.B, DAY),
    "decide_excuse": lambda c: decide(c, True, DAY),
    "contact_after_a": lambda c: contact(c, ContactStage.AFTER_WORKSHOP_A, DAY),
    "vary": lambda c: vary(c, ISSUED_ON + timedelta(weeks=20), DAY),
    "deadline": lambda c: pass_deadline(c, 16 * 7 + 1),
    "breach": lambda c: breach(c, DAY),
    "complete": lambda c: complete(c, DAY),
    "withdraw": lambda c: withdraw(c, DAY),
    "correct": lambda c: correct(c, 2, None, DAY),
}


@pytest.mark.parametrize("make", [completed, breached, withdrawn], ids=["completed", "breached", "withdrawn"])
@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
def test_a_closed_caution_refuses_every_other_command(make: Callable[[], Caution], command: str) -> None:
    c = make()
    assert c.status in TERMINAL
    with refused(ConflictsWithState, "caution_is_closed", c):
        COMMANDS[command](c)


@pytest.mark.parametrize("make", [breached, withdrawn], ids=["breached", "withdrawn"])
def test_the_completion_contact_is_refused_after_a_breach_or_withdrawal(make: Callable[[], Caution]) -> None:
    c = make()
    with refused(ConflictsWithState, "completion_contact_needs_completion", c):
        contact(c, ContactStage.ON_COMPLETION, DAY)


def test_the_completion_contact_is_the_only_thing_accepted_after_completion() -> None:
    c = completed()
    version = c.version
    contact(c, ContactStage.ON_COMPLETION, DAY)
    assert c.version == version + 1
    assert c.status is Status.COMPLETED


def test_every_domain_error_names_its_rule() -> None:
    c = completed()
    for command in COMMANDS.values():
        with pytest.raises(DomainError) as caught:
            command(c)
        assert caught.value.rule and caught.value.message
