"""Missed workshops (late arrival is a miss) and the police decision on the excuse."""

from __future__ import annotations

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import ContactStage, MissReason, Status, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    at,
    attend_a,
    attend_b,
    book,
    breach,
    complete,
    contact,
    decide,
    event_names,
    issued,
    miss,
    refused,
    with_a_attended,
    with_b_booked,
    withdraw,
)

PERIOD_END_DAY = 16 * 7


def with_a_missed(reason: MissReason = MissReason.DID_NOT_ATTEND) -> Caution:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY, reason)
    return c


def test_a_late_arrival_is_recorded_as_a_missed_workshop() -> None:
    c = with_a_missed(MissReason.ARRIVED_LATE)
    assert event_names(c)[-1] == "WorkshopMissed"
    event = c.pending_events[-1]
    assert isinstance(event, Caution.WorkshopMissed)
    assert event.reason is MissReason.ARRIVED_LATE
    assert event.workshop is Workshop.A
    assert c.attended_a_at is None


def test_a_miss_awaits_an_excuse_decision() -> None:
    c = with_a_missed()
    assert c.status is Status.EXCUSE_DECISION_PENDING
    assert c.pending_miss is Workshop.A


def test_only_a_booked_workshop_can_be_missed() -> None:
    c = issued()
    with refused(ConflictsWithState, "workshop_not_booked", c):
        miss(c, Workshop.A, A_DAY)


def test_an_attended_workshop_cannot_be_missed() -> None:
    c = with_a_attended()
    with refused(ConflictsWithState, "workshop_already_attended", c):
        miss(c, Workshop.A, A_DAY)


def test_a_second_miss_is_refused_while_the_first_awaits_a_decision() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    with refused(ConflictsWithState, "excuse_decision_pending", c):
        miss(c, Workshop.B, B_DAY + 1)


def test_a_miss_cannot_be_recorded_once_the_caution_is_closed() -> None:
    c = with_b_booked()
    withdraw(c, B_DAY - 1)
    with refused(ConflictsWithState, "caution_is_closed", c):
        miss(c, Workshop.B, B_DAY)


def test_a_pending_miss_blocks_completion() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    miss(c, Workshop.B, B_DAY)
    assert "a missed workshop awaits an excuse decision" in c.unmet_conditions()
    with refused(ConflictsWithState, "conditions_not_met", c):
        complete(c, B_DAY + 1)


def test_an_excuse_decision_needs_a_missed_workshop() -> None:
    c = with_a_attended()
    with refused(ConflictsWithState, "no_missed_workshop", c):
        decide(c, True, A_DAY + 1)


def test_an_accepted_excuse_starts_a_new_round_with_both_workshops_to_attend() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    assert event_names(c)[-1] == "ExcuseDecided"
    assert c.status is Status.ACTIVE
    assert c.round == 2
    assert (c.booking_a, c.booking_b, c.attended_a_at, c.attended_b_at) == (None, None, None, None)


def test_after_an_accepted_excuse_for_b_workshop_a_must_be_attended_again_before_b() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    with refused(ConflictsWithState, "workshop_a_first", c):
        book(c, Workshop.B, B_DAY + 30, on=B_DAY + 2)
    book(c, Workshop.A, B_DAY + 5, on=B_DAY + 2)
    book(c, Workshop.B, B_DAY + 33, on=B_DAY + 2)
    with refused(ConflictsWithState, "workshop_a_first", c):
        attend_b(c, B_DAY + 33)
    attend_a(c, B_DAY + 5)
    attend_b(c, B_DAY + 33)
    assert c.attended_b_at == at(B_DAY + 33)


def test_after_an_accepted_excuse_b_gap_is_measured_from_the_new_workshop_a() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    book(c, Workshop.A, B_DAY + 5, on=B_DAY + 2)
    attend_a(c, B_DAY + 5)
    book(c, Workshop.B, B_DAY + 33, on=B_DAY + 6)
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        # long after the first round's A, but 27 days after the new A
        attend_b(c, B_DAY + 32, other_day="came a day early")


def test_an_accepted_excuse_for_a_lets_workshop_a_be_booked_again_without_a_reschedule_reason() -> None:
    c = with_a_missed()
    decide(c, True, A_DAY + 1)
    book(c, Workshop.A, A_DAY + 10, on=A_DAY + 2)
    assert event_names(c)[-1] == "WorkshopScheduled"


def test_a_rejected_excuse_refers_the_caution_for_a_breach_decision() -> None:
    c = with_a_missed()
    decide(c, False, A_DAY + 1)
    assert c.status is Status.BREACH_REFERRED
    assert c.pending_miss is None
    assert c.round == 1
    assert c.booking_a is not None  # nothing is cleared


def test_a_breach_after_a_rejected_excuse_closes_the_caution() -> None:
    c = with_a_missed()
    decide(c, False, A_DAY + 1)
    breach(c, A_DAY + 2)
    assert c.status is Status.BREACHED


def test_a_breach_decided_while_an_excuse_is_pending_clears_the_pending_miss() -> None:
    c = with_a_missed()
    breach(c, PERIOD_END_DAY + 1)  # the period has ended without completion: the failure it rests on
    assert c.status is Status.BREACHED
    assert c.pending_miss is None


def test_a_withdrawal_while_an_excuse_is_pending_clears_the_pending_miss() -> None:
    c = with_a_missed()
    withdraw(c, A_DAY + 1)
    assert c.status is Status.WITHDRAWN
    assert c.pending_miss is None


def test_an_excuse_cannot_be_decided_once_the_caution_is_closed() -> None:
    c = with_a_missed()
    withdraw(c, A_DAY + 1)
    with refused(ConflictsWithState, "caution_is_closed", c):
        decide(c, True, A_DAY + 2)
