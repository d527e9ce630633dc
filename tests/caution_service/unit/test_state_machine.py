"""Random command sequences against one Caution; the domain's invariants hold after every step.

Commands that the domain refuses must raise a named domain error and record nothing.
After each step the aggregate's events are saved to an in-memory SQLite CautionApplication
(snapshots every 20 events), and at the end the caution is rebuilt, both by replaying its
events with `event.mutate` and from the store, and compared with the live one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypedDict

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import DomainError
from services.caution_service.domain.progress import required_actions
from services.caution_service.domain.values import (
    TERMINAL,
    AbsenceReason,
    Booking,
    BreachOutcome,
    ContactOutcome,
    ContactStage,
    FirstContactMethod,
    FirstContactOutcome,
    MissReason,
    SessionCancellation,
    Status,
    Workshop,
)
from services.caution_service.main import build_application
from shared.uk_time import uk_date
from tests.support import FakeClock

from .builders import ISSUED_ON, POLICE, PROVIDER, SYSTEM, VICTIM_SERVICE, at, issued

TERMINAL_EVENTS = {"Completed", "Breached", "Withdrawn"}
GAP = 28

days = st.integers(min_value=-1, max_value=150)
offsets = st.integers(min_value=-2, max_value=4)
hours = st.sampled_from([8, 10, 18])
# how long after the event it is recorded; the negative ones test the 5-minute clock skew
lags = st.sampled_from(
    [timedelta(hours=1), timedelta(0), timedelta(hours=1), timedelta(days=2), -timedelta(minutes=4),
     -timedelta(minutes=6)]
)
workshops = st.sampled_from(Workshop)
modes = st.integers(min_value=0, max_value=9)  # below 8: aim at the sensible time (a booking, workshop A, ...)
rarely = st.integers(min_value=0, max_value=9)  # breach and withdrawal end the story: only go ahead on 0

_app: CautionApplication | None = None


class Times(TypedDict):
    occurred_at: datetime
    recorded_at: datetime


def store() -> CautionApplication:
    global _app
    if _app is None:
        _app = build_application(Settings(environment="test", database_url="sqlite:///:memory:"), FakeClock())
    return _app


def _other_day(mode: int) -> str | None:
    """Now and then the provider gives a reason the attendance was not on the booked day (issue 17)."""
    return "moved to another session" if mode % 2 else None


def day_of(when: datetime) -> int:
    return (when.date() - ISSUED_ON).days


class CautionMachine(RuleBasedStateMachine):
    caution: Caution
    events: list[Any]

    @initialize(head_start=st.lists(st.tuples(st.integers(0, 3), st.booleans(), offsets, lags), max_size=8))
    def issue(self, head_start: list[tuple[int, bool, int, timedelta]]) -> None:
        """Issue a caution, then take a few required actions so runs often start deep in the lifecycle."""
        self.caution = issued()
        self.events = []
        self._collect()
        self.take_the_next_required_actions(head_start)

    # ----- running a command --------------------------------------------------------------------

    def _run(self, command: Callable[[], None]) -> None:
        c = self.caution
        before = (c.version, list(c.entries), c.status)
        try:
            command()
        except DomainError as refused:
            assert refused.rule and refused.message
            assert (c.version, list(c.entries), c.status) == before, "a refused command changed the caution"
            assert c.pending_events == [], "a refused command left an event behind"
            return
        self._collect()

    def _collect(self) -> None:
        new = list(self.caution.pending_events)
        self.events.extend(new)
        if new:
            store().save(self.caution)
        assert self.caution.pending_events == []

    def _time(self, day: int, hour: int, lag: timedelta) -> Times:
        occurred = at(day, hour)
        return {"occurred_at": occurred, "recorded_at": occurred + lag}

    def _anchored(self, anchor: datetime | None, mode: int, offset: int, day: int) -> int:
        """Mostly the anchor's day (exactly, or a few days off); otherwise any day."""
        if anchor is None or mode >= 8:
            return day
        return day_of(anchor) + (offset if mode >= 5 else 0)

    # ----- rules --------------------------------------------------------------------------------

    @rule(workshop=workshops, mode=modes, offset=offsets, session_day=days, on=days, lag=lags,
          reason=st.sampled_from([None, "", "venue closed"]))
    def schedule(self, workshop: Workshop, mode: int, offset: int, session_day: int, on: int,
                 lag: timedelta, reason: str | None) -> None:
        c = self.caution
        a_time = c.attended_a_at or (c.booking_a.session_at if c.booking_a else None)
        if workshop is Workshop.B and a_time is not None and mode < 8:
            session_day = day_of(a_time) + GAP + abs(offset)
        elif workshop is Workshop.A and mode < 8:
            session_day = 3 + 7 * abs(offset)
        booking = Booking(at(session_day, 18), "Hall", f"session-{session_day}" if mode % 2 else None)
        self._run(lambda: c.schedule_workshop(
            workshop, booking, reason, **self._time(min(on, session_day), 11, lag), recorded_by=PROVIDER))

    @rule(outcome=st.sampled_from(FirstContactOutcome), day=days, lag=lags)
    def first_contact(self, outcome: FirstContactOutcome, day: int, lag: timedelta) -> None:
        c = self.caution
        self._run(lambda: c.record_first_contact(FirstContactMethod.PHONE, outcome, **self._time(day, 12, lag),
                                                 recorded_by=PROVIDER))

    @rule(workshop=workshops, right_session=st.booleans(), day=days, lag=lags)
    def session_cancelled(self, workshop: Workshop, right_session: bool, day: int, lag: timedelta) -> None:
        """The session a workshop is booked into is cancelled (issue 18): the booking goes, no miss is counted."""
        c = self.caution
        booking = c.booking(workshop)
        session_id = booking.session_id if booking and booking.session_id and right_session else "another-session"
        misses, before = c.entries.count("WorkshopMissed"), len(c.entries)
        self._run(lambda: c.cancel_booking(workshop, session_id, SessionCancellation.VENUE_UNAVAILABLE,
                                           **self._time(day, 9, lag), recorded_by=PROVIDER))
        assert c.entries.count("WorkshopMissed") == misses
        # Judged by whether this command recorded its entry: the last entry may be an earlier cancellation of the other
        # workshop, when this one was refused (the state machine once read that as this booking's cancellation).
        if len(c.entries) > before:
            assert c.entries[-1] == "WorkshopBookingCancelled"
            assert c.booking(workshop) is None and c.attended_at(workshop) is None

    @rule(mode=modes, offset=offsets, day=days, hour=hours, lag=lags)
    def attend_a(self, mode: int, offset: int, day: int, hour: int, lag: timedelta) -> None:
        c = self.caution
        day = self._anchored(c.booking_a.session_at if c.booking_a else None, mode, offset, day)
        time = self._time(day, hour, lag)
        self._run(lambda: c.attend_workshop_a(occurred_at=time["occurred_at"], recorded_at=time["recorded_at"],
                                              recorded_by=PROVIDER, reason_not_on_booked_day=_other_day(mode)))

    @rule(mode=modes, offset=offsets, day=days, hour=hours, lag=lags)
    def attend_b(self, mode: int, offset: int, day: int, hour: int, lag: timedelta) -> None:
        c = self.caution
        day = self._anchored(c.booking_b.session_at if c.booking_b else None, mode, offset, day)
        time = self._time(day, hour, lag)
        self._run(lambda: c.attend_workshop_b(occurred_at=time["occurred_at"], recorded_at=time["recorded_at"],
                                              recorded_by=PROVIDER, reason_not_on_booked_day=_other_day(mode)))

    @rule(workshop=workshops, reason=st.sampled_from(MissReason), day=days, lag=lags,
          absence=st.sampled_from([None, AbsenceReason.MEDICAL, AbsenceReason.OTHER]), detail=st.booleans())
    def miss(self, workshop: Workshop, reason: MissReason, day: int, lag: timedelta,
             absence: AbsenceReason | None = None, detail: bool = False) -> None:
        c = self.caution
        self._run(lambda: c.miss_workshop(workshop, reason, "", **self._time(day, 20, lag), recorded_by=PROVIDER,
                                          absence_reason=absence, absence_detail="p1.k.ZGV0YWls" if detail else None))

    @rule(accepted=st.booleans(), day=days, lag=lags)
    def decide_excuse(self, accepted: bool, day: int, lag: timedelta) -> None:
        c = self.caution
        self._run(lambda: c.decide_excuse(accepted, "reason", **self._time(day, 11, lag), recorded_by=POLICE))

    @rule(stage=st.sampled_from(ContactStage), outcome=st.sampled_from(ContactOutcome), concern=st.booleans(),
          mode=modes, offset=offsets, day=days, lag=lags)
    def contact(self, stage: ContactStage, outcome: ContactOutcome, concern: bool, mode: int, offset: int,
                day: int, lag: timedelta) -> None:
        c = self.caution
        anchor = c.final_at if stage is ContactStage.ON_COMPLETION else c.first_attended_a_at
        day = self._anchored(anchor, mode, abs(offset), day)
        self._run(lambda: c.contact_victim(
            stage, outcome, concern, None, **self._time(day, 21, lag), recorded_by=VICTIM_SERVICE))

    @rule(end_day=st.integers(min_value=-1, max_value=145), mode=modes, day=days, lag=lags)
    def vary(self, end_day: int, mode: int, day: int, lag: timedelta) -> None:
        c = self.caution
        if mode < 8:
            end_day = max(end_day, 16 * 7)  # mostly a longer period, as in practice
        end = ISSUED_ON + timedelta(days=end_day)
        self._run(lambda: c.vary_conditions(end, "illness", "INSP-1", **self._time(day, 12, lag), recorded_by=POLICE))

    @rule(day=days)
    def deadline_passed(self, day: int) -> None:
        c = self.caution
        self._run(lambda: c.record_deadline_passed(recorded_at=at(day, 1), recorded_by=SYSTEM))

    @rule(go=rarely, outcome=st.sampled_from(BreachOutcome), day=days, lag=lags)
    def breach(self, go: int, outcome: BreachOutcome, day: int, lag: timedelta) -> None:
        c = self.caution
        if c.is_open and go:
            return
        self._run(lambda: c.breach(outcome, "no excuse", **self._time(day, 13, lag), recorded_by=POLICE))

    @rule(mode=modes, offset=offsets, day=days, lag=lags)
    def complete(self, mode: int, offset: int, day: int, lag: timedelta) -> None:
        c = self.caution
        day = self._anchored(c.attended_b_at, mode, abs(offset), day)
        self._run(lambda: c.complete(**self._time(day, 22, lag), recorded_by=PROVIDER))

    @rule(go=rarely, day=days, lag=lags)
    def withdraw(self, go: int, day: int, lag: timedelta) -> None:
        c = self.caution
        if c.is_open and go:
            return
        self._run(lambda: c.withdraw("appeal", **self._time(day, 14, lag), recorded_by=POLICE))

    @rule(pick=st.integers(min_value=0, max_value=40), new_day=st.none() | days, hour=hours, mode=modes,
          offset=offsets, day=days)
    def correct(self, pick: int, new_day: int | None, hour: int, mode: int, offset: int, day: int) -> None:
        c = self.caution
        version = pick % (c.version + 2)  # includes 0 and one past the end
        if mode < 5 and c.attended_a_version is not None and pick % 2:
            version = c.attended_a_version
        elif mode < 5 and c.attended_b_version is not None:
            version = c.attended_b_version
        new_time = None if new_day is None else at(new_day + offset, hour)
        recorded = max(at(day, 23), new_time or at(day, 23))
        self._run(lambda: c.correct(version, "register", new_time, recorded_at=recorded, recorded_by=PROVIDER))

    @rule(go=rarely, pick=st.integers(min_value=0, max_value=40), mode=modes, police=st.booleans(), day=days)
    def strike(self, go: int, pick: int, mode: int, police: bool, day: int) -> None:
        """Strike an entry out as recorded in error (issue 17): mostly one the state rests on."""
        c = self.caution
        if go > 3:
            return
        aimed = [c.closing_entry, c.attended_a_version, c.attended_b_version, c.pending_miss_entry,
                 c.contact_after_a_entry, *c.referred_misses, c.miss_at_close.entry if c.miss_at_close else None]
        targets = [v for v in aimed if v is not None]
        version = targets[pick % len(targets)] if targets and mode < 8 else pick % (c.version + 2)
        by = POLICE if police else PROVIDER
        self._run(lambda: c.correct(version, "found at court", None, recorded_at=at(day, 23), recorded_by=by,
                                    recorded_in_error=True))

    @rule(steps=st.lists(st.tuples(st.integers(0, 3), st.booleans(), offsets, lags), min_size=1, max_size=4))
    def take_the_next_required_actions(self, steps: list[tuple[int, bool, int, timedelta]]) -> None:
        """Do what the caution needs next, at a sensible time: this drives runs deep into the lifecycle."""
        for choice, accepted, offset, lag in steps:
            self._next_required_action(choice, accepted, offset, lag)

    def _next_required_action(self, choice: int, accepted: bool, offset: int, lag: timedelta) -> None:
        c = self.caution
        latest_at = max(getattr(e, "occurred_at", c.issued_at) for e in self.events)
        actions = required_actions(c, uk_date(latest_at))
        if not actions:
            return
        action = actions[choice % len(actions)].action
        latest = day_of(latest_at)
        if action == "make_first_contact":
            self.first_contact(FirstContactOutcome.CONTACTED if accepted else FirstContactOutcome.NO_RESPONSE,
                               latest + abs(offset), lag)
        elif action == "schedule_workshop_a":
            self.schedule(Workshop.A, 9, offset, latest + 2 + abs(offset), latest, lag, "moved")
        elif action == "schedule_workshop_b":
            self.schedule(Workshop.B, 0, max(offset, 0), 0, latest, lag, None)
        elif action == "attend_workshop_a" and choice == 2:  # out of order: book or attend B before A
            if c.booking_b is None:
                self.schedule(Workshop.B, 0, max(offset, 0), 0, latest, lag, None)
            else:
                self.attend_b(0, offset, 0, 18, lag)
        elif action == "attend_workshop_b" and choice == 2:  # a few days off the booked session
            self.attend_b(5, offset - 2, 0, 18, lag)
        elif action in ("attend_workshop_a", "attend_workshop_b") and choice == 3:
            workshop = Workshop.A if action.endswith("_a") else Workshop.B
            session = c.booking(workshop)
            assert session is not None
            self.miss(workshop, MissReason.ARRIVED_LATE, day_of(session.session_at), lag)
        elif action == "attend_workshop_a":
            self.attend_a(0, offset, 0, 18, lag)
        elif action == "attend_workshop_b":
            self.attend_b(0, offset, 0, 18, lag)
        elif action in ("contact_victim_after_workshop_a", "contact_victim_on_completion"):
            stage = ContactStage.AFTER_WORKSHOP_A if action.endswith("workshop_a") else ContactStage.ON_COMPLETION
            self.contact(stage, ContactOutcome.CONTACTED, False, 5, 1, 0, lag)
        elif action == "record_completion":
            self.complete(5, offset, 0, lag)
        elif action == "decide_excuse":
            self.decide_excuse(accepted, latest + 1, lag)
        elif action == "vary_conditions_workshops_cannot_fit":
            self.vary(140, 0, latest + 1, lag)
        elif action == "decide_breach_or_vary":
            if accepted:
                self.vary(140, 0, latest + 1, lag)
            else:
                self.breach(0, BreachOutcome.PROSECUTE, latest + 1, lag)
        else:  # pragma: no cover - a new action needs a line here
            raise AssertionError(f"unknown action {action}")

    # ----- invariants ---------------------------------------------------------------------------

    @invariant()
    def versions_count_the_events_one_by_one(self) -> None:
        c = self.caution
        assert [e.originator_version for e in self.events] == list(range(1, len(self.events) + 1))
        assert all(e.originator_id == c.id for e in self.events)
        assert c.version == len(self.events) == len(c.entries)

    @invariant()
    def workshop_b_is_never_attended_without_a_in_the_same_round(self) -> None:
        a_at: datetime | None = None
        a_version: int | None = None
        b_version: int | None = None
        b_at: datetime | None = None
        for e in self.events:
            name = type(e).__name__
            if name == "WorkshopAAttended":
                a_at, a_version = e.occurred_at, e.originator_version
            elif name == "WorkshopBAttended":
                assert a_at is not None, "workshop B attended without workshop A in the same round"
                assert (e.occurred_at.date() - a_at.date()).days >= GAP
                b_at, b_version = e.occurred_at, e.originator_version
            elif name == "ExcuseDecided" and e.accepted:
                a_at = a_version = b_at = b_version = None
            elif name == "EntryCorrected" and e.recorded_in_error:
                if e.corrects_version == a_version:
                    assert b_version is None, "workshop A struck out from under workshop B"
                    a_at = a_version = None
                elif e.corrects_version == b_version:
                    b_at = b_version = None
            elif name == "EntryCorrected" and e.corrected_occurred_at is not None:
                if e.corrects_version == a_version:
                    a_at = e.corrected_occurred_at
                elif e.corrects_version == b_version:
                    b_at = e.corrected_occurred_at
            if a_at is not None and b_at is not None:
                assert (b_at.date() - a_at.date()).days >= GAP
        c = self.caution
        assert (c.attended_a_at, c.attended_b_at) == (a_at, b_at)

    @invariant()
    def workshop_b_is_at_least_the_gap_after_a(self) -> None:
        c = self.caution
        if c.attended_b_at is not None:
            assert c.attended_a_at is not None
            assert (c.attended_b_at.date() - c.attended_a_at.date()).days >= c.conditions.min_days_between_workshops

    @invariant()
    def attendance_falls_inside_the_caution(self) -> None:
        c = self.caution
        for when in (c.attended_a_at, c.attended_b_at):
            if when is not None:
                assert c.issued_at <= when
                assert when.date() <= c.period_ends_on

    @invariant()
    def nothing_but_the_completion_contact_and_police_corrections_follow_a_terminal_event(self) -> None:
        """Until the closing entry is struck out as recorded in error, which re-opens the caution."""
        closed: Any = None
        for e in self.events:
            name = type(e).__name__
            if closed is None:
                if name in TERMINAL_EVENTS:
                    closed = e
                continue
            if name == "EntryCorrected":
                assert e.recorded_by == POLICE, "a closed caution corrected by someone other than the police"
                if e.recorded_in_error and e.corrects_version == closed.originator_version:
                    closed = None
                continue
            closing = type(closed).__name__
            assert closing == "Completed", f"{name} recorded after {closing}"
            assert name == "VictimContacted" and e.stage is ContactStage.ON_COMPLETION
        assert (self.caution.status in TERMINAL) is (closed is not None)
        assert self.caution.closing_entry == (closed.originator_version if closed is not None else None)

    @invariant()
    def completed_means_every_condition_was_met(self) -> None:
        c = self.caution
        if c.status is Status.COMPLETED:
            assert c.attended_a_at is not None
            assert c.attended_b_at is not None
            assert c.contacted_after_a
            assert c.final_at is not None and c.final_at >= c.attended_b_at
            assert c.conditions_met_by_facts  # nothing here re-times an entry of a closed caution

    @invariant()
    def a_struck_entry_is_struck_once_and_named_by_its_correction(self) -> None:
        c = self.caution
        struck = [(e.corrects_version, e.originator_version) for e in self.events
                  if type(e).__name__ == "EntryCorrected" and e.recorded_in_error]
        assert len({v for v, _ in struck}) == len(struck)
        assert [(s.corrects_entry, s.entry) for s in c.strikes] == struck

    @invariant()
    def a_contact_after_a_needs_workshop_a(self) -> None:
        first_a = None
        for e in self.events:
            name = type(e).__name__
            if name == "WorkshopAAttended" and first_a is None:
                first_a = e
            if name == "VictimContacted" and e.stage is ContactStage.AFTER_WORKSHOP_A:
                assert first_a is not None and first_a.originator_version < e.originator_version

    @invariant()
    def status_matches_the_facts(self) -> None:
        c = self.caution
        if c.final_status is None:
            assert c.status is (
                Status.EXCUSE_DECISION_PENDING if c.pending_miss is not None
                else Status.BREACH_REFERRED if c.breach_referred
                else Status.DEADLINE_PASSED if c.deadline_passed
                else Status.ACTIVE
            )

    @invariant()
    def first_contact_is_the_earliest_contact_made(self) -> None:
        """Without corrections (a strike or a new time changes which contact stands: unit tests check those)."""
        c = self.caution
        assert c.first_contact_attempts >= len(c.first_contacts)
        if any(type(e).__name__ == "EntryCorrected" for e in self.events):
            return
        made = [e.occurred_at for e in self.events
                if type(e).__name__ == "FirstContactRecorded" and e.outcome.is_contact]
        assert c.first_contact_at == min(made, default=None)

    def teardown(self) -> None:
        if not hasattr(self, "caution"):
            return
        c = self.caution
        replayed: Caution | None = None
        for e in self.events:
            replayed = e.mutate(replayed)
        assert replayed == c, "replaying the events does not rebuild the live caution"
        # a snapshot (if any) and the later events, no cache
        from_store: Caution = store().repository.get(c.id, version=c.version)
        assert from_store == c, "the caution loaded from the event store differs from the live one"
        assert store().get_caution(c.id) == c
        # coverage of the interesting paths (pytest --hypothesis-show-statistics)
        names = {type(e).__name__ for e in self.events}
        event(f"ended {c.status.value}")
        for name in ("WorkshopScheduled", "WorkshopAAttended", "VictimContacted", "WorkshopBAttended", "EntryCorrected",
                     "ExcuseDecided", "ConditionsVaried", "ComplianceDeadlinePassed", "FirstContactRecorded",
                     "WorkshopBookingCancelled"):
            if name in names:
                event(f"recorded {name}")
        for struck in c.strikes:
            event(f"struck out {struck.corrected_type}")
        if c.round > 1:
            event("second round")
        if c.contacted_on_completion:
            event("completion contact")
        if c.version > 20:
            event("snapshotted")


CautionMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCautionStateMachine = CautionMachine.TestCase
