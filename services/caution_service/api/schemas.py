"""Request and response bodies of the caution service (snake_case JSON, unknown fields refused)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.timeformats import Moment, iso_date

from ..domain.values import (
    BreachOutcome,
    ContactOutcome,
    ContactStage,
    Gender,
    LegalBasis,
    MissReason,
    OffenceCategory,
    Rank,
    Relationship,
    RiskLevel,
    Status,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def _plausible(day: date) -> date:
    if not date(1900, 1, 1) <= day <= date(2200, 1, 1):
        raise ValueError("must be between 1900-01-01 and 2200-01-01")
    return day


PastDate = Annotated[date, BeforeValidator(iso_date), AfterValidator(_plausible)]
WorkshopName = Literal["A", "B"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Occurred(Strict):
    occurred_at: Moment = Field(description="When it happened (RFC 3339 with offset); not in the future.")


class OffenderIn(Strict):
    reference: Ref
    name: Text
    date_of_birth: PastDate
    gender: Gender


class OffenceIn(Strict):
    category: OffenceCategory
    committed_on: PastDate
    description: Text
    relationship: Relationship
    admitted: bool
    evidence_sufficient_to_charge: bool
    charge_decision_by: Ref = Field(description="CPS or the authorised decision-maker who agreed the evidence test.")


class HistoryIn(Strict):
    last_domestic_abuse_disposal_on: PastDate | None = None
    serving_community_sentence: bool


class VictimDetailsIn(Strict):
    """Sealed at rest; readable by the victim contact role only."""

    name: Text
    phone: Ref | None = None
    email: Ref | None = None
    address: Text | None = None
    preferred_contact: Text | None = None


class VictimIn(Strict):
    reference: Ref
    dash_risk: RiskLevel
    consulted: bool
    agrees: bool
    contact_details: VictimDetailsIn | None = None


class OfficerIn(Strict):
    id: Ref
    name: Text
    rank: Rank
    authorised_person: bool = False


class CautionCreate(Occurred):
    """Issue a caution. `occurred_at` is when the caution was given."""

    police_reference: Ref
    legal_basis: LegalBasis
    offender: OffenderIn
    offence: OffenceIn
    history: HistoryIn
    victim: VictimIn
    issuing_officer: OfficerIn


class ScheduleIn(Occurred):
    session_at: Moment
    venue: Text
    reason: Reason | None = Field(None, description="Required when the workshop is already booked (a reschedule).")


class AttendanceIn(Occurred):
    pass


class NonAttendanceIn(Occurred):
    reason: MissReason
    note: Text


class ExcuseDecisionIn(Occurred):
    accepted: bool
    reason: Reason


class VictimContactIn(Occurred):
    stage: ContactStage
    outcome: ContactOutcome
    safeguarding_concern: bool = False
    notes: Text | None = Field(None, description="Sealed at rest; readable by the victim contact role only.")


class VariationIn(Occurred):
    period_ends_on: PastDate
    reason: Reason
    authorised_by: Ref


class BreachIn(Occurred):
    outcome: BreachOutcome
    reason: Reason


class CompletionIn(Occurred):
    pass


class WithdrawalIn(Occurred):
    reason: Reason


class CorrectionIn(Strict):
    corrects_entry: int = Field(ge=1, le=100_000, description="The entry number (aggregate version) being corrected.")
    reason: Reason
    corrected_occurred_at: Moment | None = None


# ----- responses -----------------------------------------------------------------------


class WorkshopPublic(BaseModel):
    booked_for: AwareDatetime | None
    venue: str | None
    attended_at: AwareDatetime | None


class ActionPublic(BaseModel):
    action: str
    role: str
    due_on: date | None
    overdue: bool


class VictimPublic(BaseModel):
    reference: str
    dash_risk: RiskLevel
    consulted: bool
    agrees: bool
    contact_details: dict | None = Field(None, description=(
        "Present for the victim contact role only, on reads of the caution (GET), each of which is kept in the "
        "consultation log; never in command answers."))


class ConditionsPublic(BaseModel):
    caution_period_days: int
    first_contact_days: int
    min_days_between_workshops: int


class CautionPublic(BaseModel):
    id: str
    version: int
    position: int | None = Field(None, description="Global feed position of this write (command responses).")
    police_reference: str
    force: str
    legal_basis: LegalBasis
    status: Status
    offender: OffenderIn
    offence: OffenceIn
    victim: VictimPublic
    issuing_officer: OfficerIn
    conditions: ConditionsPublic
    issued_at: AwareDatetime
    period_ends_on: date
    days_left: int
    round: int = Field(description="1 for the first attempt; rises when an accepted excuse restarts A and B.")
    workshops: dict[str, WorkshopPublic]
    victim_contacted_after_workshop_a: bool
    victim_contacted_on_completion: bool
    safeguarding_concern: bool
    pending_excuse_decision: WorkshopName | None
    breach_referred: bool
    deadline_passed: bool
    breach_outcome: BreachOutcome | None
    closed_at: AwareDatetime | None
    unmet_conditions: list[str]
    required_actions: list[ActionPublic]
    next_action: ActionPublic | None
    overdue: bool
    spent_on: date | None
    as_of: AwareDatetime | None = None
