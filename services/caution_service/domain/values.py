"""Value objects and vocabularies of the CARA caution domain.

Enums are plain `Enum` (not `str` subclasses) so that the event store's JSON
transcoder hands them to a registered transcoding instead of silently turning
them into strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import ClassVar


class LegalBasis(Enum):
    CONDITIONAL_CAUTION = "conditional_caution"  # Criminal Justice Act 2003 ss.22-27
    DIVERSIONARY_CAUTION = "diversionary_caution"  # PCSC Act 2022 Part 6


class OffenceCategory(Enum):
    COMMON_ASSAULT = "common_assault"
    BATTERY = "battery"
    CRIMINAL_DAMAGE = "criminal_damage"
    HARASSMENT = "harassment"
    THREATENING_BEHAVIOUR = "threatening_behaviour"
    DOMESTIC_THEFT = "domestic_theft"
    OTHER = "other"


class Relationship(Enum):
    CURRENT_PARTNER = "current_partner"
    FORMER_PARTNER = "former_partner"
    FAMILY_MEMBER = "family_member"
    OTHER = "other"


class RiskLevel(Enum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class Gender(Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Rank(Enum):
    """Police ranks in order of seniority (declaration order matters)."""

    CONSTABLE = "constable"
    SERGEANT = "sergeant"
    INSPECTOR = "inspector"
    CHIEF_INSPECTOR = "chief_inspector"
    SUPERINTENDENT = "superintendent"
    CHIEF_SUPERINTENDENT = "chief_superintendent"

    def at_least(self, other: Rank) -> bool:
        order = list(Rank)
        return order.index(self) >= order.index(other)


class Workshop(Enum):
    A = "A"
    B = "B"


class MissReason(Enum):
    """How a workshop was missed. Each is a miss: only attending the whole session, and taking part, counts."""

    DID_NOT_ATTEND = "did_not_attend"
    ARRIVED_LATE = "arrived_late"  # CARA refuses late entry: a late arrival is a miss
    LEFT_EARLY = "left_early"
    SENT_HOME = "sent_home"  # the facilitator sent them home (intoxicated, abusive, disruptive)
    FAILED_TO_ENGAGE = "failed_to_engage"  # present, but did not take part: the condition is to take part


class AbsenceReason(Enum):
    """The reason given for a miss, coded so that police decide an excuse on a stated reason (issue 18)."""

    MEDICAL = "medical"
    EMPLOYMENT = "employment"
    CHILDCARE = "childcare"
    COURT = "court"
    OTHER = "other"  # with text saying what
    NONE_GIVEN = "none_given"


class RescheduleRequester(Enum):
    """Who asked for a booked workshop to move (issue 18)."""

    OFFENDER = "offender"
    PROVIDER = "provider"
    POLICE = "police"


class RescheduleReason(Enum):
    MEDICAL = "medical"
    EMPLOYMENT = "employment"
    CHILDCARE = "childcare"
    COURT = "court"
    SESSION_CANCELLED = "session_cancelled"
    PROVIDER_ARRANGEMENTS = "provider_arrangements"
    OTHER = "other"


class FirstContactMethod(Enum):
    PHONE = "phone"
    IN_PERSON = "in_person"
    VIDEO = "video"
    LETTER = "letter"
    EMAIL = "email"


class FirstContactOutcome(Enum):
    """`contacted` and `declined_to_engage` are contact made (the 14-day requirement is met); `no_response` is an
    attempt, recorded so the provider's efforts are in the record, that meets nothing."""

    CONTACTED = "contacted"
    DECLINED_TO_ENGAGE = "declined_to_engage"
    NO_RESPONSE = "no_response"

    @property
    def is_contact(self) -> bool:
        return self is not FirstContactOutcome.NO_RESPONSE


class SessionGroup(Enum):
    """CARA workshops are single-sex groups; women attend an adapted delivery."""

    MENS = "mens"
    WOMENS = "womens"


class SessionStatus(Enum):
    PLANNED = "planned"
    HELD = "held"  # its register is recorded
    CANCELLED = "cancelled"


class SessionCancellation(Enum):
    VENUE_UNAVAILABLE = "venue_unavailable"
    FACILITATOR_UNAVAILABLE = "facilitator_unavailable"
    TOO_FEW_BOOKED = "too_few_booked"
    OTHER = "other"


