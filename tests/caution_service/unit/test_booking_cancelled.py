"""A cancelled session clears the booking (issue 18): no miss, nothing against the offender, booked again after."""

from __future__ import annotations

from services.caution_service.domain.errors import ConflictsWithState
from services.caution_service.domain.progress import booking_needed
from services.caution_service.domain.values import SessionCancellation, Status, Workshop
from tests.support import at

from .builders import A_DAY, B_DAY, attend_a, book, cancel_booking, issued, pending, refused, withdraw


def test_a_cancelled_session_clears_the_booking_and_counts_against_nobody() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1, session_id="s-1")
    cancel_booking(c, Workshop.A, "s-1", A_DAY - 1, SessionCancellation.FACILITATOR_UNAVAILABLE)
    event = pending(c)
    assert type(event).__name__ == "WorkshopBookingCancelled"
    assert (event.workshop, event.session_id, event.reason) == (Workshop.A, "s-1",
                                                              SessionCancellation.FACILITATOR_UNAVAILABLE)
    assert c.booking_a is None and c.pending_miss is None and c.status is Status.ACTIVE and c.round == 1
    assert "WorkshopMissed" not in c.entries and c.unmet_conditions() == [
        "workshop A not attended", "workshop B not attended", "victim not contacted after workshop A"]
    assert booking_needed(c, at(A_DAY - 1).date()) == (Workshop.A, c.period_ends_on - (at(28) - at(0)))


def test_after_a_cancellation_the_workshop_is_booked_again_as_a_first_booking() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1, session_id="s-1")
    cancel_booking(c, Workshop.A, "s-1", 2)
    book(c, Workshop.A, A_DAY + 7, on=3, session_id="s-2")
    assert type(pending(c)).__name__ == "WorkshopScheduled"  # not a reschedule: nothing was booked to move
    assert c.booking_a is not None and c.booking_a.session_id == "s-2"


def test_only_a_booking_in_that_session_is_cancelled() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1, session_id="s-1")
    with refused(ConflictsWithState, "booking_in_that_session", c):
        cancel_booking(c, Workshop.A, "s-2", 2)
    with refused(ConflictsWithState, "booking_in_that_session", c):
        cancel_booking(c, Workshop.B, "s-1", 2)
    free_text = issued()
    book(free_text, Workshop.A, A_DAY, on=1)  # booked with a venue, before sessions: in no session
    with refused(ConflictsWithState, "booking_in_that_session", free_text):
        cancel_booking(free_text, Workshop.A, "s-1", 2)


def test_an_attended_workshop_or_a_closed_caution_is_not_cancelled() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1, session_id="s-1")
    attend_a(c, A_DAY)
    with refused(ConflictsWithState, "workshop_already_attended", c):
        cancel_booking(c, Workshop.A, "s-1", A_DAY + 1)
    book(c, Workshop.B, B_DAY, on=A_DAY + 1, session_id="s-9")
    withdraw(c, A_DAY + 2)
    with refused(ConflictsWithState, "caution_is_closed", c):
        cancel_booking(c, Workshop.B, "s-9", A_DAY + 3)
