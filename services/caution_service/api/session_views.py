"""Response bodies of the workshop-session reads, the venues and the provider's worklist (and the venue requests).

A session is shown by caution id, police reference and status only: no offender's name ever (the roster is what a
provider needs to run the register, and the police reference is what they quote to the force).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shared.text import PLAIN_CODE, PLAIN_LINE, PLAIN_TEXT


class VenueRef(BaseModel):
    id: str
    name: str = Field(description="The venue's name when the session was planned.")


class BookingLine(BaseModel):
    caution_id: str


class RegisterEntry(BaseModel):
    caution_id: str
    outcome: str


class RosterLine(BaseModel):
    caution_id: str
    police_reference: str | None = Field(description="Null until the caution's summary is projected.")
    caution_status: str | None
    booked: bool = Field(description="Holds a place now (false: released after the register was recorded).")
    outcome: str | None = Field(description="The register's outcome; null until the register is recorded.")


class SessionView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    force: str
    provider: str
    workshop: str
    venue: VenueRef
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int
    places_left: int
    group: str
    facilitators: list[str]
    status: str
    version: int
    bookings: list[BookingLine]
    register_lines: list[RegisterEntry] = Field(alias="register")  # the name BaseModel.register would shadow
    register_recorded_at: AwareDatetime | None = Field(description="When the register was first recorded.")
    position: int = Field(description="The feed position of the session's last event the read model holds.")


class SessionWithRoster(SessionView):
    roster: list[RosterLine]


class SessionPage(BaseModel):
    items: list[SessionView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


# ----- venues -----------------------------------------------------------------------------------

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN_LINE]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), PLAIN_TEXT]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=5, max_length=8,
                                            pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"), PLAIN_CODE]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), PLAIN_TEXT]


class VenueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Cambridge Community Hub", "address": "1 Market Square\nCambridge", "postcode": "CB1 2AB",
        "accessible": True, "notes": "Side entrance after 6pm"}]})
    name: Name
    address: Address
    postcode: Postcode = Field(description="A UK postcode, e.g. `CB1 2AB`.")
    accessible: StrictBool = Field(description="Step-free access throughout.")
    notes: Notes = ""


class VenueChange(BaseModel):
    """Only the fields given change; `active: false` retires the venue (it takes no new sessions), `true` brings it
    back. A venue is never deleted: sessions name it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})
    name: Name | None = None
    address: Address | None = None
    postcode: Postcode | None = None
    accessible: StrictBool | None = None
    notes: Notes | None = None
    active: StrictBool | None = None


class VenuePublic(BaseModel):
    id: str
    force: str
    name: str
    address: str
    postcode: str
    accessible: bool
    notes: str
    active: bool
    created_at: AwareDatetime
    created_by: str
    updated_at: AwareDatetime
    updated_by: str


class VenueList(BaseModel):
    items: list[VenuePublic]


# ----- the provider's worklist ------------------------------------------------------------------

class FirstContactDue(BaseModel):
    caution_id: str
    police_reference: str
    issued_on: date
    due_on: date
    overdue: bool


class BookingNeeded(BaseModel):
    caution_id: str
    police_reference: str
    workshop: str
    book_from: date | None = Field(description=(
        "The first UK day the workshop's session may be on: for workshop B, workshop A's UK day plus the conditions' "
        "min_days_between_workshops (a session before it is refused, rule workshop_b_after_gap). Null for workshop A, "
        "which no rule bounds beyond the caution period (a session must be inside it, and not in the past to be "
        "booked); null too for B in a summary projected before migration 0022 until caution_summaries is rebuilt."))
    book_by: date = Field(description="The last UK day the workshop's session may be on for the caution to fit in "
                                      "its period.")
    overdue: bool
    first_contact_at: AwareDatetime | None


class SessionSoon(SessionView):
    roster: list[RosterLine]


class Worklist(BaseModel):
    today: date
    first_contact: list[FirstContactDue]
    first_contact_more: bool = Field(description="More cautions wait for first contact than `limit` shows.")
    booking: list[BookingNeeded]
    booking_more: bool
    sessions_soon: list[SessionSoon] = Field(description="Planned sessions starting in the next 14 days.")
    registers_overdue: list[SessionView] = Field(description="Sessions still without a register a day after they "
                                                             "ended.")
