"""Request bodies of the workshop session commands (snake_case JSON, unknown fields refused), and the session's
answer to them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt, StringConstraints, model_validator

from shared.text import PLAIN_TEXT
from shared.timeformats import Moment

from ..domain.values import (
    AbsenceReason,
    RegisterOutcome,
    RescheduleReason,
    RescheduleRequester,
    SessionCancellation,
    SessionGroup,
    SessionStatus,
    Workshop,
)
from .schemas import Flag, Line, Reason, Ref, Strict, Text, example

MAX_REGISTER_LINES = 30  # a session's most places (domain/session.py)


class SessionPlanIn(Strict):
    """Plan a session of workshop A or B at one of the force's venues."""

    model_config = example(workshop="A", venue_id="cambridge-hub", starts_at="2026-03-12T18:00:00Z",
                           ends_at="2026-03-12T20:30:00Z", capacity=12, group="mens",
                           facilitators=["FAC-0012", "FAC-0031"], provider="Respect Partnership")

    workshop: Workshop
    venue_id: Ref = Field(description="One of your force's venues (GET /v1/venues).")
    starts_at: Moment
    ends_at: Moment
    capacity: StrictInt = Field(ge=1, le=30, description="Places (CARA groups are 8 to 12).")
    group: SessionGroup
    facilitators: list[Ref] = Field(max_length=10, description="The facilitators, by reference (no names).")
    provider: Line = Field(max_length=200, description="The provider running the session.")
    bank_holiday_reason: Reason | None = Field(None, description=(
        "Why the session runs on a bank holiday in England and Wales: required then, refused (not kept) otherwise."))


class SessionBookingIn(Strict):
    """Book a caution into the session. A caution already booked into another session of the workshop is moved
    (a reschedule): say who asked, the coded reason and the reason in words; its place there is freed."""

    model_config = example(caution_id="6f1c2f0e-3c1b-4d7e-9b1a-2f0c9e5d4a10")

    caution_id: UUID
    group_override_reason: Reason | None = Field(None, description=(
        "Why the offender joins a group their recorded gender does not match (or whose gender is recorded as "
        "other, or erased): required then."))
    requested_by: RescheduleRequester | None = Field(None, description="Who asked for the move (reschedules).")
    reason_code: RescheduleReason | None = Field(None, description="The coded reason for the move (reschedules).")
    reason: Reason | None = Field(None, description="The reason for the move, in words (reschedules).")


class RegisterLineIn(Strict):
    caution_id: UUID
    outcome: RegisterOutcome
    note: Text | None = Field(None, description=(
        "About the offender's circumstances (a miss only): sealed under their key, shown in the compliance history "
        "to the roles that may see who they are."))
    absence_reason: AbsenceReason | None = Field(None, description="The reason given for a miss, coded.")
    absence_detail: Text | None = Field(None, description="What the reason was, in words (sealed like the note).")

    @model_validator(mode="after")
    def _only_a_miss_has_reasons(self) -> RegisterLineIn:
        if self.outcome is RegisterOutcome.ATTENDED and (self.note or self.absence_reason or self.absence_detail):
            raise ValueError("note, absence_reason and absence_detail are for a miss, not an attendance")
        return self


class RegisterIn(Strict):
    """The session's register: one line for every caution booked, in one request."""

    model_config = example(lines=[
        {"caution_id": "6f1c2f0e-3c1b-4d7e-9b1a-2f0c9e5d4a10", "outcome": "attended"},
        {"caution_id": "0b7a3c55-8d0e-4f1a-a6c2-7e9d1b2c3f40", "outcome": "did_not_attend",
         "note": "Phoned to say the bus did not come", "absence_reason": "other"}])

    lines: list[RegisterLineIn] = Field(min_length=1, max_length=MAX_REGISTER_LINES)
    correction: Flag = Field(False, description=(
        "Correct the register already recorded: each changed line strikes the caution's earlier entry out as "
        "recorded in error and records the new outcome. Refused (422, naming the rule) where an entry rests on the "
        "one to strike."))
    correction_reason: Reason | None = Field(None, description="Why the register is corrected: required then.")

    @model_validator(mode="after")
    def _a_correction_says_why(self) -> RegisterIn:
        if self.correction and not self.correction_reason:
            raise ValueError("a correction needs its correction_reason")
        return self


class SessionCancellationIn(Strict):
    model_config = example(reason="facilitator_unavailable", detail="Both facilitators ill")

    reason: SessionCancellation
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), PLAIN_TEXT] = Field(
        "", description="What happened; required when the reason is `other`.")


class VenueOut(BaseModel):
    id: str
    name: str


class SessionBookingOut(BaseModel):
    caution_id: str


class RegisterLineOut(BaseModel):
    caution_id: str
    outcome: RegisterOutcome


class SessionOut(BaseModel):
    """A workshop session: who is booked (by caution only) and its register, with no personal data."""

    id: str
    force: str
    provider: str
    workshop: Workshop
    venue: VenueOut
    starts_at: str
    ends_at: str
    capacity: int
    places_left: int
    group: SessionGroup
    facilitators: list[str]
    bank_holiday_reason: str | None
    status: SessionStatus
    version: int
    bookings: list[SessionBookingOut]
    register_lines: list[RegisterLineOut] = Field(alias="register")  # `register` is a BaseModel method's name
    position: int | None = Field(None, description="The store position of the command's last event.")


class RebookOut(BaseModel):
    caution_id: str
    workshop: Workshop
    book_by: str = Field(description="The latest day (UK) a session can be on for A, 28 days and B to fit the period.")


class SessionCancelledOut(SessionOut):
    rebook: list[RebookOut]
