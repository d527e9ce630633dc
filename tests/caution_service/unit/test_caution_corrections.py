"""Corrections: a new entry that refers to the one it corrects; the original stays; corrected times are re-checked."""

from __future__ import annotations

from datetime import timedelta

from services.caution_service.domain.caution import CLOCK_SKEW
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import Workshop

from .builders import (
    A_DAY,
    B_DAY,
    PROVIDER,
    T0,
    at,
    attend_a,
    attend_b,
    book,
    completed,
    correct,
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

A_ATTENDED = 3  # version of WorkshopAAttended in the builders' stages
B_BOOKED = 4
B_ATTENDED = 6  # ready_to_complete: ..., 5 VictimContacted, 6 WorkshopBAttended
PERIOD_END_DAY = 16 * 7


def test_a_correction_is_a_new_entry_referring_to_the_corrected_one() -> None:
    c = with_a_attended()
    correct(c, A_ATTENDED, at(A_DAY, hour=9), A_DAY + 1)
    assert event_names(c)[-1] == "EntryCorrected"
    event = pending(c)
    assert event.corrects_version == A_ATTENDED
    assert event.corrected_type == "WorkshopAAttended"
    assert event.reason == "typo in the register"
    assert event.corrected_occurred_at == at(A_DAY, hour=9)
    assert event.recorded_by == PROVIDER


def test_the_corrected_entry_is_kept_unchanged() -> None:
    c = with_a_attended()
    original = c.pending_events[A_ATTENDED - 1]
    before = dict(vars(original))
    correct(c, A_ATTENDED, at(A_DAY, hour=9), A_DAY + 1)
    assert c.pending_events[A_ATTENDED - 1] is original
    assert vars(original) == before
    assert c.entries == ["CautionIssued", "WorkshopScheduled", "WorkshopAAttended", "EntryCorrected"]
    assert c.version == A_ATTENDED + 1


def test_correcting_workshop_a_time_changes_the_attendance_time() -> None:
    c = with_a_attended()
    correct(c, A_ATTENDED, at(A_DAY - 1), A_DAY + 1)
    assert c.attended_a_at == at(A_DAY - 1)


def test_correcting_workshop_b_time_changes_the_attendance_time() -> None:
    c = ready_to_complete()
    correct(c, B_ATTENDED, at(B_DAY + 1), B_DAY + 2)
    assert c.attended_b_at == at(B_DAY + 1)


def test_a_correction_without_a_new_time_leaves_the_state_alone() -> None:
    c = ready_to_complete()
    attended = (c.attended_a_at, c.attended_b_at)
    correct(c, B_BOOKED, None, B_DAY + 1)
    assert (c.attended_a_at, c.attended_b_at) == attended
    assert c.entries[-1] == "EntryCorrected"


def test_a_corrected_time_on_an_entry_that_is_not_an_attendance_leaves_the_state_alone() -> None:
    c = ready_to_complete()
    correct(c, B_BOOKED, at(B_DAY - 1), B_DAY + 1)
    assert c.attended_a_at == at(A_DAY)
    assert c.attended_b_at == at(B_DAY)


def test_the_corrected_entry_must_exist() -> None:
    c = with_a_attended()
    with refused(InvalidCommand, "corrected_entry_must_exist", c):
        correct(c, 0, None, A_DAY + 1)
    with refused(InvalidCommand, "corrected_entry_must_exist", c):
        correct(c, c.version + 1, None, A_DAY + 1)


def test_a_correction_cannot_itself_be_corrected() -> None:
    c = with_a_attended()
    correct(c, A_ATTENDED, at(A_DAY, hour=9), A_DAY + 1)
    with refused(InvalidCommand, "correct_the_original", c):
        correct(c, A_ATTENDED + 1, at(A_DAY, hour=8), A_DAY + 1)


def test_the_original_can_be_corrected_more_than_once() -> None:
    c = with_a_attended()
    correct(c, A_ATTENDED, at(A_DAY, hour=9), A_DAY + 1)
    correct(c, A_ATTENDED, at(A_DAY, hour=8), A_DAY + 2)
    assert c.attended_a_at == at(A_DAY, hour=8)


def test_a_corrected_b_time_too_close_to_a_is_refused() -> None:
    c = ready_to_complete()
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        correct(c, B_ATTENDED, at(A_DAY + 27), B_DAY + 1)


def test_a_corrected_a_time_too_close_to_b_is_refused() -> None:
    c = ready_to_complete()
    with refused(InvalidCommand, "workshop_b_after_gap", c):
        correct(c, A_ATTENDED, at(A_DAY + 1), B_DAY + 1)


def test_a_corrected_a_time_keeping_the_gap_is_accepted() -> None:
    c = ready_to_complete()
    correct(c, A_ATTENDED, at(A_DAY - 3), B_DAY + 1)
    assert c.attended_a_at == at(A_DAY - 3)


def test_a_corrected_time_after_the_caution_period_is_refused() -> None:
    c = issued()
    book(c, Workshop.A, PERIOD_END_DAY, on=1)
    attend_a(c, PERIOD_END_DAY)
    with refused(InvalidCommand, "workshop_inside_caution_period", c):
        correct(c, 3, at(PERIOD_END_DAY + 1), PERIOD_END_DAY + 2)


def test_a_corrected_time_before_the_caution_is_refused() -> None:
    c = with_a_attended()
    with refused(InvalidCommand, "not_before_caution", c):
        correct(c, A_ATTENDED, T0 - timedelta(minutes=1), A_DAY + 1)


def test_a_corrected_time_in_the_future_is_refused() -> None:
    c = with_a_attended()
    now = at(A_DAY + 1)
    with refused(InvalidCommand, "not_in_future", c):
        c.correct(A_ATTENDED, "typo", now + CLOCK_SKEW + timedelta(seconds=1), recorded_at=now, recorded_by=PROVIDER)


def test_correcting_an_attendance_from_an_earlier_round_does_not_change_the_current_round() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    book(c, Workshop.A, B_DAY + 5, on=B_DAY + 2)
    attend_a(c, B_DAY + 5)
    correct(c, A_ATTENDED, at(A_DAY - 1), B_DAY + 6)  # the first round's workshop A
    assert c.attended_a_at == at(B_DAY + 5)
    book(c, Workshop.B, B_DAY + 33, on=B_DAY + 6)
    attend_b(c, B_DAY + 33)


def test_corrections_are_refused_once_the_caution_is_closed() -> None:
    c = completed()
    with refused(ConflictsWithState, "caution_is_closed", c):
        correct(c, A_ATTENDED, at(A_DAY - 1), B_DAY + 2)
    c = with_a_attended()
    withdraw(c, A_DAY + 1)
    with refused(ConflictsWithState, "caution_is_closed", c):
        correct(c, A_ATTENDED, None, A_DAY + 2)
