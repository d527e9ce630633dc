"""The same application scenarios on SQLite and on PostgreSQL: only the database URL changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, Snapshot

from services.caution_service.application import (
    MAX_ATTEMPTS,
    CautionApplication,
    CautionNotFound,
    ConcurrentChange,
    DuplicateInFlight,
    StaleVersion,
)
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState
from services.caution_service.domain.values import Booking, BreachOutcome, ContactStage, MissReason, Status, Workshop
from services.caution_service.idempotency import Receipt, StoredResponse
from services.caution_service.time_axes import Axes, caution_then
from tests.caution_service.unit.builders import (
    A_DAY,
    B_DAY,
    PROVIDER,
    at,
    attend_a,
    attend_b,
    book,
    breach,
    complete,
    contact,
    decide,
    issue_kwargs,
    miss,
)


def issue(app: CautionApplication, receipt: Receipt | None = None) -> UUID:
    return app.issue(lambda: Caution.issue(**issue_kwargs()), receipt).caution.id


def rebook_a(n: int) -> Callable[[Caution], None]:
    return lambda c: book(c, Workshop.A, A_DAY + n % 3, on=1 + n, reason=f"moved {n}")


def step(app: CautionApplication, caution_id: UUID, command: Callable[[Caution], None], **kwargs: Any) -> Caution:
    return app.change(caution_id, command, **kwargs).caution


def through_workshop_a(app: CautionApplication, caution_id: UUID) -> None:
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    step(app, caution_id, lambda c: attend_a(c, A_DAY))
    step(app, caution_id, lambda c: contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 2))


def receipt(key: str, render: Callable[[Any, int | None], StoredResponse] | None = None) -> Receipt:
    def ok(caution: Any, position: int | None) -> StoredResponse:
        return StoredResponse(200, {"id": str(caution.id), "version": caution.version, "position": position})

    return Receipt("CAMBS/provider/prov-7", key, "fingerprint-" + key, render or ok)


def failing_render(caution: Any, position: int | None) -> StoredResponse:
    raise RuntimeError("rendering the response failed")


# ----- lifecycles ---------------------------------------------------------------------------------


def test_full_lifecycle_is_recorded_and_reloads_in_another_process(
    app: CautionApplication, open_app: Callable[[], CautionApplication]
) -> None:
    caution_id = issue(app)
    through_workshop_a(app, caution_id)
    step(app, caution_id, lambda c: book(c, Workshop.B, B_DAY, on=A_DAY + 3))
    step(app, caution_id, lambda c: attend_b(c, B_DAY))
    step(app, caution_id, lambda c: complete(c, B_DAY + 1))
    done = step(app, caution_id, lambda c: contact(c, ContactStage.ON_COMPLETION, B_DAY + 3))

    assert done.status is Status.COMPLETED
    assert done.contacted_on_completion
    assert done.version == 8
    other = open_app()
    assert other.get_caution(caution_id) == done
    assert [type(e).__name__ for e in other.events.get(caution_id)] == [
        "Issued", "WorkshopScheduled", "WorkshopAAttended", "VictimContacted", "WorkshopScheduled",
        "WorkshopBAttended", "Completed", "VictimContacted",
    ]


def test_an_accepted_excuse_restarts_both_workshops(app: CautionApplication) -> None:
    caution_id = issue(app)
    through_workshop_a(app, caution_id)
    step(app, caution_id, lambda c: book(c, Workshop.B, B_DAY, on=A_DAY + 3))
    step(app, caution_id, lambda c: miss(c, Workshop.B, B_DAY, MissReason.ARRIVED_LATE))
    assert app.get_caution(caution_id).status is Status.EXCUSE_DECISION_PENDING

    restarted = step(app, caution_id, lambda c: decide(c, True, B_DAY + 1))
    assert restarted.round == 2
    assert (restarted.booking_a, restarted.attended_a_at, restarted.booking_b, restarted.attended_b_at) == (
        None, None, None, None)

    step(app, caution_id, lambda c: book(c, Workshop.A, B_DAY + 3, on=B_DAY + 2))
    step(app, caution_id, lambda c: attend_a(c, B_DAY + 3))
    step(app, caution_id, lambda c: contact(c, ContactStage.AFTER_WORKSHOP_A, B_DAY + 4))  # the round's own contact
    step(app, caution_id, lambda c: book(c, Workshop.B, B_DAY + 31, on=B_DAY + 4))
    step(app, caution_id, lambda c: attend_b(c, B_DAY + 31))
    done = step(app, caution_id, lambda c: complete(c, B_DAY + 32))
    assert done.status is Status.COMPLETED
    assert app.get_caution(caution_id).attended_a_at == at(B_DAY + 3)


def test_a_rejected_excuse_is_referred_and_then_breached(app: CautionApplication) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    step(app, caution_id, lambda c: miss(c, Workshop.A, A_DAY))
    referred = step(app, caution_id, lambda c: decide(c, False, A_DAY + 1))
    assert referred.status is Status.BREACH_REFERRED

    breached = step(app, caution_id, lambda c: breach(c, A_DAY + 5, BreachOutcome.PROSECUTE))
    assert breached.status is Status.BREACHED
    assert breached.breach_outcome is BreachOutcome.PROSECUTE
    assert app.get_caution(caution_id).status is Status.BREACHED


# ----- as of a past time (time_axes.caution_then, as the routes read it) -----------------------------


def _as_of(app: CautionApplication, caution_id: UUID, moment: datetime) -> Caution:
    then = caution_then(list(app.events.get(caution_id)), app.get_caution(caution_id), Axes.given(moment, None),
                        lambda v: app.repository.get(caution_id, version=v)).caution
    assert then is not None
    return then


def _version_as_of(app: CautionApplication, caution_id: UUID, moment: datetime) -> int:
    return _as_of(app, caution_id, moment).version


def test_as_of_returns_the_caution_as_recorded_at_that_time(app: CautionApplication) -> None:
    caution_id = issue(app)  # recorded at T0 + 1h
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))  # recorded day 1 + 1h
    step(app, caution_id, lambda c: attend_a(c, A_DAY))  # recorded day 10 + 1h

    assert _version_as_of(app, caution_id, at(0) + timedelta(hours=1)) == 1
    assert _version_as_of(app, caution_id, at(5)) == 2
    before_attendance = _as_of(app, caution_id, at(A_DAY) + timedelta(minutes=59))
    assert before_attendance.booking_a is not None and before_attendance.attended_a_at is None
    assert _as_of(app, caution_id, at(A_DAY) + timedelta(hours=1)).attended_a_at == at(A_DAY)
    assert _as_of(app, caution_id, at(100)) == app.get_caution(caution_id)


def test_as_of_goes_by_when_it_was_recorded_not_when_it_happened(app: CautionApplication) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    # attendance on day 10, but only recorded on day 20
    step(app, caution_id, lambda c: attend_a(c, A_DAY, recorded_at=at(A_DAY + 10)))
    assert _as_of(app, caution_id, at(A_DAY + 5)).attended_a_at is None
    assert _as_of(app, caution_id, at(A_DAY + 10)).attended_a_at == at(A_DAY)


def test_as_of_before_the_caution_was_recorded_says_so(app: CautionApplication) -> None:
    caution_id = issue(app)
    then = caution_then(list(app.events.get(caution_id)), app.get_caution(caution_id), Axes.given(at(0), None),
                        lambda v: app.repository.get(caution_id, version=v))
    assert then.caution is None and then.head == 0 and then.statement is not None


def test_as_of_sees_past_a_snapshot(app: CautionApplication) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    def move(n: int) -> Callable[[Caution], None]:
        return lambda c: c.schedule_workshop(
            Workshop.A, Booking(at(A_DAY + n % 3), "Hall"), f"moved {n}",
            occurred_at=at(1 + n), recorded_at=at(1 + n), recorded_by=PROVIDER)

    for n in range(1, 23):  # versions 3..24: a snapshot is taken at 20
        step(app, caution_id, move(n))
    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(caution_id)] == [20]
    assert _version_as_of(app, caution_id, at(5)) == 6
    assert _version_as_of(app, caution_id, at(22)) == 23


def test_save_records_what_the_librarys_own_save_records(app: CautionApplication) -> None:
    """CautionApplication.save collects a caution's events itself (a faster class check); the record is the same."""
    ours, theirs = Caution.issue(**issue_kwargs()), Caution.issue(**issue_kwargs())
    for caution in (ours, theirs):
        book(caution, Workshop.A, A_DAY, on=1)
    mine = app.save(ours)
    library = Application.save(app, theirs)
    shape = lambda recordings: [(type(r.domain_event).__qualname__, r.domain_event.originator_version)  # noqa: E731
                                for r in recordings]
    assert shape(mine) == shape(library) == [("Caution.Issued", 1), ("Caution.WorkshopScheduled", 2)]
    assert [r.notification.id for r in mine] == sorted(r.notification.id for r in mine)
    assert ours.collect_events() == []  # nothing left pending to be saved twice
    assert app.get_caution(ours.id).version == app.get_caution(theirs.id).version == 2


