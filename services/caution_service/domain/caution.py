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

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, CanMutateAggregate, event

from shared.uk_time import end_of_uk_day, uk_date

from . import eligibility, spent
from .errors import ConflictsWithState, InvalidCommand, NotEligible, StoreHoldsClearText
from .values import (
    STATUTORY_MAX_PERIOD_DAYS,
    TERMINAL,
    Booking,
    BreachOutcome,
    Conditions,
    ContactOutcome,
    ContactStage,
    DataNotice,
    DataProtectionBasis,
    IssuingOfficer,
    LegalBasis,
    MissReason,
    Offence,
    Offender,
    OffenderIdentity,
    OffendingHistory,
    Person,
    RecordedBy,
    Status,
    Victim,
    Workshop,
)

CLOCK_SKEW = timedelta(minutes=5)


class Caution(Aggregate):
    # The shape of the state a snapshot holds. Changing what __init__ or a mutator stores means
    # raising this and adding `upcast_v<n>_v<n+1>(state)`, so snapshots already stored still load;
    # tests/caution_service/integration/test_caution_snapshots.py fails when the shape changes without it.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        raise StoreHoldsClearText("a snapshot from before personal data was sealed")

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

    class WorkshopMissed(Aggregate.Event):
        """v1 said only `late: bool`; v2 names the reason (late, absent, left early)."""

        class_version = 2
        workshop: Workshop
        reason: MissReason
        note: str
        occurred_at: datetime
        recorded_at: datetime
        recorded_by: RecordedBy

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            late = state.pop("late", False)
            state["reason"] = MissReason.ARRIVED_LATE if late else MissReason.DID_NOT_ATTEND

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
        self.breach_referred = False
        self.deadline_passed = False
        self.contacted_after_a = False
        self.contacted_on_completion = False
        self.safeguarding_concern = False
        self.final_status: Status | None = None
        self.final_at: datetime | None = None
        self.breach_outcome: BreachOutcome | None = None

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

    @property
    def conditions_met(self) -> bool:
        return (
            self.attended_a_at is not None
            and self.attended_b_at is not None
            and self.contacted_after_a
            and self.pending_miss is None
        )

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
    ) -> None:
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
        self._rescheduled(workshop, booking, previous, reason, occurred_at, recorded_at, recorded_by)

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

    @event("WorkshopRescheduled")
    def _rescheduled(
        self,
        workshop: Workshop,
        booking: Booking,
        previous: Booking,
        reason: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self._set_booking(workshop, booking)

    def _set_booking(self, workshop: Workshop, booking: Booking) -> None:
        if workshop is Workshop.A:
            self.booking_a = booking
        else:
            self.booking_b = booking

    def attend_workshop_a(self, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self._require_attendable(Workshop.A, occurred_at, recorded_at)
        self._workshop_a_attended(occurred_at, recorded_at, recorded_by)

    @event("WorkshopAAttended")
    def _workshop_a_attended(self, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.attended_a_at = occurred_at
        self.attended_a_version = self._entry_being_recorded()
        if self.first_attended_a_at is None:
            self.first_attended_a_at, self.first_attended_a_version = occurred_at, self.attended_a_version

    def attend_workshop_b(self, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self._require_attendable(Workshop.B, occurred_at, recorded_at)
        if self.attended_a_at is None:
            raise ConflictsWithState("workshop_a_first", "Workshop A must be attended before workshop B.")
        self._require_gap_after_a(occurred_at)
        self._workshop_b_attended(occurred_at, recorded_at, recorded_by)

    @event("WorkshopBAttended")
    def _workshop_b_attended(self, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
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
    ) -> None:
        self._require_open()
        self._require_no_pending_miss()
        self._require_time(occurred_at, recorded_at)
        self._require_booked_not_attended(workshop)
        booking = self.booking(workshop)
        if booking is not None and occurred_at < booking.session_at - CLOCK_SKEW:
            raise InvalidCommand(
                "miss_after_session_start", "A workshop can be missed only once its session has begun."
            )
        self._workshop_missed(
            workshop=workshop, reason=reason, note=note,
            occurred_at=occurred_at, recorded_at=recorded_at, recorded_by=recorded_by,
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
    ) -> None:
        self.pending_miss = workshop

    def decide_excuse(
        self, accepted: bool, reason: str, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy
    ) -> None:
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        if self.pending_miss is None:
            raise ConflictsWithState("no_missed_workshop", "There is no missed workshop awaiting an excuse decision.")
        self._excuse_decided(self.pending_miss, accepted, reason, occurred_at, recorded_at, recorded_by)

    @event("ExcuseDecided")
    def _excuse_decided(
        self,
        workshop: Workshop,
        accepted: bool,
        reason: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.pending_miss = None
        if not accepted:
            self.breach_referred = True
            return
        # CARA practice: missing either workshop means attending both again, A then B.
        self.round += 1
        self.booking_a = self.booking_b = None
        self.attended_a_at = self.attended_b_at = None
        self.attended_a_version = self.attended_b_version = None

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
                raise ConflictsWithState(
                    "victim_contact_after_workshop_a", "The victim is contacted after workshop A has been attended."
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
        else:
            self.contacted_after_a = True
        self.safeguarding_concern = self.safeguarding_concern or safeguarding_concern

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
        self._breached(outcome, reason, occurred_at, recorded_at, recorded_by)

    @event("Breached")
    def _breached(
        self,
        outcome: BreachOutcome,
        reason: str,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.final_status, self.final_at, self.breach_outcome = Status.BREACHED, occurred_at, outcome
        self.pending_miss = None

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
        if not self.contacted_after_a:
            missing.append("victim not contacted after workshop A")
        return missing

    @event("Completed")
    def _completed(self, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.final_status, self.final_at = Status.COMPLETED, occurred_at

    def withdraw(self, reason: str, *, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self._require_open()
        self._require_time(occurred_at, recorded_at)
        self._withdrawn(reason, occurred_at, recorded_at, recorded_by)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, occurred_at: datetime, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.final_status, self.final_at = Status.WITHDRAWN, occurred_at
        self.pending_miss = None

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

    def correct(
        self,
        corrects_version: int,
        reason: str,
        corrected_occurred_at: datetime | None,
        *,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """Record a correction of an earlier entry; the original stays in the record."""
        self._require_open()
        if not 1 <= corrects_version <= len(self.entries):
            raise InvalidCommand("corrected_entry_must_exist", f"There is no entry {corrects_version} to correct.")
        if self.entries[corrects_version - 1] == "EntryCorrected":
            raise InvalidCommand("correct_the_original", "Correct the original entry, not a correction.")
        if corrected_occurred_at is not None:
            self._require_time(corrected_occurred_at, recorded_at)
            self._check_attendance_correction(corrects_version, corrected_occurred_at)
        corrected_type = self.entries[corrects_version - 1]
        self._corrected(
            corrects_version, corrected_type, reason, corrected_occurred_at, recorded_at, recorded_at, recorded_by
        )

    def _check_attendance_correction(self, version: int, when: datetime) -> None:
        if when.date() > self.period_ends_on:
            raise InvalidCommand("workshop_inside_caution_period", "The corrected time is after the caution period.")
        if version == self.attended_b_version and self.attended_a_at is not None:
            self._require_gap_after_a(when)
        if version == self.attended_a_version and self.attended_b_at is not None:
            gap = (self.attended_b_at.date() - when.date()).days
            if gap < self.conditions.min_days_between_workshops:
                raise InvalidCommand("workshop_b_after_gap", "The corrected time would put workshop A too close to B.")

    @event("EntryCorrected")
    def _corrected(
        self,
        corrects_version: int,
        corrected_type: str,
        reason: str,
        corrected_occurred_at: datetime | None,
        occurred_at: datetime,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        if corrected_occurred_at is not None:
            if corrects_version == self.attended_a_version:
                self.attended_a_at = corrected_occurred_at
            elif corrects_version == self.attended_b_version:
                self.attended_b_at = corrected_occurred_at
            if corrects_version == self.first_attended_a_version:
                self.first_attended_a_at = corrected_occurred_at  # the after-A contact is measured from it

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
        a_time = self.attended_a_at or (self.booking_a.session_at if self.booking_a else None)
        if a_time is None:
            raise ConflictsWithState("workshop_a_first", "Book workshop A before workshop B.")
        if (session_at.date() - a_time.date()).days < self.conditions.min_days_between_workshops:
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

    def _require_attendable(self, workshop: Workshop, occurred_at: datetime, recorded_at: datetime) -> None:
        self._require_open()
        self._require_no_pending_miss()
        self._require_time(occurred_at, recorded_at)
        self._require_booked_not_attended(workshop)
        if occurred_at.date() > self.period_ends_on:
            raise InvalidCommand(
                "workshop_inside_caution_period", f"The caution period ended on {self.period_ends_on}."
            )

    def _require_gap_after_a(self, b_time: datetime) -> None:
        assert self.attended_a_at is not None
        gap = (b_time.date() - self.attended_a_at.date()).days
        if gap < self.conditions.min_days_between_workshops:
            raise InvalidCommand(
                "workshop_b_after_gap",
                f"Workshop B must be at least {self.conditions.min_days_between_workshops} days after workshop A "
                f"(it was {gap}).",
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
