"""The WorkshopSession aggregate: one group workshop a provider runs at a venue, with its bookings and register.

CARA workshops are small-group, single-sex sessions (DOMAIN.md, "Workshops as delivered"). A session knows
its cautions by id only: no personal data is ever on a session, so all of its events can go to the feed.

A session's bookings are claims. A caution's own record says which session it is booked into
(`Booking.session_id`), and a caution can leave a session without the session hearing of it at that moment
(an accepted excuse clears both bookings; a withdrawal closes the caution). So the commands that depend on who
is booked are given `still_booked`, the claims whose caution still holds this session (the application reads
them in the same transaction), and a claim that no longer holds is released before the command's own event.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, event

from shared.uk_time import uk_date

from .errors import ConflictsWithState, InvalidCommand
from .values import (
    RecordedBy,
    RegisterLine,
    SessionBooking,
    SessionCancellation,
    SessionGroup,
    SessionStatus,
    Workshop,
)

MIN_CAPACITY, MAX_CAPACITY = 1, 30  # CARA groups are 8-12; the bounds only catch typing errors
MAX_SESSION_HOURS = 8
START_SKEW = timedelta(minutes=5)  # a register may be recorded this long before the planned start (clocks differ)
RELEASED_NOT_HELD = "no longer booked into this session on the caution's record"


class WorkshopSession(Aggregate):
    class_version = 1

    class Event(Aggregate.Event):
        """Every session event; `public_name` where the catalogue's name is not the class name."""

        public_name: ClassVar[str | None] = None

    class Planned(Aggregate.Created):
        public_name: ClassVar[str | None] = "WorkshopSessionPlanned"

        force: str
        provider: str
        workshop: Workshop
        venue_id: str
        venue_name: str
        starts_at: datetime
        ends_at: datetime
        capacity: int
        group: SessionGroup
        facilitators: list[str]
        bank_holiday_reason: str | None
        recorded_at: datetime
        recorded_by: RecordedBy

    @event(Planned)
    def __init__(
        self,
        force: str,
        provider: str,
        workshop: Workshop,
        venue_id: str,
        venue_name: str,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
        group: SessionGroup,
        facilitators: list[str],
        bank_holiday_reason: str | None,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.force = force
        self.provider = provider
        self.workshop = workshop
        self.venue_id = venue_id
        self.venue_name = venue_name
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.capacity = capacity
        self.group = group
        self.facilitators = list(facilitators)
        self.bank_holiday_reason = bank_holiday_reason
        self.status = SessionStatus.PLANNED
        self.bookings: dict[str, SessionBooking] = {}  # by caution id, in booking order
        self.register: dict[str, RegisterLine] = {}  # by caution id, as last recorded (or corrected)
        self.registers = 0  # how many times the register was recorded: the first, then corrections
        self.cancelled_because: SessionCancellation | None = None

    @classmethod
    def plan(
        cls,
        *,
        force: str,
        provider: str,
        workshop: Workshop,
        venue_id: str,
        venue_name: str,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
        group: SessionGroup,
        facilitators: Sequence[str],
        bank_holidays: Collection[date],
        bank_holiday_reason: str | None,
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> WorkshopSession:
        """`bank_holidays`: the England and Wales bank holidays around the session (bank_holidays.py); a session on
        one needs the reason it runs anyway."""
        if starts_at.tzinfo is None or ends_at.tzinfo is None:
            raise InvalidCommand("session_times_need_offsets", "Give the session's start and end with a UTC offset.")
        if ends_at <= starts_at:
            raise InvalidCommand("session_ends_after_start", "A session must end after it starts.")
        if ends_at - starts_at > timedelta(hours=MAX_SESSION_HOURS):
            raise InvalidCommand("session_too_long", f"A session lasts at most {MAX_SESSION_HOURS} hours.")
        if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
            raise InvalidCommand("session_capacity", f"Capacity must be {MIN_CAPACITY} to {MAX_CAPACITY} places.")
        if len(set(facilitators)) != len(facilitators):
            raise InvalidCommand("facilitators_repeated", "Each facilitator is named once.")
        on_holiday = uk_date(starts_at) in bank_holidays or uk_date(ends_at) in bank_holidays
        reason = bank_holiday_reason.strip() if bank_holiday_reason else None
        if on_holiday and not reason:
            raise InvalidCommand(
                "session_on_bank_holiday",
                f"{uk_date(starts_at).isoformat()} is a bank holiday in England and Wales; give the reason the "
                "session runs on it (bank_holiday_reason).")
        return cls(
            force=force, provider=provider, workshop=workshop, venue_id=venue_id, venue_name=venue_name,
            starts_at=starts_at, ends_at=ends_at, capacity=capacity, group=group, facilitators=list(facilitators),
            bank_holiday_reason=reason if on_holiday else None, recorded_at=recorded_at, recorded_by=recorded_by)

    # ----- derived -------------------------------------------------------------------

    @property
    def places_left(self) -> int:
        return self.capacity - len(self.bookings)

    def has_started(self, at: datetime) -> bool:
        return at >= self.starts_at - START_SKEW

    # ----- bookings ------------------------------------------------------------------

    def book(
        self,
        caution_id: str,
        group_override: str | None,
        *,
        still_booked: Collection[str],
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        """Takes a place for the caution; the application records the caution's own WorkshopScheduled (or
        WorkshopRescheduled) in the same transaction, after checking the group, the 28-day rule and the period."""
        self._require_planned()
        self.release_lapsed(still_booked, recorded_at=recorded_at, recorded_by=recorded_by)
        if caution_id in self.bookings:
            raise ConflictsWithState("already_booked_in_session", "This caution is already booked into this session.")
        if recorded_at >= self.starts_at:
            raise ConflictsWithState("session_already_started", "A session cannot be booked once it has started.")
        if self.places_left <= 0:
            raise ConflictsWithState(
                "session_full", f"The session is full: all {self.capacity} places are booked.")
        override = group_override.strip() if group_override else None
        self._booked(SessionBooking(caution_id, override or None), recorded_at, recorded_by)

    @event("SessionPlaceBooked")
    def _booked(self, booking: SessionBooking, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.bookings[booking.caution_id] = booking

    def release(self, caution_id: str, reason: str, *, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        """The caution moved to another session or its booking ended: its place is free again."""
        if caution_id not in self.bookings:
            raise ConflictsWithState("not_booked_in_session", "This caution is not booked into this session.")
        self._released(caution_id, reason, recorded_at, recorded_by)

    def release_lapsed(self, still_booked: Collection[str], *, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        """Frees the places of cautions whose own record no longer holds this session."""
        for caution_id in [c for c in self.bookings if c not in still_booked]:
            self._released(caution_id, RELEASED_NOT_HELD, recorded_at, recorded_by)

    @event("SessionPlaceReleased")
    def _released(self, caution_id: str, reason: str, recorded_at: datetime, recorded_by: RecordedBy) -> None:
        self.bookings.pop(caution_id, None)

    # ----- the register --------------------------------------------------------------

    def record_register(
        self,
        lines: Sequence[RegisterLine],
        *,
        correction: bool,
        still_booked: Collection[str],
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> list[RegisterLine]:
        """One line for every caution booked; returns the lines the cautions must record (every line the first
        time; on a correction, only those whose outcome changed)."""
        if self.status is SessionStatus.CANCELLED:
            raise ConflictsWithState("session_cancelled", "The session was cancelled; it has no register.")
        if self.registers and not correction:
            raise ConflictsWithState(
                "register_already_recorded",
                "This session's register is already recorded; send it again as a correction to change it.")
        if correction and not self.registers:
            raise ConflictsWithState("no_register_to_correct", "There is no register yet to correct.")
        if not self.has_started(recorded_at):
            raise ConflictsWithState("session_not_started", "A register can be recorded only once the session began.")
        if not correction:
            self.release_lapsed(still_booked, recorded_at=recorded_at, recorded_by=recorded_by)
        named = [line.caution_id for line in lines]
        if len(set(named)) != len(named):
            raise InvalidCommand("register_names_a_caution_twice", "Each booked caution has one line in the register.")
        expected = set(self.register) if correction else set(self.bookings)
        unknown, missing = set(named) - expected, expected - set(named)
        if unknown or missing:
            raise InvalidCommand(
                "register_must_match_bookings",
                "The register must have exactly one line for each caution booked into the session"
                + (f"; not booked: {', '.join(sorted(unknown))}" if unknown else "")
                + (f"; missing: {', '.join(sorted(missing))}" if missing else "") + ".")
        changed = [line for line in lines if self.register.get(line.caution_id) != line] if correction else list(lines)
        if correction and not changed:
            raise InvalidCommand("correction_changes_nothing",
                                 "The corrected register is the same as the recorded one.")
        self._register_recorded(list(lines), correction, recorded_at, recorded_by)
        return changed

    @event("SessionRegisterRecorded")
    def _register_recorded(
        self, lines: list[RegisterLine], correction: bool, recorded_at: datetime, recorded_by: RecordedBy
    ) -> None:
        self.register = {line.caution_id: line for line in lines}
        self.registers += 1
        self.status = SessionStatus.HELD

    # ----- cancellation --------------------------------------------------------------

    def cancel(
        self,
        reason: SessionCancellation,
        detail: str,
        *,
        still_booked: Collection[str],
        recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> list[str]:
        """Cancels the session; returns the cautions still booked, whose bookings the application cancels on their
        own records in the same transaction (a cancelled session counts against nobody)."""
        self._require_planned()
        if reason is SessionCancellation.OTHER and not detail.strip():
            raise InvalidCommand("cancellation_needs_detail", "Say why the session was cancelled.")
        self.release_lapsed(still_booked, recorded_at=recorded_at, recorded_by=recorded_by)
        affected = list(self.bookings)
        self._cancelled(reason, detail.strip(), affected, recorded_at, recorded_by)
        return affected

    @event("WorkshopSessionCancelled")
    def _cancelled(
        self, reason: SessionCancellation, detail: str, cautions: list[str], recorded_at: datetime,
        recorded_by: RecordedBy,
    ) -> None:
        self.status = SessionStatus.CANCELLED
        self.cancelled_because = reason
        self.bookings = {}

    def _require_planned(self) -> None:
        if self.status is SessionStatus.CANCELLED:
            raise ConflictsWithState("session_cancelled", "The session was cancelled.")
        if self.status is SessionStatus.HELD:
            raise ConflictsWithState("session_held", "The session has been held: its register is recorded.")


def session_event_name(event: Any) -> str:
    """The event's name in the catalogue: its `public_name`, else its class name."""
    return getattr(type(event), "public_name", None) or type(event).__name__
