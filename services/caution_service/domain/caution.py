"""The Caution aggregate: one offender's CARA caution, recorded as immutable events.

Public methods check the rules and raise a named domain error; the private
`@event` methods only change state, because they also run when the caution is
rebuilt from its stored events. Every event, once applied, takes the next entry
number in the caution's record (`Caution.Event.apply`), so no mutator keeps that
count by hand.

Each event here has an entry in the event catalogue (shared/catalogue.py), which
tells the feed, the court's history and the notification service about it;
tests/caution_service/unit/test_catalogue.py fails when one is missing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, CanMutateAggregate, event

from shared.uk_time import end_of_uk_day, uk_date, uk_day_text

from . import eligibility, spent
from .errors import ConflictsWithState, InvalidCommand, NotEligible, StoreHoldsClearText
from .values import (
    STATUTORY_MAX_PERIOD_DAYS,
    TERMINAL,
    AbsenceReason,
    Booking,
    BreachFailure,
    BreachOutcome,
    ConcernSource,
    ConcernUrgency,
    Conditions,
    ContactOutcome,
    ContactStage,
    Correction,
    DataNotice,
    DataProtectionBasis,
    FirstContactMethod,
    FirstContactOutcome,
    IssuingOfficer,
    LegalBasis,
    MissAwaitingDecision,
    MissReason,
    Offence,
    Offender,
    OffenderIdentity,
    OffendingHistory,
    OpenConcern,
    PanelCaseKind,
    Person,
    RecordedBy,
    RescheduleReason,
    RescheduleRequester,
    RiskLevel,
    RiskReviewDecision,
    SafeguardingCategory,
    SessionCancellation,
    Status,
    Victim,
    Workshop,
)

CLOCK_SKEW = timedelta(minutes=5)
CLOSING = ("Completed", "Breached", "Withdrawn")


class LeavesOutAbsentFields:
    """An event whose `optional_fields`, when None, are not stored at all: an event recorded without them holds
    exactly what the same event held before the fields existed (and its history entry reads and hashes as it did),
    while the class default (None) answers for them when read."""

    optional_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.optional_fields:
            if name in self.__dict__ and self.__dict__[name] is None:
                object.__delattr__(self, name)  # events are frozen: only their own construction may do this


class Caution(Aggregate):
    # The shape of the state a snapshot holds. Changing what __init__ or a mutator stores means
    # raising this and adding `upcast_v<n>_v<n+1>(state)`, so snapshots already stored still load;
    # tests/caution_service/integration/test_caution_snapshots.py fails when the shape changes without it.
    class_version = 5

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        raise StoreHoldsClearText("a snapshot from before personal data was sealed")

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """v3 keeps what corrections after closure and a repeated round's own victim contact need (issue 17).
        What a v2 snapshot did not hold is worked out from its entries where they tell it, else left unknown."""
        entries: list[str] = state["entries"]

        def last(*names: str) -> int | None:
            found = [n for n, name in enumerate(entries, 1) if name in names]
            return found[-1] if found else None

        state["strikes"] = []  # nothing could be struck out before v3
        state["pending_miss_entry"] = last("WorkshopMissed") if state.get("pending_miss") is not None else None
        state["miss_at_close"] = None
        state["referred_misses"] = []
        state["closing_entry"] = last(*CLOSING) if state.get("final_status") is not None else None
        # v3: the after-A contact and the A it is measured from are this round's (reset by an accepted excuse).
        state["first_attended_a_at"] = state.get("attended_a_at")
        state["first_attended_a_version"] = state.get("attended_a_version")
        round_began = last("ExcuseDecided") or 0
        contacts = [n for n, name in enumerate(entries, 1) if name == "VictimContacted" and n > round_began]
        if state.get("round", 1) > 1:
            state["contacted_after_a"] = bool(contacts)
        # The round's first contact is its after-A one (an on-completion contact follows it). Its time is not in a
        # v2 snapshot: unknown (None) counts as after A, as it was checked to be when it was recorded.
        state["contact_after_a_entry"] = contacts[0] if contacts and state["contacted_after_a"] else None
        state["contact_after_a_at"] = None

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """v4 keeps the provider's first contact and the coded absence reason of each miss (issue 18). Neither
        could be recorded before v4: no contact, no attempts, no coded reasons."""
        state["first_contacts"] = {}
        state["first_contact_attempts"] = 0
        state["absence_reasons"] = {}

    @staticmethod
    def upcast_v4_v5(state: dict[str, Any]) -> None:
        """v5 keeps the open safeguarding concerns, the current DASH risk and a risk review due (issue 19). None
        could be recorded before v5: no concerns, no review, and the risk is the one the caution was issued with."""
        state["dash_risk"] = state["victim"].dash_risk
        state["concerns_open"] = []
        state["risk_review_due_since"] = None
        state["risk_review_entry"] = None

    class Event(Aggregate.Event):
        """Every caution event: once its own change is made, it is the next entry in the record."""

        public_name: ClassVar[str | None] = None  # where the catalogue's name is not the class name

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.entries.append(event_name(self))

    class Issued(Aggregate.Created):
        """v2: the offender's identity and the offence description are sealed under the offender's data key,
        the victim's details under the victim's (`offender_key`, `victim_key`); v1 held them in clear."""

        public_name: ClassVar[str | None] = "CautionIssued"
        class_version = 2

        police_reference: str
        force: str
        legal_basis: LegalBasis
        offender: Offender
        offence: Offence
        history: OffendingHistory
        victim: Victim
        issuing_officer: IssuingOfficer
        conditions: Conditions
        victim_details_sealed: str | None
        offender_key: str
        victim_key: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

        @property
        def period_ends_on(self) -> date:
            return self.conditions.period_ends_on(self.occurred_at.date())

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            raise StoreHoldsClearText("a caution issued before personal data was sealed")

    class WorkshopRescheduled(LeavesOutAbsentFields, Aggregate.Event):
        """`requested_by` and `reason_code` (issue 18): who asked for the move, and why, coded. Not stored when not
        given, so reschedules recorded before them, and those made without them, keep exactly their content."""

        optional_fields = ("requested_by", "reason_code")
        workshop: Workshop
        booking: Booking
        previous: Booking
        reason: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        requested_by: RescheduleRequester | None = None
        reason_code: RescheduleReason | None = None

    class WorkshopBookingCancelled(Aggregate.Event):
        """The session a workshop was booked into was cancelled (issue 18): the booking is cleared, and nothing is
        counted against the offender."""

        workshop: Workshop
        session_id: str
        reason: SessionCancellation
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    class FirstContactRecorded(Aggregate.Event):
        """The provider's first contact with the offender, or an attempt at it (issue 18)."""

        method: FirstContactMethod
        outcome: FirstContactOutcome
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    class WorkshopMissed(LeavesOutAbsentFields, Aggregate.Event):
        """v1 said only `late: bool`; v2 names the reason (late, absent, left early). `absence_reason` and
        `absence_detail` (issue 18, the detail sealed under the offender's key) are not stored when not given."""

        class_version = 2
        optional_fields = ("absence_reason", "absence_detail")
        workshop: Workshop
        reason: MissReason
        note: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        absence_reason: AbsenceReason | None = None
        absence_detail: str | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            late = state.pop("late", False)
            state["reason"] = MissReason.ARRIVED_LATE if late else MissReason.DID_NOT_ATTEND

    class ExcuseDecided(LeavesOutAbsentFields, Aggregate.Event):
        """`absence_reason` (issue 18): the coded reason the police decided on. Not stored when there is none."""

        optional_fields = ("absence_reason",)
        workshop: Workshop
        accepted: bool
        reason: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        absence_reason: AbsenceReason | None = None

    class WorkshopAAttended(Aggregate.Event):
        """`reason_not_on_booked_day` (issue 17): why the attendance was on another day than the booked session's.
        Absent from events recorded before it, which keep exactly their old content."""

        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        reason_not_on_booked_day: str | None = None

    class WorkshopBAttended(Aggregate.Event):
        """As WorkshopAAttended."""

        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        reason_not_on_booked_day: str | None = None

    class Breached(Aggregate.Event):
        """`failure` (issue 17): the failure the decision rests on. Absent from breaches recorded before it."""

        outcome: BreachOutcome
        reason: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        failure: BreachFailure | None = None

    class EntryCorrected(Aggregate.Event):
        """`recorded_in_error` (issue 17): the corrected entry is struck out. Absent from corrections before it."""

        corrects_version: int
        corrected_type: str
        reason: str
        corrected_occurred_at: datetime | None
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy
        recorded_in_error: bool = False

    class SafeguardingConcernRaised(Aggregate.Event):
        """A safeguarding concern (issue 19), raised by the victim contact service (on its own, or with a contact)
        or by the provider from a session (`session_id`). `details_sealed` is what was said, sealed under the
        victim's key: only the victim contact role opens it. The concern is known by this entry's number."""

        category: SafeguardingCategory
        urgency: ConcernUrgency
        source: ConcernSource
        session_id: str | None
        details_sealed: str | None
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    class SafeguardingConcernAcknowledged(Aggregate.Event):
        """The police acknowledged a concern (`concern`: the raising entry's number), saying what they did."""

        concern: int
        action_taken: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    class RiskReassessed(Aggregate.Event):
        """The victim's DASH risk re-assessed during the caution; `previous` is the level it replaces."""

        dash_risk: RiskLevel
        previous: RiskLevel
        reason: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    class RiskReviewDecided(Aggregate.Event):
        """The police's review of the caution after the risk rose to high: continue, vary or withdraw."""

        decision: RiskReviewDecision
        reason: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    class CaseReviewedByPanel(Aggregate.Event):
        """The scrutiny panel's review of this caution (`panel_id` names the review, which may cover many)."""

        panel_id: str
        held_on: date
        members: list[str]
        kind: PanelCaseKind
        decision: str
        actions: list[str]
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

    @event(Issued)
    def __init__(
        self,
        police_reference: str,
        force: str,
        legal_basis: LegalBasis,
        offender: Offender,
        offence: Offence,
        history: OffendingHistory,
        victim: Victim,
        issuing_officer: IssuingOfficer,
        conditions: Conditions,
        victim_details_sealed: str | None,
        offender_key: str,
        victim_key: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.police_reference = police_reference
        self.force = force
        self.legal_basis = legal_basis
        self.offender = offender
        self.offence = offence
        self.history = history
        self.victim = victim
        self.issuing_officer = issuing_officer
        self.conditions = conditions
        self.victim_details_sealed = victim_details_sealed
        self.offender_key = offender_key
        self.victim_key = victim_key
        # Keyed by Person value: a snapshot is JSON, whose object keys are text.
        self.erased: dict[str, DataNotice] = {}
        self.restricted: dict[str, DataNotice] = {}
        self.issued_at = occurred_at
        self.period_ends_on = conditions.period_ends_on(occurred_at.date())
        self.entries: list[str] = []  # each event's name, in order: entry n is entries[n - 1]
        self.round = 1
        self.booking_a: Booking | None = None
        self.booking_b: Booking | None = None
        self.attended_a_at: datetime | None = None
        self.attended_b_at: datetime | None = None
        self.attended_a_version: int | None = None
        self.attended_b_version: int | None = None
        self.first_attended_a_at: datetime | None = None
        self.first_attended_a_version: int | None = None
        self.first_booked_at: datetime | None = None
        self.pending_miss: Workshop | None = None
        self.pending_miss_entry: int | None = None
        self.miss_at_close: MissAwaitingDecision | None = None  # brought back if the closing entry is struck
        self.breach_referred = False
        self.referred_misses: list[int] = []  # the misses whose excuse was rejected: what a referral rests on
        self.deadline_passed = False
        self.contacted_after_a = False
        self.contact_after_a_at: datetime | None = None
        self.contact_after_a_entry: int | None = None
        self.contacted_on_completion = False
        self.safeguarding_concern = False
        self.final_status: Status | None = None
        self.final_at: datetime | None = None
        self.closing_entry: int | None = None
        self.breach_outcome: BreachOutcome | None = None
        self.strikes: list[Correction] = []  # the corrections that struck an entry out as recorded in error
        # v4 (issue 18). Keyed by entry number as text (a snapshot is JSON): what a correction re-times or strikes.
        self.first_contacts: dict[str, datetime] = {}  # the recorded first contacts that made contact, when
        self.first_contact_attempts = 0  # every first contact recorded, whatever its outcome
        self.absence_reasons: dict[str, AbsenceReason] = {}  # each miss's coded absence reason, by its entry
        # v5 (issue 19). The issue's risk stays on the CautionIssued entry; this one follows re-assessments.
        self.dash_risk: RiskLevel = victim.dash_risk
        self.concerns_open: list[OpenConcern] = []  # the concerns the police have not acknowledged yet
        self.risk_review_due_since: datetime | None = None  # a rise to high awaits the police's review since then
        self.risk_review_entry: int | None = None  # the re-assessment that opened it (a re-timing moves it)

    # ----- issuing -----------------------------------------------------------------

    @classmethod
    def issue(
        cls,
        *,
        police_reference: str,
        force: str,
        legal_basis: LegalBasis,
        offender: Offender,
        identity: OffenderIdentity,
        offence: Offence,
        history: OffendingHistory,
        victim: Victim,
        issuing_officer: IssuingOfficer,
        conditions: Conditions,
        victim_details_sealed: str | None,
        offender_key: str,
        victim_key: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> Caution:
        """`identity` is the offender's identity in clear, for the rules only: the record keeps it as the caller
        sealed it in `offender` (under `offender_key`), with the offence description and the victim's details."""
        _require_not_future(occurred_at, recorded_at)
        _require_period_within_statutory_maximum(conditions.caution_period_days)
        application = eligibility.Application(
            identity, offence, history, victim, issuing_officer, occurred_at.date()
        )
        failures = eligibility.failed_rules(application)
        if failures:
            raise NotEligible(failures)
        return cls(
            police_reference=police_reference,
            force=force,
            legal_basis=legal_basis,
            offender=offender,
            offence=offence,
            history=history,
            victim=victim,
            issuing_officer=issuing_officer,
            conditions=conditions,
            victim_details_sealed=victim_details_sealed,
            offender_key=offender_key,
            victim_key=victim_key,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            recorded_by=recorded_by,
        )

    # ----- derived facts -----------------------------------------------------------

    @property
    def status(self) -> Status:
        if self.final_status is not None:
            return self.final_status
        if self.pending_miss is not None:
            return Status.EXCUSE_DECISION_PENDING
        if self.breach_referred:
            return Status.BREACH_REFERRED
        if self.deadline_passed:
            return Status.DEADLINE_PASSED
        return Status.ACTIVE

    @property
    def spent_on(self) -> date:
        return spent.spent_on(self)

    def key_of(self, person: Person) -> str:
        """The id of the data key the person's fields in this caution are sealed under."""
        return self.offender_key if person is Person.OFFENDER else self.victim_key

    def is_erased(self, person: Person) -> bool:
        return person.value in self.erased

    def is_restricted(self, person: Person) -> bool:
        return person.value in self.restricted

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL

    def booking(self, workshop: Workshop) -> Booking | None:
        return self.booking_a if workshop is Workshop.A else self.booking_b

    def attended_at(self, workshop: Workshop) -> datetime | None:
        return self.attended_a_at if workshop is Workshop.A else self.attended_b_at

    def earliest_day_for_b(self) -> date | None:
        """The first UK day a workshop B session may be on: the conditions' gap after A's UK day (A attended, else
        A's booked session). None while A is not booked. Booking B is checked against this, and the provider
        worklist gives it as the day to book from, so the two cannot disagree; in UK days, as the attendance and
        the verdict count the gap."""
        a_time = self.attended_a_at or (self.booking_a.session_at if self.booking_a else None)
        if a_time is None:
            return None
        return uk_date(a_time) + timedelta(days=self.conditions.min_days_between_workshops)

    @property
    def conditions_met(self) -> bool:
        return not self.unmet_conditions()

    @property
    def contacted_after_this_a(self) -> bool:
        """The victim was contacted after this round's workshop A, as the (corrected) times now say."""
        if not self.contacted_after_a:
            return False
        a, contact = self.attended_a_at, self.contact_after_a_at
        return a is None or contact is None or contact >= a

    @property
    def conditions_met_by_facts(self) -> bool:
        """Every condition is met by the facts as corrected: what a completion must still rest on."""
        return not self.unmet_by_facts()

    def unmet_by_facts(self) -> list[str]:
        """What the facts, as corrected, leave unmet: the conditions, and the rules a completion was checked
        against when it was recorded (28 days from A to B, both inside the period), which a corrected time
        can break after the fact."""
        missing = self.unmet_conditions()
        a, b = self.attended_a_at, self.attended_b_at
        if a is not None and b is not None:
            gap = (uk_date(b) - uk_date(a)).days
            if gap < self.conditions.min_days_between_workshops:
                missing.append(f"workshop B was attended {gap} days after workshop A "
                               f"(at least {self.conditions.min_days_between_workshops} are needed)")
        for workshop, attended in ((Workshop.A, a), (Workshop.B, b)):
            if attended is not None and uk_date(attended) > self.period_ends_on:
                missing.append(f"workshop {workshop.value} was attended after the caution period "
                               f"(it ended on {uk_day_text(self.period_ends_on)})")
        return missing

    def is_struck(self, entry: int) -> bool:
        """The entry was recorded in error and struck out by a later correction."""
        return self.struck_by(entry) is not None

    def struck_by(self, entry: int) -> int | None:
        return next((c.entry for c in self.strikes if c.corrects_entry == entry), None)

    @property
    def open_concerns(self) -> dict[int, tuple[str, str, datetime]]:
        """The safeguarding concerns not yet acknowledged: entry -> (category, urgency, raised at)."""
        return {c.entry: (c.category.value, c.urgency.value, c.raised_at) for c in self.concerns_open}

    @property
    def first_contact_at(self) -> datetime | None:
        """When the provider first made contact with the offender (an attempt with no response is not contact)."""
        return min(self.first_contacts.values(), default=None)

    # ----- first contact -------------------------------------------------------------

    def record_first_contact(
        self,
        method: FirstContactMethod,
        outcome: FirstContactOutcome,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """The provider's contact with the offender, or an attempt at it: the first contact the force's
        `first_contact_days` ask for. Every attempt is recorded, so the provider's efforts are in the record."""
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        self._first_contact_recorded(method, outcome, occurred_at, recorded_at, recorded_by)

    @event(FirstContactRecorded)
    def _first_contact_recorded(
        self,
        method: FirstContactMethod,
        outcome: FirstContactOutcome,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.first_contact_attempts += 1
        if outcome.is_contact:
            self.first_contacts = {**self.first_contacts, str(self._entry_being_recorded()): occurred_at}

    # ----- workshops ---------------------------------------------------------------

    def schedule_workshop(
        self,
        workshop: Workshop,
        booking: Booking,
        reason: str | None,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        requested_by: RescheduleRequester | None = None,
        reason_code: RescheduleReason | None = None,
    ) -> None:
        """Book a workshop, or move its booking (a reschedule, which needs the reason). A reschedule also records who
        asked for it and the coded reason when given; a first booking has neither to record."""
        self._require_open()
        self._require_no_pending_miss()
        self._require_time(occurred_at, recorded_at)
        if self.attended_at(workshop) is not None:
            raise ConflictsWithState(
                "workshop_already_attended", f"Workshop {workshop.value} has already been attended."
            )
        self._require_session_in_period(booking.session_at)
        if workshop is Workshop.B:
            self._require_b_session_after_a(booking.session_at)
        elif self.booking_b is not None and (
            (self.booking_b.session_at.date() - booking.session_at.date()).days
            < self.conditions.min_days_between_workshops
        ):
            raise InvalidCommand(
                "workshop_b_after_gap", "Workshop A would be too close to the booked workshop B; move B first."
            )
        previous = self.booking(workshop)
        if previous is None:
            self._scheduled(workshop, booking, occurred_at, recorded_at, recorded_by)
            return
        if not (reason and reason.strip()):
            raise InvalidCommand(
                "reschedule_needs_reason",
                f"Workshop {workshop.value} is already booked; give the reason for rescheduling.",
            )
        self._rescheduled(workshop, booking, previous, reason, occurred_at, recorded_at, recorded_by,
                          requested_by, reason_code)

    @event("WorkshopScheduled")
    def _scheduled(
        self,
        workshop: Workshop,
        booking: Booking,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self._set_booking(workshop, booking)
        self.first_booked_at = self.first_booked_at or occurred_at

    @event(WorkshopRescheduled)
    def _rescheduled(
        self,
        workshop: Workshop,
        booking: Booking,
        previous: Booking,
        reason: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        requested_by: RescheduleRequester | None = None,
        reason_code: RescheduleReason | None = None,
    ) -> None:
        self._set_booking(workshop, booking)

    def _set_booking(self, workshop: Workshop, booking: Booking | None) -> None:
        if workshop is Workshop.A:
            self.booking_a = booking
        else:
            self.booking_b = booking

    def cancel_booking(
        self,
        workshop: Workshop,
        session_id: str,
        reason: SessionCancellation,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """The session the workshop is booked into was cancelled: the workshop needs booking again, and nothing
        counts against the offender (no miss). Only a booking into that very session, not yet attended, is cleared."""
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        booking = self.booking(workshop)
        if booking is None or booking.session_id != session_id:
            raise ConflictsWithState(
                "booking_in_that_session",
                f"Workshop {workshop.value} is not booked into session {session_id}.",
            )
        if self.attended_at(workshop) is not None:
            raise ConflictsWithState(
                "workshop_already_attended", f"Workshop {workshop.value} has already been attended."
            )
        self._booking_cancelled(workshop, session_id, reason, occurred_at, recorded_at, recorded_by)

    @event(WorkshopBookingCancelled)
    def _booking_cancelled(
        self,
        workshop: Workshop,
        session_id: str,
        reason: SessionCancellation,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self._set_booking(workshop, None)

    def attend_workshop_a(
        self, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
        reason_not_on_booked_day: str | None = None,
    ) -> None:
        self._require_attendable(Workshop.A, occurred_at, recorded_at, reason_not_on_booked_day)
        self._workshop_a_attended(occurred_at, recorded_at, recorded_by, reason_not_on_booked_day)

    @event(WorkshopAAttended)
    def _workshop_a_attended(
        self, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
        reason_not_on_booked_day: str | None = None,
    ) -> None:
        self.attended_a_at = occurred_at
        self.attended_a_version = self._entry_being_recorded()
        if self.first_attended_a_at is None:
            self.first_attended_a_at, self.first_attended_a_version = occurred_at, self.attended_a_version

    def attend_workshop_b(
        self, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
        reason_not_on_booked_day: str | None = None,
    ) -> None:
        self._require_attendable(Workshop.B, occurred_at, recorded_at, reason_not_on_booked_day)
        if self.attended_a_at is None:
            raise ConflictsWithState("workshop_a_first", "Workshop A must be attended before workshop B.")
        self._require_gap_after_a(occurred_at)
        self._workshop_b_attended(occurred_at, recorded_at, recorded_by, reason_not_on_booked_day)

    @event(WorkshopBAttended)
    def _workshop_b_attended(
        self, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
        reason_not_on_booked_day: str | None = None,
    ) -> None:
        self.attended_b_at = occurred_at
        self.attended_b_version = self._entry_being_recorded()

    def miss_workshop(
        self,
        workshop: Workshop,
        reason: MissReason,
        note: str,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        absence_reason: AbsenceReason | None = None,
        absence_detail: str | None = None,
    ) -> None:
        """`absence_reason` is the reason given for the miss, coded, with `absence_detail` (sealed by the caller
        under the offender's key, like `note`) saying what an `other` reason is."""
        self._require_open()
        self._require_no_pending_miss()
        self._require_time(occurred_at, recorded_at)
        self._require_booked_not_attended(workshop)
        booking = self.booking(workshop)
        if booking is not None and occurred_at < booking.session_at - CLOCK_SKEW:
            raise InvalidCommand(
                "miss_after_session_start", "A workshop can be missed only once its session has begun."
            )
        given_detail = bool(absence_detail and absence_detail.strip())
        if absence_reason is AbsenceReason.OTHER and not given_detail:
            raise InvalidCommand("absence_other_needs_detail", "An absence reason of 'other' needs the detail saying "
                                 "what the reason was.")
        if absence_reason is None and given_detail:
            raise InvalidCommand("absence_detail_needs_reason", "Give the coded absence reason the detail is about.")
        self._workshop_missed(
            workshop=workshop, reason=reason, note=note,
            occurred_at=occurred_at, recorded_at=recorded_at, recorded_by=recorded_by,
            absence_reason=absence_reason, absence_detail=absence_detail if given_detail else None,
        )

    @event(WorkshopMissed)
    def _workshop_missed(
        self,
        workshop: Workshop,
        reason: MissReason,
        note: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        absence_reason: AbsenceReason | None = None,
        absence_detail: str | None = None,
    ) -> None:
        self.pending_miss = workshop
        self.pending_miss_entry = self._entry_being_recorded()
        if absence_reason is not None:
            self.absence_reasons = {**self.absence_reasons, str(self.pending_miss_entry): absence_reason}

    @property
    def pending_absence_reason(self) -> AbsenceReason | None:
        """The coded reason given for the miss awaiting an excuse decision, if one was given."""
        if self.pending_miss_entry is None:
            return None
        return self.absence_reasons.get(str(self.pending_miss_entry))

    def decide_excuse(
        self, accepted: bool, reason: str, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
        absence_reason: AbsenceReason | None = None,
    ) -> None:
        """`absence_reason`: the coded reason the decision is on; by default the one given with the miss."""
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        if self.pending_miss is None:
            raise ConflictsWithState("no_missed_workshop", "There is no missed workshop awaiting an excuse decision.")
        self._excuse_decided(self.pending_miss, accepted, reason, occurred_at, recorded_at, recorded_by,
                             absence_reason or self.pending_absence_reason)

    @event(ExcuseDecided)
    def _excuse_decided(
        self,
        workshop: Workshop,
        accepted: bool,
        reason: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        absence_reason: AbsenceReason | None = None,
    ) -> None:
        missed_entry, self.pending_miss, self.pending_miss_entry = self.pending_miss_entry, None, None
        if not accepted:
            self.breach_referred = True
            if missed_entry is not None:
                self.referred_misses = [*self.referred_misses, missed_entry]
            return
        # CARA practice: missing either workshop means attending both again, A then B; and the repeated round
        # needs its own victim contact after the repeated A (DOMAIN.md), so nothing of the old round's A counts.
        self.round += 1
        self.booking_a = self.booking_b = None
        self.attended_a_at = self.attended_b_at = None
        self.attended_a_version = self.attended_b_version = None
        self.first_attended_a_at = self.first_attended_a_version = None
        self.contacted_after_a = False
        self.contact_after_a_at = self.contact_after_a_entry = None

    # ----- victim contact ----------------------------------------------------------

    def contact_victim(
        self,
        stage: ContactStage,
        outcome: ContactOutcome,
        safeguarding_concern: bool,
        details_sealed: str | None,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self._require_time(occurred_at, recorded_at)
        if stage is ContactStage.ON_COMPLETION:
            if self.status is not Status.COMPLETED:
                raise ConflictsWithState(
                    "completion_contact_needs_completion", "The on-completion victim contact needs a completed caution."
                )
            if self.final_at is not None and occurred_at < self.final_at:
                raise InvalidCommand(
                    "completion_contact_after_completion", "The contact cannot precede the completion."
                )
        else:
            self._require_open()
            if self.first_attended_a_at is None:
                again = " again, in this round" if self.round > 1 else ""
                raise ConflictsWithState(
                    "victim_contact_after_workshop_a",
                    f"The victim is contacted after workshop A has been attended{again}.",
                )
            if occurred_at < self.first_attended_a_at:
                raise InvalidCommand("victim_contact_after_workshop_a", "The contact cannot precede workshop A.")
        self._victim_contacted(
            stage, outcome, safeguarding_concern, details_sealed, occurred_at, recorded_at, recorded_by
        )

    @event("VictimContacted")
    def _victim_contacted(
        self,
        stage: ContactStage,
        outcome: ContactOutcome,
        safeguarding_concern: bool,
        details_sealed: str | None,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        if stage is ContactStage.ON_COMPLETION:
            self.contacted_on_completion = True
        elif not self.contacted_after_a:
            self.contacted_after_a = True
            self.contact_after_a_at, self.contact_after_a_entry = occurred_at, self._entry_being_recorded()
        self.safeguarding_concern = self.safeguarding_concern or safeguarding_concern

    # ----- safeguarding and risk (issue 19) ------------------------------------------
    # A concern or a re-assessment may be about a caution already closed: the victim's safety outlasts the caution.

    def raise_safeguarding_concern(
        self,
        category: SafeguardingCategory,
        urgency: ConcernUrgency,
        source: ConcernSource,
        details_sealed: str | None,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        session_id: str | None = None,
    ) -> None:
        """Raise a concern, on an open or a closed caution. One from a session names the session; one raised with
        a victim contact is recorded with that contact, in the same command, just after it."""
        self._require_time(occurred_at, recorded_at)
        session_id = session_id.strip() if session_id and session_id.strip() else None
        if source is ConcernSource.WORKSHOP_SESSION and session_id is None:
            raise InvalidCommand("concern_from_session_needs_session",
                                 "A concern raised from a workshop session names the session.")
        if source is not ConcernSource.WORKSHOP_SESSION and session_id is not None:
            raise InvalidCommand("session_only_for_session_concern",
                                 "Only a concern raised from a workshop session names a session.")
        if source is ConcernSource.VICTIM_CONTACT_ON_CONTACT and self._last_pending_name() != "VictimContacted":
            raise InvalidCommand("concern_on_contact_follows_contact",
                                 "A concern raised on a victim contact is recorded with that contact.")
        self._concern_raised(category, urgency, source, session_id, details_sealed, occurred_at, recorded_at,
                             recorded_by)

    def _last_pending_name(self) -> str | None:
        """The entry recorded last in this command (not yet saved), if any."""
        pending = self.pending_events if hasattr(self, "pending_events") else []
        return event_name(pending[-1]) if pending else None

    @event(SafeguardingConcernRaised)
    def _concern_raised(
        self,
        category: SafeguardingCategory,
        urgency: ConcernUrgency,
        source: ConcernSource,
        session_id: str | None,
        details_sealed: str | None,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.concerns_open = [*self.concerns_open,
                              OpenConcern(self._entry_being_recorded(), category, urgency, occurred_at)]

    def acknowledge_safeguarding_concern(
        self, concern: int, action_taken: str, *, occurred_at: datetime, recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """The police acknowledge a concern (the entry that raised it), saying what they did about it."""
        if not action_taken.strip():
            raise InvalidCommand("action_taken_required", "Say what action was taken on the concern.")
        self._require_time(occurred_at, recorded_at)
        if not 1 <= concern <= len(self.entries) or self.entries[concern - 1] != "SafeguardingConcernRaised":
            raise InvalidCommand("not_a_safeguarding_concern", f"Entry {concern} is not a safeguarding concern.")
        struck_by = self.struck_by(concern)
        if struck_by is not None:
            raise ConflictsWithState("entry_struck_out",
                                     f"Entry {concern} was struck out as recorded in error by entry {struck_by}.")
        raised = next((c for c in self.concerns_open if c.entry == concern), None)
        if raised is None:
            raise ConflictsWithState("concern_already_acknowledged",
                                     f"The concern raised in entry {concern} is already acknowledged.")
        if occurred_at < raised.raised_at:
            raise InvalidCommand("acknowledgement_after_concern",
                                 "The acknowledgement cannot precede the concern it acknowledges.")
        self._concern_acknowledged(concern, action_taken, occurred_at, recorded_at, recorded_by)

    @event(SafeguardingConcernAcknowledged)
    def _concern_acknowledged(
        self, concern: int, action_taken: str, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        self.concerns_open = [c for c in self.concerns_open if c.entry != concern]

    def reassess_risk(
        self, dash_risk: RiskLevel, reason: str, *, occurred_at: datetime, recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """A DASH re-assessment during the caution (the same level again is a re-assessment too). A rise to high
        asks the police to review the caution, from the time of the re-assessment, until they decide."""
        self._require_open()
        self._require_reason(reason)
        self._require_time(occurred_at, recorded_at)
        self.require_not_erased(Person.VICTIM)  # the risk level is the victim's data
        self._risk_reassessed(dash_risk, self.dash_risk, reason, occurred_at, recorded_at, recorded_by)

    @event(RiskReassessed)
    def _risk_reassessed(
        self, dash_risk: RiskLevel, previous: RiskLevel, reason: str, occurred_at: datetime, recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.dash_risk = dash_risk
        if dash_risk is RiskLevel.HIGH and previous is not RiskLevel.HIGH and self.risk_review_due_since is None:
            self.risk_review_due_since, self.risk_review_entry = occurred_at, self._entry_being_recorded()

    def decide_risk_review(
        self, decision: RiskReviewDecision, reason: str, *, occurred_at: datetime, recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """The police's review after the risk rose to high. `vary` and `withdraw` say what they will do: the
        variation or withdrawal is then recorded by its own command."""
        self._require_reason(reason)
        self._require_time(occurred_at, recorded_at)
        if self.risk_review_due_since is None:
            raise ConflictsWithState("no_risk_review_due",
                                     "No review is due: the victim's risk has not risen to high since the last one.")
        if occurred_at < self.risk_review_due_since:
            raise InvalidCommand("review_after_risk_rise", "The review cannot precede the rise it reviews.")
        self._risk_review_decided(decision, reason, occurred_at, recorded_at, recorded_by)

    @event(RiskReviewDecided)
    def _risk_review_decided(
        self, decision: RiskReviewDecision, reason: str, occurred_at: datetime, recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.risk_review_due_since = self.risk_review_entry = None

    def record_panel_review(
        self,
        panel_id: str,
        held_on: date,
        members: list[str],
        kind: PanelCaseKind,
        decision: str,
        actions: list[str],
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """The scrutiny panel's review of this caution, open or closed: the panel (its members by reference), why
        the case was before it, its decision and the actions it asked for."""
        self._require_time(occurred_at, recorded_at)
        if not panel_id.strip():
            raise InvalidCommand("panel_id_required", "Name the panel review.")
        members = [m.strip() for m in members if m.strip()]
        if not members:
            raise InvalidCommand("panel_needs_members", "Name the panel's members (by reference).")
        if not decision.strip():
            raise InvalidCommand("panel_decision_required", "Give the panel's decision on the case.")
        if held_on > uk_date(recorded_at):
            raise InvalidCommand("not_in_future", "The panel's date is in the future.")
        if held_on < uk_date(self.issued_at):
            raise InvalidCommand("not_before_caution", "The panel's date is before the caution was issued.")
        self._panel_reviewed(panel_id.strip(), held_on, members, kind, decision,
                             [a.strip() for a in actions if a.strip()], occurred_at, recorded_at, recorded_by)

    @event(CaseReviewedByPanel)
    def _panel_reviewed(
        self, panel_id: str, held_on: date, members: list[str], kind: PanelCaseKind, decision: str,
        actions: list[str], occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        pass  # a record for the panel and the court; it changes nothing the caution decides

    # ----- police decisions --------------------------------------------------------

    def vary_conditions(
        self,
        period_ends_on: date,
        reason: str,
        authorised_by: str,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        issued_on = self.issued_at.date()
        _require_period_within_statutory_maximum((period_ends_on - issued_on).days)
        if period_ends_on <= issued_on:
            raise InvalidCommand("period_must_end_after_issue", "The caution period must end after the caution date.")
        for attended in (self.attended_a_at, self.attended_b_at):
            if attended is not None and attended.date() > period_ends_on:
                raise InvalidCommand(
                    "variation_would_exclude_attendance", "The new period would end before an attended workshop."
                )
        for workshop in Workshop:
            booking = self.booking(workshop)
            if booking and self.attended_at(workshop) is None and booking.session_at.date() > period_ends_on:
                raise InvalidCommand(
                    "variation_would_exclude_booking",
                    f"Workshop {workshop.value} is booked after the new end; reschedule it first.",
                )
        today = uk_date(recorded_at)
        if period_ends_on < today:
            raise InvalidCommand(
                "variation_cannot_end_the_period_in_the_past",
                f"A variation made on {uk_day_text(today)} cannot end the caution period before that day "
                f"(it would end on {uk_day_text(period_ends_on)}).",
            )
        self._conditions_varied(
            self.period_ends_on, period_ends_on, reason, authorised_by, occurred_at, recorded_at, recorded_by
        )

    @event("ConditionsVaried")
    def _conditions_varied(
        self,
        previous_period_ends_on: date,
        period_ends_on: date,
        reason: str,
        authorised_by: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.period_ends_on = period_ends_on
        if uk_date(recorded_at) <= period_ends_on:
            self.deadline_passed = False

    def record_deadline_passed(self, *, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        """The period ended unmet: recorded once its last UK day is over, as having happened when it ended
        (`end_of_uk_day(period_ends_on)`), whenever the monitor noticed. Events recorded before this rule carry
        the time they were noticed; they keep it (the integrity chain covers it)."""
        self._require_open()
        if self.deadline_passed:
            raise ConflictsWithState("deadline_already_recorded", "The passing of the deadline is already recorded.")
        ended_at = end_of_uk_day(self.period_ends_on).astimezone(UTC)
        if recorded_at < ended_at:
            raise ConflictsWithState("deadline_not_passed", "The caution period has not ended yet.")
        self._deadline_passed(self.period_ends_on, ended_at, recorded_at, recorded_by)

    @event("ComplianceDeadlinePassed")
    def _deadline_passed(
        self, period_ended_on: date, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        self.deadline_passed = True

    def breach(
        self,
        outcome: BreachOutcome,
        reason: str,
        *,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        failure = self.failure_on(uk_date(occurred_at))
        if failure is None:
            raise ConflictsWithState(
                "breach_needs_a_failure",
                "A breach decision needs a failure to rest on, and there is none: no excuse has been rejected, and "
                f"the caution period (ending {uk_day_text(self.period_ends_on)}) has not ended without completion.",
            )
        self._breached(outcome, reason, occurred_at, recorded_at, recorded_by, failure)

    def failure_on(self, day: date) -> BreachFailure | None:
        """The failure a breach decided on `day` (a UK date) would rest on: a rejected excuse (a breach referral),
        else the period's end without completion (recorded, or past by that day); None when there is none."""
        if self.breach_referred:
            return BreachFailure.EXCUSE_REJECTED
        if self.deadline_passed or (day > self.period_ends_on and not self.conditions_met):
            return BreachFailure.PERIOD_ENDED
        return None

    @event(Breached)
    def _breached(
        self,
        outcome: BreachOutcome,
        reason: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        failure: BreachFailure | None = None,
    ) -> None:
        self.final_status, self.final_at, self.breach_outcome = Status.BREACHED, occurred_at, outcome
        self._close()

    def _close(self) -> None:
        """In a closing mutator: the entry that closes the caution, and a miss still awaiting a decision, which
        re-opening (the closing entry struck out as recorded in error) brings back."""
        self.closing_entry = self._entry_being_recorded()
        if self.pending_miss is not None and self.pending_miss_entry is not None:
            self.miss_at_close = MissAwaitingDecision(self.pending_miss, self.pending_miss_entry)
        self.pending_miss = self.pending_miss_entry = None

    def complete(self, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        missing = self.unmet_conditions()
        if missing:
            raise ConflictsWithState("conditions_not_met", "Not every condition is met: " + "; ".join(missing) + ".")
        assert self.attended_b_at is not None  # implied by unmet_conditions() being empty
        if occurred_at < self.attended_b_at:
            raise InvalidCommand("completion_after_workshop_b", "Completion cannot precede workshop B.")
        self._completed(occurred_at, recorded_at, recorded_by)

    def unmet_conditions(self) -> list[str]:
        missing = []
        if self.pending_miss is not None:
            missing.append("a missed workshop awaits an excuse decision")
        if self.attended_a_at is None:
            missing.append("workshop A not attended")
        if self.attended_b_at is None:
            missing.append("workshop B not attended")
        if not self.contacted_after_this_a:
            missing.append("victim not contacted after workshop A")
        return missing

    @event("Completed")
    def _completed(self, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.final_status, self.final_at = Status.COMPLETED, occurred_at
        self.closing_entry = self._entry_being_recorded()

    def withdraw(self, reason: str, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        self._withdrawn(reason, occurred_at, recorded_at, recorded_by)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.final_status, self.final_at = Status.WITHDRAWN, occurred_at
        self._close()

    # ----- personal data (Data Protection Act 2018 Part 3) ----------------------------
    # Allowed in any state, closed cautions included: the law's duties outlast the caution.

    def erase_personal_data(
        self, person: Person, reason: str, legal_basis: DataProtectionBasis,
        *, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        """Erase the person's data (s.47): their data key is destroyed when this is recorded, so the sealed
        fields stay where they are, in the chain, and can never be opened again."""
        self.require_not_erased(person)
        self._require_reason(reason)
        self._personal_data_erased(person, self.key_of(person), reason, legal_basis, recorded_at, recorded_at,
                                   recorded_by)

    @event("PersonalDataErased")
    def _personal_data_erased(
        self, person: Person, key_id: str, reason: str, legal_basis: DataProtectionBasis,
        occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        self.erased[person.value] = DataNotice(occurred_at.date(), reason, legal_basis)
        self.restricted.pop(person.value, None)

    def restrict_processing(
        self, person: Person, reason: str, legal_basis: DataProtectionBasis,
        *, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        """Restrict processing (s.47(2)-(4)): the data is kept but shown to no one until the restriction is lifted."""
        self.require_not_erased(person)
        self._require_reason(reason)
        if person.value in self.restricted:
            raise ConflictsWithState("already_restricted", f"The {person.value}'s data is already restricted.")
        self._processing_restricted(person, reason, legal_basis, recorded_at, recorded_at, recorded_by)

    @event("ProcessingRestricted")
    def _processing_restricted(
        self, person: Person, reason: str, legal_basis: DataProtectionBasis,
        occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        self.restricted[person.value] = DataNotice(occurred_at.date(), reason, legal_basis)

    def lift_restriction(self, person: Person, reason: str, *, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self._require_reason(reason)
        if person.value not in self.restricted:
            raise ConflictsWithState("not_restricted", f"The {person.value}'s data is not restricted.")
        self._restriction_lifted(person, reason, recorded_at, recorded_at, recorded_by)

    @event("RestrictionLifted")
    def _restriction_lifted(
        self, person: Person, reason: str, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        self.restricted.pop(person.value, None)

    def rectify_personal_data(
        self, person: Person, corrected: list[str], sealed: str, reason: str,
        *, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        """Correct the person's data (s.46): `sealed` replaces what was held (the offender's identity, or the
        victim's contact details), sealed under the same person's key; the old seal stays in the record."""
        self.require_not_erased(person)
        self._require_reason(reason)
        if not corrected:
            raise InvalidCommand("nothing_to_rectify", "Name at least one field to correct.")
        self._personal_data_rectified(person, sorted(corrected), sealed, reason, recorded_at, recorded_at,
                                      recorded_by)

    @event("PersonalDataRectified")
    def _personal_data_rectified(
        self, person: Person, corrected: list[str], sealed: str, reason: str,
        occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy,
    ) -> None:
        if person is Person.OFFENDER:
            self.offender = Offender(self.offender.reference, sealed)
        else:
            self.victim_details_sealed = sealed

    def require_not_erased(self, person: Person) -> None:
        """Nothing more is sealed under, or opened with, an erased person's key."""
        if person.value in self.erased:
            notice = self.erased[person.value]
            raise ConflictsWithState("personal_data_erased",
                                     f"The {person.value}'s personal data was erased on {notice.on.isoformat()}.")

    @staticmethod
    def _require_reason(reason: str) -> None:
        if not reason.strip():
            raise InvalidCommand("reason_required", "Give the reason.")

    # ----- corrections ---------------------------------------------------------------
    # A correction is a new entry that points at the one it corrects; nothing is edited or deleted. It re-times an
    # entry (`corrected_occurred_at`) or strikes it out as recorded in error, and the state is decided again from
    # the facts as corrected. On a closed caution only the police may correct, with the reason (errors found at
    # court, DOMAIN.md): the truth must be recordable even where it undoes the completion.

    def correct(
        self,
        corrects_version: int,
        reason: str,
        corrected_occurred_at: datetime | None,
        *,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        recorded_in_error: bool = False,
    ) -> None:
        """Record a correction of an earlier entry; the original stays in the record."""
        self._require_reason(reason)
        if not self.is_open and recorded_by.role != "police":
            raise ConflictsWithState(
                "caution_is_closed",
                f"The caution is {self.status.value}; only the police may correct it now, giving the reason.",
            )
        if not 1 <= corrects_version <= len(self.entries):
            raise InvalidCommand("corrected_entry_must_exist", f"There is no entry {corrects_version} to correct.")
        corrected_type = self.entries[corrects_version - 1]
        if corrected_type == "EntryCorrected":
            raise InvalidCommand("correct_the_original", "Correct the original entry, not a correction.")
        struck_by = self.struck_by(corrects_version)
        if struck_by is not None:
            raise ConflictsWithState(
                "entry_struck_out",
                f"Entry {corrects_version} was struck out as recorded in error by entry {struck_by}.",
            )
        if recorded_in_error:
            if corrected_occurred_at is not None:
                raise InvalidCommand(
                    "strike_or_retime", "An entry recorded in error is struck out; it takes no corrected time."
                )
            self._check_strike(corrects_version, corrected_type, recorded_by)
        elif corrected_occurred_at is not None:
            self._require_time(corrected_occurred_at, recorded_at)
            if self.is_open:  # a closed caution takes the corrected time as it is, and is judged on it
                self._check_attendance_correction(corrects_version, corrected_occurred_at)
        self._corrected(
            corrects_version, corrected_type, reason, corrected_occurred_at, recorded_at, recorded_at, recorded_by,
            recorded_in_error,
        )

    def _check_attendance_correction(self, version: int, when: datetime) -> None:
        if when.date() > self.period_ends_on:
            raise InvalidCommand("workshop_inside_caution_period", "The corrected time is after the caution period.")
        if version == self.attended_b_version and self.attended_a_at is not None:
            self._require_gap_after_a(when)
        if version == self.attended_a_version and self.attended_b_at is not None:
            gap = (uk_date(self.attended_b_at) - uk_date(when)).days
            if gap < self.conditions.min_days_between_workshops:
                raise InvalidCommand("workshop_b_after_gap", "The corrected time would put workshop A too close to B.")

    def _check_strike(self, entry: int, kind: str, recorded_by: RecordedBy) -> None:
        """Refuse a strike the state cannot be decided again after, naming why; or one that would leave a later
        entry resting on nothing, naming that entry (strike it first)."""
        if kind == "SafeguardingConcernRaised":
            self._check_concern_strike(entry, recorded_by)
            return
        if kind in CLOSING:
            if entry != self.closing_entry:
                raise InvalidCommand("strike_cannot_be_redecided",
                                     f"Entry {entry} ({kind}) cannot be struck out: it does not close the caution.")
            return  # the caution re-opens to the state the other facts give
        if kind == "WorkshopAAttended":
            if entry == self.attended_a_version and self.attended_b_version is not None:
                raise _rests_on(entry, self.attended_b_version, "WorkshopBAttended")
            return
        if kind == "WorkshopBAttended":
            if entry == self.attended_b_version and self.status is Status.COMPLETED:
                raise _rests_on(entry, self.closing_entry, "Completed")
            return
        if kind == "WorkshopMissed":
            self._check_miss_strike(entry)
            return
        if kind == "FirstContactRecorded":
            return  # the first contact is then the earliest of the others, if any
        if kind == "VictimContacted" and entry == self.contact_after_a_entry and not self.safeguarding_concern:
            if self.status is Status.COMPLETED:
                raise _rests_on(entry, self.closing_entry, "Completed")
            return  # the round needs its contact after workshop A again
        raise InvalidCommand("strike_cannot_be_redecided", f"Entry {entry} ({kind}) cannot be struck out: "
                             + _UNSTRIKABLE.get(kind, "nothing the caution rests on can be decided again without it."))

    def _check_concern_strike(self, entry: int, recorded_by: RecordedBy) -> None:
        """A concern raised in error may be struck by the police, whom it was raised to, while unacknowledged: that
        closes it. Once acknowledged, the police acted on it: it stays."""
        if not any(c.entry == entry for c in self.concerns_open):
            raise InvalidCommand(
                "strike_cannot_be_redecided", f"Entry {entry} (SafeguardingConcernRaised) cannot be struck out: the "
                "police acknowledged it and acted on it; a concern raised in error is said so in its acknowledgement.")
        if recorded_by.role != "police":
            raise InvalidCommand("concern_struck_by_police", f"Entry {entry} (SafeguardingConcernRaised) can be "
                                 "struck out by the police alone: the concern was raised to them.")

    def _check_miss_strike(self, entry: int) -> None:
        if entry == self.pending_miss_entry or (self.miss_at_close is not None and entry == self.miss_at_close.entry):
            return  # it awaits a decision: striking it removes the pending miss
        if entry in self.referred_misses:
            if self.status is Status.BREACHED and len(self.referred_misses) == 1:
                raise _rests_on(entry, self.closing_entry, "Breached")
            return  # the breach referral resting on it falls with it
        raise InvalidCommand(
            "strike_cannot_be_redecided",
            f"Entry {entry} (WorkshopMissed) cannot be struck out: its excuse was accepted and both workshops "
            "started again; the round that decision set aside cannot be restored by a correction.",
        )

    @event(EntryCorrected)
    def _corrected(
        self,
        corrects_version: int,
        corrected_type: str,
        reason: str,
        corrected_occurred_at: datetime | None,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
        recorded_in_error: bool = False,
    ) -> None:
        if recorded_in_error:
            self.strikes = [*self.strikes, Correction(
                self._entry_being_recorded(), corrects_version, corrected_type, reason, True, None)]
            self._strike(corrects_version, corrected_type)
            return
        if corrected_occurred_at is not None:
            if corrects_version == self.attended_a_version:
                self.attended_a_at = corrected_occurred_at
            elif corrects_version == self.attended_b_version:
                self.attended_b_at = corrected_occurred_at
            if corrects_version == self.first_attended_a_version:
                self.first_attended_a_at = corrected_occurred_at  # the after-A contact is measured from it
            if corrects_version == self.contact_after_a_entry:
                self.contact_after_a_at = corrected_occurred_at
            if corrects_version == self.closing_entry:
                self.final_at = corrected_occurred_at
            if str(corrects_version) in self.first_contacts:
                self.first_contacts = {**self.first_contacts, str(corrects_version): corrected_occurred_at}
            if any(c.entry == corrects_version for c in self.concerns_open):  # its acknowledgement is due that day
                self.concerns_open = [replace(c, raised_at=corrected_occurred_at) if c.entry == corrects_version else c
                                      for c in self.concerns_open]
            if corrects_version == self.risk_review_entry:
                self.risk_review_due_since = corrected_occurred_at

    def _strike(self, entry: int, kind: str) -> None:
        """The state as if the entry had never been recorded (only for the strikes `_check_strike` allows)."""
        if kind in CLOSING and entry == self.closing_entry:
            self._reopen()
        elif kind == "WorkshopAAttended" and entry == self.attended_a_version:
            self.attended_a_at = self.attended_a_version = None
            self.first_attended_a_at = self.first_attended_a_version = None
            # the contact "after workshop A" was after an A that did not happen: it does not count
            self.contacted_after_a = False
            self.contact_after_a_at = self.contact_after_a_entry = None
        elif kind == "WorkshopBAttended" and entry == self.attended_b_version:
            self.attended_b_at = self.attended_b_version = None
        elif kind == "VictimContacted" and entry == self.contact_after_a_entry:
            self.contacted_after_a = False
            self.contact_after_a_at = self.contact_after_a_entry = None
        elif kind == "SafeguardingConcernRaised":
            self.concerns_open = [c for c in self.concerns_open if c.entry != entry]
        elif kind == "FirstContactRecorded":
            self.first_contact_attempts -= 1
            self.first_contacts = {e: at for e, at in self.first_contacts.items() if e != str(entry)}
        elif kind == "WorkshopMissed":
            if entry == self.pending_miss_entry:
                self.pending_miss = self.pending_miss_entry = None
            elif self.miss_at_close is not None and entry == self.miss_at_close.entry:
                self.miss_at_close = None
            elif entry in self.referred_misses:
                self.referred_misses = [e for e in self.referred_misses if e != entry]
                self.breach_referred = bool(self.referred_misses)
        # an attendance of an earlier round: that round was already set aside by the accepted excuse

    def _reopen(self) -> None:
        if self.final_status is Status.COMPLETED:
            self.contacted_on_completion = False  # a contact "on completion" of a completion that did not happen
        self.final_status = self.final_at = self.breach_outcome = self.closing_entry = None
        if self.miss_at_close is not None:
            self.pending_miss, self.pending_miss_entry = self.miss_at_close.workshop, self.miss_at_close.entry
            self.miss_at_close = None

    def _entry_being_recorded(self) -> int:
        """In a mutator: the entry number its event takes (the base event appends it once the mutator returns)."""
        return len(self.entries) + 1

    # ----- guards ----------------------------------------------------------------------

    def _require_open(self) -> None:
        if not self.is_open:
            raise ConflictsWithState(
                "caution_is_closed", f"The caution is {self.status.value}; nothing more can be recorded."
            )

    def _require_no_pending_miss(self) -> None:
        if self.pending_miss is not None:
            raise ConflictsWithState(
                "excuse_decision_pending",
                f"Workshop {self.pending_miss.value} was missed; the police must decide on the excuse first.",
            )

    def _require_time(self, occurred_at: datetime, recorded_at: datetime) -> None:
        _require_not_future(occurred_at, recorded_at)
        if occurred_at < self.issued_at:
            raise InvalidCommand("not_before_caution", "The time given is before the caution was issued.")

    def _require_session_in_period(self, session_at: datetime) -> None:
        if not self.issued_at.date() <= session_at.date() <= self.period_ends_on:
            raise InvalidCommand(
                "workshop_inside_caution_period",
                f"The session must fall inside the caution period ({self.issued_at.date()} to {self.period_ends_on}).",
            )

    def _require_b_session_after_a(self, session_at: datetime) -> None:
        earliest = self.earliest_day_for_b()
        if earliest is None:
            raise ConflictsWithState("workshop_a_first", "Book workshop A before workshop B.")
        if uk_date(session_at) < earliest:
            raise InvalidCommand(
                "workshop_b_after_gap",
                f"Workshop B must be at least {self.conditions.min_days_between_workshops} days after workshop A.",
            )

    def _require_booked_not_attended(self, workshop: Workshop) -> None:
        if self.booking(workshop) is None:
            raise ConflictsWithState("workshop_not_booked", f"Workshop {workshop.value} has not been booked.")
        if self.attended_at(workshop) is not None:
            raise ConflictsWithState(
                "workshop_already_attended", f"Workshop {workshop.value} has already been attended."
            )

    def _require_attendable(
        self, workshop: Workshop, occurred_at: datetime, recorded_at: datetime, reason_not_on_booked_day: str | None,
    ) -> None:
        self._require_open()
        self._require_no_pending_miss()
        self._require_time(occurred_at, recorded_at)
        self._require_booked_not_attended(workshop)
        if occurred_at.date() > self.period_ends_on:
            raise InvalidCommand(
                "workshop_inside_caution_period", f"The caution period ended on {self.period_ends_on}."
            )
        booking = self.booking(workshop)
        assert booking is not None  # _require_booked_not_attended
        booked_on, attended_on = uk_date(booking.session_at), uk_date(occurred_at)
        if attended_on != booked_on and not (reason_not_on_booked_day and reason_not_on_booked_day.strip()):
            raise InvalidCommand(
                "attendance_on_the_booked_day",
                f"Workshop {workshop.value} is booked for {uk_day_text(booked_on)}; an attendance on "
                f"{uk_day_text(attended_on)} needs the reason it was not on the booked session's day.",
            )

    def _require_gap_after_a(self, b_time: datetime) -> None:
        assert self.attended_a_at is not None
        gap = (uk_date(b_time) - uk_date(self.attended_a_at)).days
        if gap < self.conditions.min_days_between_workshops:
            raise InvalidCommand(
                "workshop_b_after_gap",
                f"Workshop B must be at least {self.conditions.min_days_between_workshops} days after workshop A "
                f"(it was {gap}).",
            )


_UNSTRIKABLE = {
    "CautionIssued": "a caution issued in error is withdrawn, not struck out.",
    "WorkshopScheduled": "a booking made in error is moved (rescheduled) or left unattended, not struck out.",
    "WorkshopRescheduled": "a booking made in error is moved again, not struck out.",
    "WorkshopBookingCancelled": "the session's cancellation stands; the workshop is booked again instead.",
    "ExcuseDecided": "a police decision is not a fact recorded in error; strike out the miss it decided on instead "
                     "(a rejected excuse's referral falls with it).",
    "VictimContacted": "only this round's contact after workshop A can be, and only while no safeguarding concern "
                       "has been raised (a concern, once raised, stays with the police who acted on it).",
    "ConditionsVaried": "vary the conditions again, with the reason.",
    "ComplianceDeadlinePassed": "the caution period's end is a fact of the calendar; a variation moves the period.",
    "PersonalDataErased": "the person's data key is destroyed; an erasure cannot be undone.",
    "ProcessingRestricted": "lift the restriction instead, with the reason.",
    "RestrictionLifted": "restrict processing again instead, with the reason.",
    "PersonalDataRectified": "rectify the data again instead, with the reason.",
    "SafeguardingConcernAcknowledged": "a police decision is not a fact recorded in error; the concern stays "
                                       "acknowledged (a further concern is raised anew).",
    "RiskReassessed": "a re-assessment recorded in error is corrected by re-assessing again, with the reason.",
    "RiskReviewDecided": "a police decision is not a fact recorded in error; a further rise to high asks for a "
                         "review again.",
    "CaseReviewedByPanel": "the panel's decision is not a fact recorded in error; record the panel's review again.",
}


def _rests_on(entry: int, dependant: int | None, kind: str) -> InvalidCommand:
    return InvalidCommand(
        "strike_dependant_first",
        f"Entry {dependant} ({kind}) rests on entry {entry}: strike out entry {dependant} first, with its reason.",
    )


def _require_not_future(occurred_at: datetime, recorded_at: datetime) -> None:
    if occurred_at.tzinfo is None:
        raise InvalidCommand("time_needs_offset", "Times must carry a UTC offset.")
    if occurred_at > recorded_at + CLOCK_SKEW:
        raise InvalidCommand("not_in_future", "The time given is in the future.")


def _require_period_within_statutory_maximum(days: int) -> None:
    if days > STATUTORY_MAX_PERIOD_DAYS:
        raise InvalidCommand(
            "statutory_maximum_period", f"The caution period cannot exceed {STATUTORY_MAX_PERIOD_DAYS // 7} weeks."
        )


def event_name(event: Any) -> str:
    """The event's name in the record and the catalogue: its class name unless it declares another."""
    return event_name_of_class(type(event))


# The library gives every aggregate a `Created` event; a caution is created by `Issued` instead.
_UNUSED_LIBRARY_EVENTS = ("Created",)


def recorded_event_classes() -> list[type]:
    """Every kind of event a caution records: its event classes that no other one extends (the bases are not)."""
    kinds = [v for name, v in vars(Caution).items()
             if isinstance(v, type) and issubclass(v, CanMutateAggregate) and name not in _UNUSED_LIBRARY_EVENTS]
    return [kind for kind in kinds if not any(other is not kind and issubclass(other, kind) for other in kinds)]


def event_names() -> set[str]:
    return {event_name_of_class(kind) for kind in recorded_event_classes()}


def event_name_of_class(kind: type) -> str:
    return getattr(kind, "public_name", None) or kind.__name__
