"""Request and response bodies of the caution service (snake_case JSON, unknown fields refused)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from shared.text import PLAIN_CODE, PLAIN_LINE, PLAIN_TEXT
from shared.timeformats import Moment, iso_date

from ..domain.values import (
    AbsenceReason,
    BreachOutcome,
    ConcernSource,
    ConcernUrgency,
    ContactOutcome,
    ContactStage,
    DataProtectionBasis,
    FirstContactMethod,
    FirstContactOutcome,
    Gender,
    LegalBasis,
    MissReason,
    OffenceCategory,
    PanelCaseKind,
    Rank,
    Relationship,
    RescheduleReason,
    RescheduleRequester,
    RiskLevel,
    RiskReviewDecision,
    SafeguardingCategory,
    Status,
)

# Free text is checked for what would hide or rewrite it when shown (shared/text.py), and NFC-normalised.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), PLAIN_LINE]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), PLAIN_TEXT]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), PLAIN_CODE]
Reason = Text
# JSON true and false only: lax parsing also took "yes", "off", 1 and 0, which the schema does not offer.
Flag = StrictBool


def _plausible(day: date) -> date:
    if not date(1900, 1, 1) <= day <= date(2200, 1, 1):
        raise ValueError("must be between 1900-01-01 and 2200-01-01")
    return day


PastDate = Annotated[date, BeforeValidator(iso_date), AfterValidator(_plausible)]
WorkshopName = Literal["A", "B"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def example(**body: JsonValue) -> ConfigDict:
    """A body's example, shown in the docs and sent by "Try it out": each is accepted as sent (tests/contract)."""
    return ConfigDict(json_schema_extra={"examples": [body]})


class Occurred(Strict):
    occurred_at: Moment = Field(description="When it happened (RFC 3339 with offset); not in the future.")


class OffenderIn(Strict):
    reference: Ref
    name: Line
    date_of_birth: PastDate
    gender: Gender


class OffenceIn(Strict):
    category: OffenceCategory
    committed_on: PastDate
    description: Text
    relationship: Relationship
    admitted: Flag
    evidence_sufficient_to_charge: Flag
    charge_decision_by: Ref = Field(description="CPS or the authorised decision-maker who agreed the evidence test.")


class HistoryIn(Strict):
    last_domestic_abuse_disposal_on: PastDate | None = None
    serving_community_sentence: Flag


class VictimDetailsIn(Strict):
    """Sealed at rest; readable by the victim contact role only."""

    name: Line
    phone: Ref | None = None
    email: Ref | None = None
    address: Text | None = None
    preferred_contact: Line | None = None


class VictimIn(Strict):
    reference: Ref
    dash_risk: RiskLevel
    consulted: Flag
    agrees: Flag
    contact_details: VictimDetailsIn | None = None


class OfficerIn(Strict):
    id: Ref
    name: Line
    rank: Rank
    authorised_person: Flag = False


class CautionCreate(Occurred):
    """Issue a caution. `occurred_at` is when the caution was given."""

    model_config = example(
        police_reference="CC-2026-000123", legal_basis="conditional_caution", occurred_at="2026-03-02T10:00:00Z",
        offender={"reference": "PNC-26-000123A", "name": "Alex Example", "date_of_birth": "1990-05-17",
                  "gender": "male"},
        offence={"category": "common_assault", "committed_on": "2026-02-20",
                 "description": "Pushed partner during an argument", "relationship": "current_partner",
                 "admitted": True, "evidence_sufficient_to_charge": True, "charge_decision_by": "CPS"},
        history={"last_domestic_abuse_disposal_on": None, "serving_community_sentence": False},
        victim={"reference": "V-26-000123", "dash_risk": "standard", "consulted": True, "agrees": True,
                "contact_details": {"name": "Sam Victim", "phone": "07700 900123"}},
        issuing_officer={"id": "SGT-1001", "name": "Sgt Jo Bloggs", "rank": "sergeant", "authorised_person": False})

    police_reference: Ref
    legal_basis: LegalBasis
    offender: OffenderIn
    offence: OffenceIn
    history: HistoryIn
    victim: VictimIn
    issuing_officer: OfficerIn