class RegisterOutcome(Enum):
    """One line of a session's register. Everything but `attended` is a miss of that workshop (DOMAIN.md)."""

    ATTENDED = "attended"
    ARRIVED_LATE = "arrived_late"
    DID_NOT_ATTEND = "did_not_attend"
    LEFT_EARLY = "left_early"
    SENT_HOME = "sent_home"
    FAILED_TO_ENGAGE = "failed_to_engage"

    @property
    def miss_reason(self) -> MissReason | None:
        return None if self is RegisterOutcome.ATTENDED else MissReason(self.value)


class ContactStage(Enum):
    AFTER_WORKSHOP_A = "after_workshop_a"
    ON_COMPLETION = "on_completion"


class ContactOutcome(Enum):
    CONTACTED = "contacted"
    UNABLE_TO_CONTACT = "unable_to_contact"
    DECLINED = "declined"


class SafeguardingCategory(Enum):
    """What a safeguarding concern is about (issue 19)."""

    RISK_TO_VICTIM = "risk_to_victim"
    RISK_TO_CHILDREN = "risk_to_children"
    THREAT_BY_OFFENDER = "threat_by_offender"
    OFFENDER_SELF_HARM = "offender_self_harm"
    OTHER = "other"


class ConcernUrgency(Enum):
    URGENT = "urgent"
    ROUTINE = "routine"


class ConcernSource(Enum):
    """Who raised a safeguarding concern, and how."""

    VICTIM_CONTACT = "victim_contact"  # the victim contact service, on its own
    VICTIM_CONTACT_ON_CONTACT = "victim_contact_on_contact"  # a victim contact recorded with a concern
    WORKSHOP_SESSION = "workshop_session"  # the provider, from what was heard in a session


class RiskReviewDecision(Enum):
    """What the police decide on reviewing a caution after the victim's DASH risk rose to high. `vary` and
    `withdraw` say what they will do; the variation or withdrawal is recorded by its own command."""

    CONTINUE = "continue"
    VARY = "vary"
    WITHDRAW = "withdraw"


class PanelCaseKind(Enum):
    """Why a case is before the scrutiny panel."""

    BREACH_REFERRAL = "breach_referral"
    ACCEPTED_EXCUSE = "accepted_excuse"
    SAFEGUARDING_CONCERN = "safeguarding_concern"
    OUT_OF_TIME = "out_of_time"


class BreachOutcome(Enum):
    PROSECUTE = "prosecute"
    NO_FURTHER_ACTION = "no_further_action"


class BreachFailure(Enum):
    """The failure a breach decision rests on: without one there is nothing to decide (DOMAIN.md, Breached)."""

    EXCUSE_REJECTED = "excuse_rejected"  # a missed workshop's excuse was rejected: a breach referral
    PERIOD_ENDED = "period_ended_without_completion"  # the caution period ended with the conditions unmet


class Status(Enum):
    ACTIVE = "active"
    EXCUSE_DECISION_PENDING = "excuse_decision_pending"
    BREACH_REFERRED = "breach_referred"
    DEADLINE_PASSED = "deadline_passed"
    COMPLETED = "completed"
    BREACHED = "breached"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class RecordedBy:
    """Who recorded an event: taken from the caller's verified token.

    `name`, `rank` and `collar_number` are the token's display claims (shared/auth.py), so a court reads who
    recorded an entry, not an account id. They are optional: events recorded before they were taken, and those a
    system records, have none; and an absent one is left out of the stored event and of the history's entry
    (`as_dict`), never stored as null, so those events keep the content and the hash they were recorded with."""

    id: str
    role: str
    force: str
    name: str | None = None
    rank: str | None = None
    collar_number: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The fields that are present: id, role and force always; a display field only when it was given."""
        given = {"id": self.id, "role": self.role, "force": self.force}
        for field, value in (("name", self.name), ("rank", self.rank), ("collar_number", self.collar_number)):
            if value is not None:
                given[field] = value
        return given

    def account(self) -> dict[str, str]:
        """Only id, role and force: what subscribers of the event feed are given (staff names stay home)."""
        return {"id": self.id, "role": self.role, "force": self.force}


class Person(Enum):
    """Whose personal data: each person in a caution has a data key of their own (shared/keyring.py)."""

    OFFENDER = "offender"
    VICTIM = "victim"


class DataProtectionBasis(Enum):
    """The law under which a person's data is erased, restricted or corrected (Data Protection Act 2018 Part 3)."""

    RECTIFICATION = "dpa_2018_s46"  # the data subject's right to rectification
    ERASURE = "dpa_2018_s47_1"  # processing would infringe the data protection principles
    ERASURE_LEGAL_OBLIGATION = "dpa_2018_s47_2"  # erasure to comply with a legal obligation
    RESTRICTION_ACCURACY = "dpa_2018_s47_4"  # accuracy contested, and it cannot be settled
    RESTRICTION_EVIDENCE = "dpa_2018_s47_2_evidence"  # kept, instead of erased, as evidence
    RETENTION = "dpa_2018_s39"  # kept no longer than necessary: the force's retention policy
    COURT_ORDER = "court_order"