def test_one_save_of_many_cautions_gives_each_event_its_own_position(app: CautionApplication) -> None:
    """The bulk insert maps positions back by (caution, version), so each recording names its own event."""
    cautions = [Caution.issue(**issue_kwargs()) for _ in range(7)]
    for caution in cautions[::2]:
        book(caution, Workshop.A, A_DAY, on=1)  # some cautions carry two events in the one insert
    recordings = app.save(*cautions)
    stored = {n.id: (n.originator_id, n.originator_version)
              for n in app.recorder.select_notifications(start=1, limit=100)}
    assert len(recordings) == 11
    for r in recordings:
        assert stored[r.notification.id] == (r.domain_event.originator_id, r.domain_event.originator_version)
    positions = [r.notification.id for r in recordings]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


# ----- idempotency, saved in the same transaction as the events -----------------------------------


def test_a_receipt_is_stored_with_the_events_it_answers_for(app: CautionApplication) -> None:
    caution_id = issue(app)
    saved = app.change(caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1), receipt=receipt("k-1"))
    assert saved.response == StoredResponse(200, {"id": str(caution_id), "version": 2, "position": saved.position})
    record = app.idempotency.find("CAMBS/provider/prov-7", "k-1")
    assert record is not None
    assert record.status_code == 200
    assert record.fingerprint != "fingerprint-k-1" and record.fingerprint_key == "dev"  # keyed, never the digest
    assert app.idempotency.same_request(record, receipt("k-1"))