class ScheduleIn(Occurred):
    model_config = example(occurred_at="2026-03-03T09:00:00Z", session_at="2026-03-12T18:00:00Z", venue="Cambridge Hub")

    session_at: Moment
    venue: Text  # may be an address, over lines
    reason: Reason | None = Field(None, description="Required when the workshop is already booked (a reschedule).")
    requested_by: RescheduleRequester | None = Field(None, description=(
        "Who asked for the reschedule; recorded with a reschedule (a first booking has none to record)."))
    reason_code: RescheduleReason | None = Field(None, description=(
        "The reschedule's reason, coded; recorded with a reschedule beside `reason`."))


class AttendanceIn(Occurred):
    model_config = example(occurred_at="2026-03-12T20:00:00Z")

    reason_not_on_booked_day: Reason | None = Field(None, description=(
        "Why the attendance was not on the booked session's day (UK time); required when it was not, refused "
        "without. Kept with the entry and shown in the compliance history."))


class NonAttendanceIn(Occurred):
    model_config = example(occurred_at="2026-03-12T20:00:00Z", reason="did_not_attend",
                           note="Phoned to say the bus did not come")

    reason: MissReason
    note: Text
    absence_reason: AbsenceReason | None = Field(None, description=(
        "The reason given for the absence, coded, so that the police decide the excuse on a stated reason."))
    absence_detail: Text | None = Field(None, description=(
        "What the reason was: required when `absence_reason` is `other`. About the offender: sealed under their key "
        "like `note`."))


class ExcuseDecisionIn(Occurred):
    model_config = example(occurred_at="2026-03-13T10:00:00Z", accepted=True,
                           reason="Public transport failure, confirmed")

    accepted: Flag
    reason: Reason
    absence_reason: AbsenceReason | None = Field(None, description=(
        "The coded absence reason decided on; by default the one recorded with the miss."))


class FirstContactIn(Occurred):
    model_config = example(occurred_at="2026-03-04T11:00:00Z", method="phone", outcome="contacted")

    method: FirstContactMethod
    outcome: FirstContactOutcome = Field(description=(
        "`contacted` and `declined_to_engage` are contact made; `no_response` is an attempt, recorded but meeting "
        "nothing."))


class VictimContactIn(Occurred):
    model_config = example(occurred_at="2026-03-13T11:00:00Z", stage="after_workshop_a", outcome="contacted",
                           safeguarding_concern=False, notes="Spoke to the victim; no concerns raised.")

    stage: ContactStage
    outcome: ContactOutcome
    safeguarding_concern: Flag = Field(False, description=(
        "A safeguarding concern came up: it is also raised to the police (SafeguardingConcernRaised, urgent and "
        "a risk to the victim unless `concern_category` and `concern_urgency` say otherwise), with the notes as "
        "what was said."))
    notes: Text | None = Field(None, description="Sealed at rest; readable by the victim contact role only.")
    concern_category: SafeguardingCategory | None = Field(None, description=(
        "With `safeguarding_concern`: what the concern is about (default risk_to_victim)."))
    concern_urgency: ConcernUrgency | None = Field(None, description=(
        "With `safeguarding_concern`: how urgent it is (default urgent)."))


class ConcernIn(Occurred):
    """A safeguarding concern raised to the police. What was said is sealed under the victim's key, whoever raises
    it, and only the victim contact role reads it: the police are told to contact that service."""

    model_config = example(occurred_at="2026-03-13T11:00:00Z", category="threat_by_offender", urgency="urgent",
                           details="Said in the session that he would go round to her house tonight.",
                           session_id="3f0c6f5e-2b1a-4c5d-9e8f-0a1b2c3d4e5f")

    category: SafeguardingCategory
    urgency: ConcernUrgency
    details: Text | None = Field(None, description="What was said: sealed under the victim's key.")
    session_id: Ref | None = Field(None, description=(
        "The workshop session it was heard in: required from the provider, not taken from the victim contact "
        "service."))


class AcknowledgementIn(Occurred):
    model_config = example(occurred_at="2026-03-13T12:00:00Z",
                           action_taken="Officer spoke to the victim contact service; patrol arranged tonight.")

    action_taken: Text = Field(description="What the police did: kept from the event feed (free text).")


