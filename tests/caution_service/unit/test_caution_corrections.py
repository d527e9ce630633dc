"""Corrections: a new entry that refers to the one it corrects; the original stays; corrected times are re-checked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.caution_service.domain.caution import CLOCK_SKEW, Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import ContactStage, Status, Workshop

from .builders import (
    A_DAY,
    B_DAY,
    POLICE,
    PROVIDER,
    T0,
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
    pending,
    ready_to_complete,
    referred,
    refused,
    strike,
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


def test_a_provider_cannot_correct_a_closed_caution() -> None:
    c = completed()
    with refused(ConflictsWithState, "caution_is_closed", c) as caught:
        correct(c, A_ATTENDED, at(A_DAY - 1), B_DAY + 2)
    assert "only the police" in caught.value.message
    c = with_a_attended()
    withdraw(c, A_DAY + 1)
    with refused(ConflictsWithState, "caution_is_closed", c):
        correct(c, A_ATTENDED, None, A_DAY + 2)
    with refused(ConflictsWithState, "caution_is_closed", c):
        strike(c, A_ATTENDED, A_DAY + 2, by=PROVIDER)


# ----- corrections after closure, by police, with a reason (issue 17) ------------------------------
# completed(): 1 CautionIssued, 2 WorkshopScheduled A, 3 WorkshopAAttended, 4 WorkshopScheduled B, 5 VictimContacted,
# 6 WorkshopBAttended, 7 Completed (day B_DAY + 1).
CONTACTED = 5
COMPLETED = 7


def police_correct(
    c: Caution, version: int, new_time: datetime | None, day: int, reason: str = "found at court",
) -> None:
    c.correct(version, reason, new_time, recorded_at=at(day), recorded_by=POLICE)


def test_police_may_correct_a_closed_caution_giving_the_reason() -> None:
    c = completed()
    police_correct(c, A_ATTENDED, at(A_DAY, hour=9), B_DAY + 5)
    assert event_names(c)[-1] == "EntryCorrected"
    assert pending(c).recorded_by == POLICE
    assert c.attended_a_at == at(A_DAY, hour=9)
    assert c.status is Status.COMPLETED


def test_a_correction_needs_a_reason() -> None:
    c = completed()
    with refused(InvalidCommand, "reason_required", c):
        police_correct(c, A_ATTENDED, None, B_DAY + 5, reason="  ")


def test_a_corrected_time_that_breaks_the_gap_is_accepted_on_a_closed_caution_and_the_facts_say_so() -> None:
    """The truth must be recordable: B was in fact 27 days after A. The completion no longer rests on the facts."""
    c = completed()
    assert c.conditions_met_by_facts
    police_correct(c, B_ATTENDED, at(A_DAY + 27), B_DAY + 5)
    assert c.attended_b_at == at(A_DAY + 27)
    assert c.status is Status.COMPLETED  # the record keeps what was recorded ...
    assert not c.conditions_met_by_facts  # ... and says what the corrected facts no longer meet
    assert c.unmet_by_facts() == ["workshop B was attended 27 days after workshop A (at least 28 are needed)"]


def test_a_corrected_time_after_the_period_is_accepted_on_a_closed_caution_and_named() -> None:
    c = completed()
    police_correct(c, B_ATTENDED, at(PERIOD_END_DAY + 1), PERIOD_END_DAY + 5)
    assert c.unmet_by_facts() == ["workshop B was attended after the caution period (it ended on 22 June 2026)"]


def test_a_victim_contact_re_timed_before_workshop_a_no_longer_counts() -> None:
    c = completed()
    police_correct(c, CONTACTED, at(A_DAY - 1), B_DAY + 5)
    assert c.unmet_by_facts() == ["victim not contacted after workshop A"]


def test_re_timing_the_closing_entry_moves_the_day_the_caution_closed() -> None:
    c = completed()
    police_correct(c, COMPLETED, at(B_DAY + 2), B_DAY + 5)
    assert c.final_at == at(B_DAY + 2)


# ----- striking out an entry recorded in error -----------------------------------------------------


def test_striking_the_completion_re_opens_the_caution_to_the_state_the_other_facts_give() -> None:
    c = completed()
    strike(c, COMPLETED, B_DAY + 5)
    event = pending(c)
    assert (event.corrects_version, event.corrected_type, event.recorded_in_error) == (COMPLETED, "Completed", True)
    assert c.status is Status.ACTIVE
    assert c.final_at is None and c.closing_entry is None
    assert c.is_struck(COMPLETED) and c.struck_by(COMPLETED) == COMPLETED + 1
    assert c.conditions_met  # every other fact stands: it may be completed again, truly
    complete(c, B_DAY + 6)
    assert c.final_status is Status.COMPLETED and c.closing_entry == COMPLETED + 2


def test_striking_the_completion_undoes_the_on_completion_contact_it_was_for() -> None:
    c = completed()
    contact(c, ContactStage.ON_COMPLETION, B_DAY + 2)
    strike(c, COMPLETED, B_DAY + 5)
    assert not c.contacted_on_completion


def test_striking_a_breach_re_opens_the_caution_to_the_referral() -> None:
    c = referred()
    breach(c, B_DAY + 2)
    strike(c, c.version, B_DAY + 5)
    assert c.status is Status.BREACH_REFERRED
    assert c.breach_outcome is None


def test_striking_a_withdrawal_brings_back_the_miss_that_awaited_a_decision() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    withdraw(c, B_DAY + 1)
    assert c.pending_miss is None
    strike(c, c.version, B_DAY + 5)
    assert c.status is Status.EXCUSE_DECISION_PENDING
    assert c.pending_miss is Workshop.B


def test_striking_an_attendance_removes_it_and_it_can_be_recorded_truly() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1)
    strike(c, A_ATTENDED, A_DAY + 2, by=PROVIDER)  # open: the provider may strike its own register entry
    assert c.attended_a_at is None
    assert not c.contacted_after_a  # a contact "after workshop A" of an A that did not happen does not count
    assert "workshop A not attended" in c.unmet_conditions()
    with refused(ConflictsWithState, "workshop_a_first", c):
        attend_b(c, B_DAY)
    attend_a(c, A_DAY + 3, other_day="the register of another session was entered by mistake")
    assert c.attended_a_at == at(A_DAY + 3)


def test_an_attendance_workshop_b_rests_on_cannot_be_struck_before_b() -> None:
    c = ready_to_complete()
    with refused(InvalidCommand, "strike_dependant_first", c) as caught:
        strike(c, A_ATTENDED, B_DAY + 1)
    assert caught.value.message.startswith(f"Entry {B_ATTENDED} (WorkshopBAttended) rests on entry {A_ATTENDED}")
    strike(c, B_ATTENDED, B_DAY + 1)
    strike(c, A_ATTENDED, B_DAY + 1)
    assert c.attended_a_at is None and c.attended_b_at is None


def test_an_attendance_the_completion_rests_on_cannot_be_struck_before_the_completion() -> None:
    c = completed()
    with refused(InvalidCommand, "strike_dependant_first", c) as caught:
        strike(c, B_ATTENDED, B_DAY + 5)
    assert f"Entry {COMPLETED} (Completed)" in caught.value.message
    strike(c, COMPLETED, B_DAY + 5)
    strike(c, B_ATTENDED, B_DAY + 5)
    assert c.status is Status.ACTIVE and c.attended_b_at is None
    with refused(ConflictsWithState, "conditions_not_met", c):
        complete(c, B_DAY + 6)


def test_striking_a_miss_that_awaits_a_decision_removes_the_pending_miss() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    strike(c, c.version, B_DAY + 1, by=PROVIDER)
    assert c.pending_miss is None and c.status is Status.ACTIVE
    attend_b(c, B_DAY)


def test_striking_a_miss_whose_excuse_was_rejected_withdraws_the_referral_resting_on_it() -> None:
    c = referred()  # ..., 5 WorkshopMissed, 6 ExcuseDecided (rejected)
    strike(c, 5, B_DAY + 2)
    assert not c.breach_referred and c.status is Status.ACTIVE


def test_a_miss_a_breach_rests_on_cannot_be_struck_before_the_breach() -> None:
    c = referred()
    breach(c, B_DAY + 2)
    with refused(InvalidCommand, "strike_dependant_first", c):
        strike(c, 5, B_DAY + 5)
    strike(c, c.version, B_DAY + 5)  # the breach (entry 7)
    strike(c, 5, B_DAY + 5)
    assert c.status is Status.ACTIVE


def test_a_miss_whose_excuse_was_accepted_cannot_be_struck() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, 5, B_DAY + 2)
    assert "cannot be restored" in caught.value.message


def test_an_earlier_rounds_attendance_may_be_struck_and_the_current_round_is_untouched() -> None:
    c = with_b_booked()
    miss(c, Workshop.B, B_DAY)
    decide(c, True, B_DAY + 1)
    book(c, Workshop.A, B_DAY + 5, on=B_DAY + 2)
    attend_a(c, B_DAY + 5)
    strike(c, A_ATTENDED, B_DAY + 6)
    assert c.attended_a_at == at(B_DAY + 5)
    assert c.is_struck(A_ATTENDED)


@pytest.mark.parametrize(("version", "kind"), [(1, "CautionIssued"), (2, "WorkshopScheduled")])
def test_entries_the_state_cannot_be_decided_again_without_are_refused_saying_why(version: int, kind: str) -> None:
    c = completed()
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, version, B_DAY + 5)
    assert caught.value.message.startswith(f"Entry {version} ({kind}) cannot be struck out: ")


def test_an_excuse_decision_is_not_struck_the_miss_it_decided_on_is() -> None:
    c = referred()
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, 6, B_DAY + 2)
    assert "strike out the miss" in caught.value.message


def test_an_entry_is_struck_out_once_and_then_takes_no_corrected_time() -> None:
    c = completed()
    strike(c, COMPLETED, B_DAY + 5)
    with refused(ConflictsWithState, "entry_struck_out", c):
        strike(c, COMPLETED, B_DAY + 6)
    with refused(ConflictsWithState, "entry_struck_out", c):
        police_correct(c, COMPLETED, at(B_DAY + 2), B_DAY + 6)


def test_a_strike_takes_no_corrected_time() -> None:
    c = with_a_attended()
    with refused(InvalidCommand, "strike_or_retime", c):
        c.correct(A_ATTENDED, "x", at(A_DAY), recorded_at=at(A_DAY + 1), recorded_by=POLICE, recorded_in_error=True)


def test_strikes_replay_to_the_same_state() -> None:
    c = completed()
    contact(c, ContactStage.ON_COMPLETION, B_DAY + 2)
    strike(c, COMPLETED, B_DAY + 5)
    strike(c, B_ATTENDED, B_DAY + 5)
    events = c.collect_events()
    replayed: Caution | None = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(c)


def test_striking_the_rounds_contact_after_a_means_the_victim_is_to_be_contacted_again() -> None:
    c = ready_to_complete()
    strike(c, CONTACTED, B_DAY + 1)
    assert not c.contacted_after_a
    assert c.unmet_conditions() == ["victim not contacted after workshop A"]
    contact(c, ContactStage.AFTER_WORKSHOP_A, B_DAY + 2)
    complete(c, B_DAY + 2)


def test_the_contact_a_completion_rests_on_is_struck_only_after_the_completion() -> None:
    c = completed()
    with refused(InvalidCommand, "strike_dependant_first", c):
        strike(c, CONTACTED, B_DAY + 5)


def test_a_contact_is_not_struck_once_a_safeguarding_concern_was_raised() -> None:
    c = with_b_booked()
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 1, concern=True)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, CONTACTED, A_DAY + 2)
    assert "safeguarding concern" in caught.value.message


def test_the_on_completion_contact_is_not_struck() -> None:
    c = completed()
    contact(c, ContactStage.ON_COMPLETION, B_DAY + 2)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c):
        strike(c, COMPLETED + 1, B_DAY + 5)