def test_a_receipt_whose_render_raises_leaves_no_events_and_no_record(app: CautionApplication) -> None:
    caution_id = issue(app)
    with pytest.raises(RuntimeError):
        app.change(caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1), receipt=receipt("k-2", failing_render))
    assert app.get_caution(caution_id).version == 1
    assert len(list(app.events.get(caution_id))) == 1
    assert app.idempotency.find("CAMBS/provider/prov-7", "k-2") is None
    # the same command then succeeds
    assert app.change(caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1)).caution.version == 2


def test_issuing_with_a_receipt_whose_render_raises_saves_no_caution(app: CautionApplication) -> None:
    made: list[Caution] = []

    def make() -> Caution:
        made.append(Caution.issue(**issue_kwargs()))
        return made[0]

    with pytest.raises(RuntimeError):
        app.issue(make, receipt("k-3", failing_render))
    with pytest.raises(CautionNotFound):
        app.get_caution(made[0].id)
    assert app.recorder.max_notification_id() is None


def test_a_second_command_under_a_used_key_saves_nothing(app: CautionApplication) -> None:
    caution_id = issue(app)
    app.change(caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1), receipt=receipt("k-4"))
    with pytest.raises(DuplicateInFlight):
        app.change(caution_id, lambda c: attend_a(c, A_DAY), receipt=receipt("k-4"))
    assert app.get_caution(caution_id).version == 2


