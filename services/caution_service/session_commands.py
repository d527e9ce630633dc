"""Workshop session commands: a session and the cautions it concerns changed together, saved in one transaction.

Each command loads the session and every caution it names afresh, works out which cautions still hold their
place (`still_booked`: the caution's own record names this session for the workshop, and it is open), calls
the aggregates' methods and saves everything with the Idempotency-Key record at once. The store's unique
(aggregate, version) key is what keeps two writers from both succeeding; a command that loses that race is
run again from a fresh read, a few times, with a short random pause so that retries spread out.

Commands on one session are also serialised inside the process (a lock per session id, striped), so that
twenty bookings arriving at once for twelve places queue instead of all reading the same session and then
retrying against each other until some run out of attempts: each is then decided on the session as the one
before it left it (a place, or `session_full`). The lock only saves work; the store's key alone decides.

The cautions are written here, outside the group-commit writer (writer.py). That writer keeps the cautions it
saved in memory but compares their versions with the store before every batch and reloads any that moved, so
a caution written here and then through a per-caution route is read as it now stands.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from shared.uk_time import uk_date

from .application import CautionApplication, ConcurrentChange, DuplicateInFlight, StaleVersion
from .domain.bank_holidays import bank_holidays_around
from .domain.caution import Caution, event_name
from .domain.errors import (
    CautionNotFound,
    ConflictsWithState,
    DomainError,
    InvalidCommand,
    SessionNotFound,
    require_same_force,
)
from .domain.progress import latest_day_for_a
from .domain.session import WorkshopSession
from .domain.values import (
    AbsenceReason,
    Booking,
    Person,
    RecordedBy,
    RegisterLine,
    RegisterOutcome,
    RescheduleReason,
    RescheduleRequester,
    SessionCancellation,
    SessionGroup,
    Workshop,
)
from .idempotency import Receipt, StoredResponse
from .venues import venue_for
from .writer import Outcome, answered_before

MAX_ATTEMPTS = 6
LOCK_STRIPES = 64
GROUP_GENDER = {SessionGroup.MENS: "male", SessionGroup.WOMENS: "female"}


@dataclass(frozen=True)
class Actor:
    recorded_by: RecordedBy
    recorded_at: datetime


@dataclass(frozen=True)
class Rebook:
    """A caution whose session was cancelled: the workshop to book again, and the latest day it can be on."""

    caution_id: str
    workshop: Workshop
    book_by: date


@dataclass
class Done:
    """What a command changed: the session (as the answer shows it) and everything to save with it."""

    session: WorkshopSession
    changed: list[WorkshopSession | Caution]
    rebook: list[Rebook] = field(default_factory=list)


Render = Callable[[Done], StoredResponse]


@dataclass(frozen=True)
class RegisterEntry:
    """One line of a register as given: the caution's outcome and, for a miss, what was said about it."""

    caution_id: str
    outcome: RegisterOutcome
    note: str | None = None
    absence_reason: AbsenceReason | None = None
    absence_detail: str | None = None


@dataclass(frozen=True)
class Move:
    """Who asked for a caution's booking to move, and why (a reschedule needs all three)."""

    requested_by: RescheduleRequester | None
    reason_code: RescheduleReason | None
    reason: str | None


def still_booked(session: WorkshopSession, cautions: Mapping[str, Caution]) -> set[str]:
    """The cautions whose own record still holds this session for its workshop (the session's claims that hold)."""
    held = str(session.id)
    booked = set()
    for caution_id, caution in cautions.items():
        booking = caution.booking(session.workshop)
        if caution.is_open and booking is not None and booking.session_id == held:
            booked.add(caution_id)
    return booked


def latest_booking_day(caution: Caution, workshop: Workshop) -> date:
    """The latest day a session of `workshop` can be on so that A, the gap to B, and B fit in the period."""
    return latest_day_for_a(caution) if workshop is Workshop.A else caution.period_ends_on