@dataclass(frozen=True)
class OffenderIdentity:
    """Who the offender is, in clear: only in memory, to check the rules and to show to roles allowed to see it.

    The record holds it sealed under the offender's own data key (`Offender.identity_sealed`)."""

    name: str
    date_of_birth: date
    gender: Gender


@dataclass(frozen=True)
class Offender:
    reference: str  # the force's own person reference (e.g. PNC id)
    identity_sealed: str  # name, date of birth and gender, sealed under the offender's data key


@dataclass(frozen=True)
class DataNotice:
    """An erasure or restriction of one person's data, as the record shows it in their place."""

    on: date
    reason: str
    legal_basis: DataProtectionBasis


@dataclass(frozen=True)
class Offence:
    category: OffenceCategory
    committed_on: date
    description: str  # sealed under the offender's data key: free text about them and the victim
    relationship: Relationship
    admitted: bool
    evidence_sufficient_to_charge: bool
    charge_decision_by: str  # CPS or the authorised decision-maker


@dataclass(frozen=True)
class OffendingHistory:
    last_domestic_abuse_disposal_on: date | None
    serving_community_sentence: bool


@dataclass(frozen=True)
class Victim:
    """The victim as the rest of the system sees them: a reference, never details."""

    reference: str
    dash_risk: RiskLevel
    consulted: bool
    agrees: bool


@dataclass(frozen=True)
class IssuingOfficer:
    id: str
    name: str
    rank: Rank
    authorised_person: bool


@dataclass(frozen=True)
class Conditions:
    """A force's CARA conditions, copied onto each caution when it is issued."""

    caution_period_days: int = 16 * 7
    first_contact_days: int = 14
    min_days_between_workshops: int = 28

    def period_ends_on(self, issued_on: date) -> date:
        """The last day of the caution period: the period counts in whole days from the day of the caution."""
        return issued_on + timedelta(days=self.caution_period_days)


@dataclass(frozen=True)
class Booking:
    """A booked workshop. `session_id` names the workshop session (issue 18); a booking made with a free-text venue,
    as before sessions existed, has none, and is stored without the field (transcodings.BookingAsDict)."""

    OMITTED_WHEN_NONE: ClassVar[tuple[str, ...]] = ("session_id",)  # read by projections/entries.plain

    session_at: datetime
    venue: str
    session_id: str | None = None


@dataclass(frozen=True)
class SessionBooking:
    """One caution's place in a workshop session: the offender by caution only (no personal data on a session)."""

    caution_id: str
    group_override: str | None = None  # why an offender is in a group their recorded gender does not match


@dataclass(frozen=True)
class RegisterLine:
    caution_id: str
    outcome: RegisterOutcome


@dataclass(frozen=True)
class MissAwaitingDecision:
    """A missed workshop whose excuse was still undecided when the caution closed: re-opening brings it back."""

    workshop: Workshop
    entry: int


@dataclass(frozen=True)
class OpenConcern:
    """A safeguarding concern not yet acknowledged by the police: the entry that raised it, and what it is."""

    entry: int
    category: SafeguardingCategory
    urgency: ConcernUrgency
    raised_at: datetime


@dataclass(frozen=True)
class Correction:
    """One EntryCorrected, as the verdict reads it: which entry it corrects, and how (struck out, or re-timed)."""

    entry: int  # the correction's own entry number
    corrects_entry: int
    corrected_type: str
    reason: str
    recorded_in_error: bool
    corrected_occurred_at: datetime | None


STATUTORY_MAX_PERIOD_DAYS = 20 * 7
TERMINAL = frozenset({Status.COMPLETED, Status.BREACHED, Status.WITHDRAWN})