def test_issuing_under_a_used_key_saves_no_second_caution(app: CautionApplication) -> None:
    issue(app, receipt("k-5"))
    second = Caution.issue(**issue_kwargs())
    with pytest.raises(DuplicateInFlight):
        app.issue(lambda: second, receipt("k-5"))
    with pytest.raises(CautionNotFound):
        app.get_caution(second.id)


# ----- concurrent changes -------------------------------------------------------------------------


def test_a_change_that_loses_a_race_is_retried_on_the_new_version(
    app: CautionApplication, open_app: Callable[[], CautionApplication]
) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    other = open_app()  # another process
    calls: list[int] = []

    def attend_while_someone_else_contacts(c: Caution) -> None:
        calls.append(c.version)
        if len(calls) == 1:
            step(other, caution_id, lambda o: o.vary_conditions(
                at(130).date(), "illness", "INSP-1", occurred_at=at(3), recorded_at=at(3), recorded_by=PROVIDER))
        attend_a(c, A_DAY)

    saved = app.change(caution_id, attend_while_someone_else_contacts)
    assert calls == [2, 3]
    assert saved.caution.version == 4
    names = [type(e).__name__ for e in app.events.get(caution_id)]
    assert names == ["Issued", "WorkshopScheduled", "ConditionsVaried", "WorkshopAAttended"]
    assert other.get_caution(caution_id) == app.get_caution(caution_id)


def test_a_change_that_loses_a_race_is_checked_again_against_the_new_state(
    app: CautionApplication, open_app: Callable[[], CautionApplication]
) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    other = open_app()
    calls: list[int] = []

    def attend_while_someone_else_withdraws(c: Caution) -> None:
        calls.append(c.version)
        if len(calls) == 1:
            step(other, caution_id, lambda o: o.withdraw("appeal", occurred_at=at(3), recorded_at=at(3),
                                                           recorded_by=PROVIDER))
        attend_a(c, A_DAY)

    with pytest.raises(ConflictsWithState):
        app.change(caution_id, attend_while_someone_else_withdraws)
    assert app.get_caution(caution_id).status is Status.WITHDRAWN


def test_a_change_with_an_expected_version_that_loses_a_race_is_stale(
    app: CautionApplication, open_app: Callable[[], CautionApplication]
) -> None:
    caution_id = issue(app)
    other = open_app()

    def book_while_someone_else_books(c: Caution) -> None:
        step(other, caution_id, lambda o: book(o, Workshop.A, A_DAY + 1, on=1))
        book(c, Workshop.A, A_DAY, on=1)

    with pytest.raises(StaleVersion) as stale:
        app.change(caution_id, book_while_someone_else_books, expected_version=1, receipt=receipt("k-6"))
    assert (stale.value.expected, stale.value.actual) == (1, 2)
    assert app.idempotency.find("CAMBS/provider/prov-7", "k-6") is None
    booking = app.get_caution(caution_id).booking_a
    assert booking is not None and booking.session_at == at(A_DAY + 1)


def test_a_stale_expected_version_is_refused_before_the_command_runs(app: CautionApplication) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    with pytest.raises(StaleVersion):
        app.change(caution_id, lambda c: pytest.fail("the command must not run"), expected_version=1)


def test_a_change_that_keeps_losing_races_gives_up(
    app: CautionApplication, open_app: Callable[[], CautionApplication]
) -> None:
    caution_id = issue(app)
    other = open_app()
    calls: list[int] = []

    def always_overtaken(c: Caution) -> None:
        calls.append(c.version)
        day = len(calls) + 1
        step(other, caution_id, lambda o: o.vary_conditions(
            at(120 + day).date(), "again", "INSP-1", occurred_at=at(day), recorded_at=at(day), recorded_by=PROVIDER))
        c.vary_conditions(at(110).date(), "mine", "INSP-2", occurred_at=at(day), recorded_at=at(day),
                          recorded_by=PROVIDER)

    with pytest.raises(ConcurrentChange):
        app.change(caution_id, always_overtaken)
    assert len(calls) == MAX_ATTEMPTS
    assert app.get_caution(caution_id).version == 1 + MAX_ATTEMPTS