class RiskAssessmentIn(Occurred):
    model_config = example(occurred_at="2026-03-13T11:30:00Z", dash_risk="high",
                           reason="DASH re-assessed after new threats")

    dash_risk: RiskLevel
    reason: Reason


class RiskReviewDecisionIn(Occurred):
    model_config = example(occurred_at="2026-03-14T10:00:00Z", decision="continue",
                           reason="Bail conditions in place; the caution continues")

    decision: RiskReviewDecision = Field(description=(
        "`vary` and `withdraw` say what the police will do: record the variation or withdrawal with its own "
        "command."))
    reason: Reason


class PanelReviewIn(Occurred):
    model_config = example(occurred_at="2026-04-01T14:00:00Z", panel_id="panel-2026-04", held_on="2026-04-01",
                           members=["INSP-2002", "prov-7"], kind="safeguarding_concern",
                           decision="Handled promptly; no further action", actions=["Share the learning"])

    panel_id: Ref
    held_on: PastDate
    members: list[Ref] = Field(min_length=1, max_length=30, description="The panel's members, by reference.")
    kind: PanelCaseKind
    decision: Text
    actions: list[Line] = Field(default_factory=list, max_length=30)


class VariationIn(Occurred):
    model_config = example(occurred_at="2026-03-13T10:00:00Z", period_ends_on="2026-06-01",
                           reason="Workshop B moved by the provider", authorised_by="INSP-2002")

    period_ends_on: PastDate
    reason: Reason
    authorised_by: Ref


class BreachIn(Occurred):
    model_config = example(occurred_at="2026-03-13T10:00:00Z", outcome="prosecute",
                           reason="Missed workshop B without excuse")

    outcome: BreachOutcome
    reason: Reason


class CompletionIn(Occurred):
    model_config = example(occurred_at="2026-04-20T10:00:00Z")

    pass


class WithdrawalIn(Occurred):
    model_config = example(occurred_at="2026-03-03T10:00:00Z", reason="Issued in error: wrong offender")

    reason: Reason


class CorrectionIn(Strict):
    """Correct an earlier entry: give its true time, or strike it out as recorded in error. A closed caution
    (completed, breached, withdrawn) may be corrected by the police alone, with the reason (errors found at court);
    the caution's state and verdict are then decided again from the facts as corrected."""

    model_config = example(corrects_entry=2, reason="Wrong time entered", corrected_occurred_at="2026-03-12T19:00:00Z")

    corrects_entry: StrictInt = Field(ge=1, le=100_000,
                                      description="The entry number (aggregate version) being corrected.")
    reason: Reason
    corrected_occurred_at: Moment | None = None
    recorded_in_error: Flag = Field(False, description=(
        "Strike the entry out: it did not happen. A closing entry (Completed, Breached, Withdrawn) struck out re-opens "
        "the caution; an attendance or a miss struck out no longer counts. Refused (422, naming the rule) where "
        "the state cannot be decided again without it, or where a later entry rests on it (strike that first)."))


class ErasureIn(Strict):
    """Erase a person's data: their data key is destroyed, and nothing sealed under it can be opened again."""

    model_config = example(reason="Court order 2026/123", legal_basis="court_order")

    reason: Reason
    legal_basis: DataProtectionBasis


class RestrictionIn(Strict):
    model_config = example(reason="Accuracy contested by the data subject", legal_basis="dpa_2018_s47_4")

    reason: Reason
    legal_basis: DataProtectionBasis


class LiftingIn(Strict):
    model_config = example(reason="Accuracy confirmed")

    reason: Reason


class OffenderRectificationIn(Strict):
    """The fields to correct; those not given stay as they are."""

    model_config = example(name="Alex Exampel", reason="Name misspelt at issue")

    name: Line | None = None
    date_of_birth: PastDate | None = None
    gender: Gender | None = None
    reason: Reason