class SessionCommands:
    def __init__(
        self,
        app: CautionApplication,
        find_venue: Callable[[Any, str, str], tuple[str, str] | None] = venue_for,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app = app
        self._find_venue = find_venue
        self._pause = pause
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]

    # ----- the commands --------------------------------------------------------------

    def plan(
        self, force: str, actor: Actor, receipt: Receipt | None, render: Render, *, workshop: Workshop,
        venue_id: str, starts_at: datetime, ends_at: datetime, capacity: int, group: SessionGroup,
        facilitators: list[str], provider: str, bank_holiday_reason: str | None,
    ) -> Outcome:
        venue = self._find_venue(self.app.engine, force, venue_id)
        if venue is None:
            raise InvalidCommand("venue_unknown", "No venue with that id in your force; add it first (/v1/venues).")
        venue_key, venue_name = venue

        def attempt() -> Done:
            session = WorkshopSession.plan(
                force=force, provider=provider, workshop=workshop, venue_id=venue_key, venue_name=venue_name,
                starts_at=starts_at, ends_at=ends_at, capacity=capacity, group=group, facilitators=facilitators,
                bank_holidays=bank_holidays_around(uk_date(starts_at), uk_date(ends_at)),
                bank_holiday_reason=bank_holiday_reason, recorded_at=actor.recorded_at,
                recorded_by=actor.recorded_by)
            return Done(session, [session])

        return self._attempts(attempt, receipt, render)

    def book(
        self, session_id: UUID, force: str, caution_id: UUID, group_override: str | None, move: Move, actor: Actor,
        expected_version: int | None, receipt: Receipt | None, render: Render,
    ) -> Outcome:
        """Takes a place for the caution and records its WorkshopScheduled (or, moved from another session of the
        workshop, WorkshopRescheduled and that session's place freed), all in one transaction."""
        # Which other session the caution leaves, to hold its lock too (in a fixed order: no deadlock). Read
        # again in the attempt: if it moved meanwhile, the store's key catches whatever the lock does not.
        leaving = self._session_left(session_id, force, caution_id)

        def attempt() -> Done:
            session = self._session(session_id, force, expected_version)
            caution = self._caution(caution_id, force)
            cautions = {**self._cautions_of(session), str(caution_id): caution}
            return self._book(session, caution, cautions, group_override, move, actor)

        with self._locked(session_id, *leaving):
            return self._attempts(attempt, receipt, render)

    def register(
        self, session_id: UUID, force: str, entries: list[RegisterEntry], correction_reason: str | None,
        actor: Actor, expected_version: int | None, receipt: Receipt | None, render: Render,
    ) -> Outcome:
        """Records the register and each caution's own attendance or miss, as if recorded one by one. A correction
        (`correction_reason` given) strikes each changed caution's earlier entry out first, then records anew."""

        def attempt() -> Done:
            session = self._session(session_id, force, expected_version)
            cautions = self._cautions_of(session)
            lines = [RegisterLine(entry.caution_id, entry.outcome) for entry in entries]
            changed = session.record_register(
                lines, correction=correction_reason is not None, still_booked=still_booked(session, cautions),
                recorded_at=actor.recorded_at, recorded_by=actor.recorded_by)
            given = {entry.caution_id: entry for entry in entries}
            touched: list[WorkshopSession | Caution] = [session]
            for line in changed:
                caution = cautions.get(line.caution_id)
                if caution is None:  # a register names only cautions the session holds, which exist
                    raise ConflictsWithState("register_must_match_bookings", f"No caution {line.caution_id}.")
                try:
                    if correction_reason is not None:
                        self._strike_register_entry(caution, session, correction_reason, actor)
                    self._record_outcome(caution, session, given[line.caution_id], actor)
                except DomainError as refused:  # the whole register is refused; say which line it is
                    raise refused.about(line.caution_id) from None
                touched.append(caution)
            return Done(session, touched)

        with self._locked(session_id):
            return self._attempts(attempt, receipt, render)

    def cancel(
        self, session_id: UUID, force: str, reason: SessionCancellation, detail: str, actor: Actor,
        expected_version: int | None, receipt: Receipt | None, render: Render,
    ) -> Outcome:
        """Cancels the session and every booking still in it, on each caution's record: no miss for anyone; the
        answer says which cautions need a new session of the workshop, and by when."""

        def attempt() -> Done:
            session = self._session(session_id, force, expected_version)
            cautions = self._cautions_of(session)
            affected = session.cancel(reason, detail, still_booked=still_booked(session, cautions),
                                      recorded_at=actor.recorded_at, recorded_by=actor.recorded_by)
            done = Done(session, [session])
            for caution_id in affected:
                caution = cautions[caution_id]
                caution.cancel_booking(session.workshop, str(session.id), reason, occurred_at=actor.recorded_at,
                                       recorded_at=actor.recorded_at, recorded_by=actor.recorded_by)
                done.changed.append(caution)
                done.rebook.append(Rebook(caution_id, session.workshop,
                                          latest_booking_day(caution, session.workshop)))
            return done

        with self._locked(session_id):
            return self._attempts(attempt, receipt, render)

    # ----- booking -------------------------------------------------------------------

    def _book(
        self, session: WorkshopSession, caution: Caution, cautions: dict[str, Caution], group_override: str | None,
        move: Move, actor: Actor,
    ) -> Done:
        caution_id, held = str(caution.id), str(session.id)
        session.book(caution_id, group_override, still_booked=still_booked(session, cautions),
                     recorded_at=actor.recorded_at, recorded_by=actor.recorded_by)
        self._require_group(session, caution, group_override)
        done = Done(session, [session])
        previous = caution.booking(session.workshop)
        moving: dict[str, Any] = {}
        if previous is not None:
            if move.requested_by is None or move.reason_code is None or not move.reason:
                raise InvalidCommand(
                    "reschedule_needs_who_and_why",
                    f"The caution is already booked for workshop {session.workshop.value}; moving it needs who asked "
                    "(requested_by), the coded reason (reason_code) and the reason (reason).")
            moving = {"requested_by": move.requested_by, "reason_code": move.reason_code}
            left = self._session_or_none(previous.session_id, session.force) if previous.session_id else None
            if left is not None and left.id != session.id and caution_id in left.bookings:
                left.release(caution_id, f"moved to session {held}", recorded_at=actor.recorded_at,
                             recorded_by=actor.recorded_by)
                done.changed.append(left)
        caution.schedule_workshop(
            session.workshop, Booking(session.starts_at, session.venue_name, held),
            move.reason if previous is not None else None, occurred_at=actor.recorded_at,
            recorded_at=actor.recorded_at, recorded_by=actor.recorded_by, **moving)
        done.changed.append(caution)
        return done

    def _require_group(self, session: WorkshopSession, caution: Caution, group_override: str | None) -> None:
        """A men's group takes men, a women's group women; anyone else (gender recorded as other, or not readable:
        erased or restricted) only with the reason. The refusal does not say what the record holds."""
        if group_override and group_override.strip():
            return
        gender = None
        if not caution.is_erased(Person.OFFENDER) and not caution.is_restricted(Person.OFFENDER):
            identity = self.app.personal.offender_identity(caution)
            gender = identity.get("gender") if identity else None
        if gender != GROUP_GENDER[session.group]:
            kind = "men's" if session.group is SessionGroup.MENS else "women's"
            raise InvalidCommand(
                "session_group_mismatch",
                f"This is a {kind} group and the offender's recorded gender does not place them in it (or cannot be "
                "read); give group_override_reason to book them into it anyway.")

    def _session_left(self, session_id: UUID, force: str, caution_id: UUID) -> list[UUID]:
        try:
            session = self.app.get_session(session_id, force)
            caution = self._caution(caution_id, force)
        except (SessionNotFound, CautionNotFound):
            return []  # the attempt answers that
        booking = caution.booking(session.workshop)
        if booking is None or booking.session_id is None or booking.session_id == str(session_id):
            return []
        try:
            return [UUID(booking.session_id)]
        except ValueError:
            return []

    # ----- the register --------------------------------------------------------------

    def _record_outcome(self, caution: Caution, session: WorkshopSession, entry: RegisterEntry, actor: Actor) -> None:
        when, recorded_at, recorded_by = session.starts_at, actor.recorded_at, actor.recorded_by
        if entry.outcome is RegisterOutcome.ATTENDED:
            attend = caution.attend_workshop_a if session.workshop is Workshop.A else caution.attend_workshop_b
            attend(occurred_at=when, recorded_at=recorded_at, recorded_by=recorded_by)
            return
        miss = entry.outcome.miss_reason
        assert miss is not None  # every outcome but attended is a miss
        keyring, note = self.app.keyring, ""
        coded: dict[str, Any] = {}
        if entry.note or entry.absence_detail:
            caution.require_not_erased(Person.OFFENDER)
        if entry.note:
            note = keyring.seal(caution.offender_key, entry.note)
        if entry.absence_reason is not None:
            coded["absence_reason"] = entry.absence_reason
        if entry.absence_detail:
            coded["absence_detail"] = keyring.seal(caution.offender_key, entry.absence_detail)
        caution.miss_workshop(session.workshop, miss, note, occurred_at=when, recorded_at=recorded_at,
                              recorded_by=recorded_by, **coded)

    def _strike_register_entry(self, caution: Caution, session: WorkshopSession, reason: str, actor: Actor) -> None:
        """Strikes out the entry the session's register recorded on the caution (its attendance or miss of the
        session's workshop at the session's start), unless something struck it out already."""
        entry = self._register_entry(caution, session)
        if entry is not None:
            caution.correct(entry, reason, None, recorded_at=actor.recorded_at, recorded_by=actor.recorded_by,
                            recorded_in_error=True)

    def _register_entry(self, caution: Caution, session: WorkshopSession) -> int | None:
        attended = "WorkshopAAttended" if session.workshop is Workshop.A else "WorkshopBAttended"
        for recorded in self.app.repository.event_store.get(caution.id, desc=True):
            name = event_name(recorded)
            if name not in (attended, "WorkshopMissed") or caution.is_struck(recorded.originator_version):
                continue
            if name == "WorkshopMissed" and vars(recorded)["workshop"] is not session.workshop:
                continue
            if vars(recorded)["occurred_at"] == session.starts_at:
                return recorded.originator_version
        return None

    # ----- loading, saving, retrying -------------------------------------------------

    def _session(self, session_id: UUID, force: str, expected_version: int | None) -> WorkshopSession:
        session = self.app.get_session(session_id, force)
        if expected_version is not None and session.version != expected_version:
            raise StaleVersion(expected_version, session.version)
        return session

    def _session_or_none(self, session_id: str, force: str) -> WorkshopSession | None:
        try:
            return self.app.get_session(UUID(session_id), force)
        except (SessionNotFound, ValueError):
            return None

    def _caution(self, caution_id: UUID, force: str) -> Caution:
        caution = self.app.get_caution(caution_id)
        if not isinstance(caution, Caution):  # a session's id (get_caution is to refuse those itself)
            raise CautionNotFound(caution_id)
        require_same_force(caution.force, force, caution_id)
        return caution

    def _cautions_of(self, session: WorkshopSession) -> dict[str, Caution]:
        """Every caution the session has a place or a register line for, as it stands now."""
        return {caution_id: self.app.get_caution(UUID(caution_id))
                for caution_id in dict.fromkeys([*session.bookings, *session.register])}

    def _answered_before(self, receipt: Receipt | None) -> Outcome | None:
        if receipt is None:
            return None
        previous = self.app.idempotency.find(receipt.principal_id, receipt.key)
        return answered_before(self.app.idempotency, previous, receipt) if previous is not None else None

    def _attempts(self, attempt: Callable[[], Done], receipt: Receipt | None, render: Render) -> Outcome:
        for tried in range(MAX_ATTEMPTS):
            previous = self._answered_before(receipt)
            if previous is not None:
                return previous
            try:
                return self._save(attempt(), receipt, render)
            except _LostRace:
                self._pause(random.uniform(0.002, 0.01) * (tried + 1))  # spread the retries out
        raise ConcurrentChange()

    def _save(self, done: Done, receipt: Receipt | None, render: Render) -> Outcome:
        response = render(done)  # rendered and sealed before the transaction, as writer.py does
        row = self.app.idempotency.row(receipt, response, self.app.clock()) if receipt is not None else None
        try:
            position = self.app.record_together(done.changed, row)
        except IntegrityError:
            if receipt is not None and self.app.idempotency.find(receipt.principal_id, receipt.key):
                raise DuplicateInFlight() from None
            raise _LostRace() from None
        return Outcome(response.at_position(position))

    @contextmanager
    def _locked(self, *session_ids: UUID) -> Iterator[None]:
        with ExitStack() as stack:
            for stripe in sorted({hash(session_id) % LOCK_STRIPES for session_id in session_ids}):
                stack.enter_context(self._stripes[stripe])
            yield


class _LostRace(Exception):
    """Another writer recorded an event at a version this command's events take: run it again from a fresh read."""