def test_a_missing_caution_is_not_found(app: CautionApplication) -> None:
    with pytest.raises(CautionNotFound):
        app.get_caution(uuid4())
    with pytest.raises(CautionNotFound):
        app.change(uuid4(), lambda c: None)


def test_a_snapshot_is_taken_from_the_caution_in_hand_and_equals_one_made_by_replaying_the_store(
    app: CautionApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot due at version 20 is made from the caution just saved, without reading the store back,
    and stores the same state as the library's way: replaying the 20 events and snapshotting the result."""
    caution_id = issue(app)
    commands: list[Callable[[Caution], None]] = [
        lambda c: book(c, Workshop.A, A_DAY, on=1), lambda c: miss(c, Workshop.A, A_DAY),
        lambda c: decide(c, True, A_DAY + 1), lambda c: book(c, Workshop.A, A_DAY + 10, on=A_DAY + 2),
        lambda c: attend_a(c, A_DAY + 10),
        lambda c: contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 12, concern=True),
        lambda c: c.correct(6, "register said 19:00", at(A_DAY + 10) + timedelta(hours=1), recorded_at=at(A_DAY + 13),
                            recorded_by=PROVIDER),
        lambda c: book(c, Workshop.B, B_DAY + 10, on=A_DAY + 13),
    ]
    def rebook_b(n: int) -> Callable[[Caution], None]:
        return lambda c: book(c, Workshop.B, B_DAY + 10 + n % 3, on=A_DAY + 13 + n, reason=f"venue {n}")

    commands += [rebook_b(n) for n in range(1, 11)]
    commands.append(lambda c: c.vary_conditions((at(0) + timedelta(days=130)).date(), "provider sickness", "INSP-9",
                                                occurred_at=at(A_DAY + 25), recorded_at=at(A_DAY + 25),
                                                recorded_by=PROVIDER))
    for command in commands[:-1]:
        step(app, caution_id, command)
    assert app.snapshots is not None and list(app.snapshots.get(caution_id)) == []

    def no_store_read(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the snapshot was made by reading the caution back from the store")

    monkeypatch.setattr(app, "take_snapshot", no_store_read)
    assert step(app, caution_id, commands[-1]).version == 20

    [stored] = app.snapshots.get(caution_id)
    replayed: Caution | None = None
    for event in app.events.get(caution_id, lte=20):
        assert isinstance(event, Aggregate.Event)
        replayed = event.mutate(replayed)
    assert replayed is not None
    library = app.mapper.to_domain_event(app.mapper.to_stored_event(Caution.Snapshot.take(replayed)))
    assert isinstance(stored, Snapshot) and isinstance(library, Snapshot)
    assert stored.originator_version == library.originator_version == 20
    assert stored.state == library.state
    assert stored.state["round"] == 2 and stored.state["safeguarding_concern"] is True  # a state worth comparing
    assert vars(app.repository.get(caution_id)) == vars(replayed)  # read through the snapshot: the same caution


def test_a_save_whose_due_snapshot_is_not_its_last_event_snapshots_the_library_way(app: CautionApplication) -> None:
    caution_id = issue(app)
    step(app, caution_id, lambda c: book(c, Workshop.A, A_DAY, on=1))
    for n in range(1, 18):  # versions 3..19
        step(app, caution_id, rebook_a(n))

    def two_events(c: Caution) -> None:  # versions 20 and 21 in one save: the snapshot is due at 20
        book(c, Workshop.A, A_DAY, on=20, reason="back to the first date")
        attend_a(c, A_DAY)

    assert step(app, caution_id, two_events).version == 21
    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(caution_id)] == [20]
    assert app.repository.get(caution_id).version == 21