class VictimRectificationIn(Strict):
    """The victim's contact details as they should be (they replace what was held)."""

    model_config = example(contact_details={"name": "Sam Victim", "phone": "07700 900456"},
                           reason="New phone number")

    contact_details: VictimDetailsIn
    reason: Reason


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
    reference: str | None = Field(description="Null for roles that may not see it (the provider).")
    dash_risk: RiskLevel | None
    consulted: bool
    agrees: bool
    contact_details: dict | None = Field(None, description=(
        "Present for the victim contact role only, on reads of the caution (GET), each of which is kept in the "
        "consultation log; never in command answers."))


class OffenderPublic(BaseModel):
    reference: str
    name: str | None = Field(description="Null in command answers, for roles that may not see it, and once erased "
                                         "or restricted (see `personal_data`).")
    date_of_birth: date | None
    gender: Gender | None


class OffencePublic(BaseModel):
    category: OffenceCategory
    committed_on: date
    description: str | None = Field(description="Police and court reads only.")
    relationship: Relationship
    admitted: bool
    evidence_sufficient_to_charge: bool
    charge_decision_by: str


class HistoryPublic(BaseModel):
    last_domestic_abuse_disposal_on: date | None
    serving_community_sentence: bool


class DataStatePublic(BaseModel):
    state: Literal["held", "restricted", "erased"]
    on: date | None
    reason: str | None
    legal_basis: DataProtectionBasis | None


class ConditionsPublic(BaseModel):
    caution_period_days: int
    first_contact_days: int
    min_days_between_workshops: int


class FirstContactPublic(BaseModel):
    made_at: AwareDatetime | None = Field(description="When the provider first made contact; null until then.")
    due_on: date | None = Field(description="The day first contact is due by; null once made, or the caution closed.")
    attempts: int = Field(description="Every first contact recorded, attempts with no response included.")


class OpenConcernPublic(BaseModel):
    entry: int = Field(description="The entry that raised it: the concern's id.")
    category: SafeguardingCategory
    urgency: ConcernUrgency
    raised_at: AwareDatetime


class CautionPublic(BaseModel):
    id: str
    version: int
    position: int | None = Field(None, description="Global feed position of this write (command responses).")
    police_reference: str
    force: str
    legal_basis: LegalBasis
    status: Status
    offender: OffenderPublic
    offence: OffencePublic
    history: HistoryPublic | None = Field(description="Police and court reads only.")
    victim: VictimPublic
    personal_data: dict[Literal["offender", "victim"], DataStatePublic] = Field(
        description="Each person's data: held, or restricted or erased (when, why, under which law).")
    withheld: list[str] = Field(description=(
        "The kinds of personal data this answer leaves out: those your role may not see, those erased or restricted, "
        "and, in a command's answer, everything sealed (read the caution to see it)."))
    issuing_officer: OfficerIn
    conditions: ConditionsPublic
    issued_at: AwareDatetime
    period_ends_on: date
    days_left: int
    round: int = Field(description="1 for the first attempt; rises when an accepted excuse restarts A and B.")
    workshops: dict[str, WorkshopPublic]
    first_contact: FirstContactPublic
    victim_contacted_after_workshop_a: bool
    victim_contacted_on_completion: bool
    safeguarding_concern: bool = Field(description="A victim contact was recorded with a safeguarding concern.")
    open_safeguarding_concerns: list[OpenConcernPublic] = Field(description=(
        "The concerns the police have not acknowledged yet (police, provider, victim contact and court); what was "
        "said is for the victim contact role alone (GET .../safeguarding-concerns)."))
    current_dash_risk: RiskLevel | None = Field(description=(
        "The victim's DASH risk now, after any re-assessment (`victim.dash_risk` is the risk at issue); null for "
        "roles that may not see it."))
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


class ConcernRead(BaseModel):
    entry: int = Field(description="The entry that raised it: the concern's id.")
    category: SafeguardingCategory
    urgency: ConcernUrgency
    source: ConcernSource
    session_id: str | None
    raised_at: AwareDatetime
    raised_by_role: str
    acknowledged_at: AwareDatetime | None = Field(description="When the police acknowledged it; null until then.")
    struck_out: bool = Field(description="Struck out by the police as raised in error.")
    details: str | None = Field(description="What was said; null when nothing was, or the victim's data is erased or "
                                            "restricted.")


class ConcernsRead(BaseModel):
    caution_id: str
    concerns: list[ConcernRead]
