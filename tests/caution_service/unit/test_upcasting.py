"""Stored events and snapshots survive: old event versions are upcast, values keep their types, snapshots round-trip."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import pytest
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain import values
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.values import (
    Booking,
    ConcernUrgency,
    Conditions,
    ContactOutcome,
    ContactStage,
    Correction,
    DataNotice,
    DataProtectionBasis,
    Gender,
    IssuingOfficer,
    MissAwaitingDecision,
    MissReason,
    Offence,
    OffenceCategory,
    Offender,
    OffenderIdentity,
    OffendingHistory,
    OpenConcern,
    Rank,
    RecordedBy,
    RegisterLine,
    RegisterOutcome,
    Relationship,
    RiskLevel,
    SafeguardingCategory,
    SessionBooking,
    Victim,
    Workshop,
)
from services.caution_service.main import build_application
from tests.support import FakeClock

from .builders import A_DAY, LATER, PROVIDER, at, book, completed, issued, miss

T = TypeVar("T")


def make_app(url: str) -> CautionApplication:
    return build_application(Settings(environment="test", database_url=url), FakeClock())


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cautions.sqlite3"


@pytest.fixture
def app(db_url: str) -> Iterator[CautionApplication]:
    application = make_app(db_url)
    yield application
    application.close()


# ----- upcasting WorkshopMissed v1 -> v2 ----------------------------------------------------------


def v1_workshop_missed(app: CautionApplication, caution: Caution, late: bool) -> StoredEvent:
    """A WorkshopMissed as the first release stored it: `late: bool`, no `reason`, no class_version."""
    state = {
        "timestamp": at(A_DAY) + LATER,
        "workshop": Workshop.A,
        "late": late,
        "note": "arrived 20 minutes after the start",
        "occurred_at": at(A_DAY),
        "recorded_at": at(A_DAY) + LATER,
        "recorded_by": PROVIDER,
    }
    assert app.mapper.cipher is None and app.mapper.compressor is None
    return StoredEvent(
        originator_id=caution.id,
        originator_version=caution.version + 1,
        topic=get_topic(Caution.WorkshopMissed),
        state=app.mapper.transcoder.encode(state),
    )


def saved_with_a_booked(app: CautionApplication) -> Caution:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    app.save(c)
    return c


@pytest.mark.parametrize(("late", "reason"), [(True, MissReason.ARRIVED_LATE), (False, MissReason.DID_NOT_ATTEND)])
def test_a_v1_workshop_missed_is_upcast_to_a_named_reason(
    app: CautionApplication, late: bool, reason: MissReason
) -> None:
    c = saved_with_a_booked(app)
    stored = v1_workshop_missed(app, c, late)
    assert b"class_version" not in stored.state
    app.recorder.insert_events([stored])

    loaded = app.get_caution(c.id)
    assert loaded.version == 3
    assert loaded.pending_miss is Workshop.A
    event = list(app.events.get(c.id))[-1]
    assert isinstance(event, Caution.WorkshopMissed)
    assert event.reason is reason
    assert "late" not in vars(event)
    assert event.note == "arrived 20 minutes after the start"
    assert event.recorded_by == PROVIDER


def test_a_caution_with_an_upcast_miss_carries_on_with_current_commands(app: CautionApplication) -> None:
    c = saved_with_a_booked(app)
    app.recorder.insert_events([v1_workshop_missed(app, c, True)])
    saved = app.change(c.id, lambda caution: caution.decide_excuse(
        True, "bus broke down", occurred_at=at(A_DAY + 1), recorded_at=at(A_DAY + 1), recorded_by=PROVIDER))
    assert saved.caution.round == 2
    assert app.get_caution(c.id).version == 4


def test_a_new_workshop_missed_is_stored_as_version_2_with_its_reason(app: CautionApplication) -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY, MissReason.LEFT_EARLY)
    app.save(c)
    stored = app.recorder.select_events(c.id, gt=2)[0]
    state = json.loads(stored.state)
    assert state["class_version"] == 2
    assert "late" not in state
    last = list(app.events.get(c.id))[-1]
    assert isinstance(last, Caution.WorkshopMissed) and last.reason is MissReason.LEFT_EARLY


# ----- transcoding --------------------------------------------------------------------------------

SAMPLES: dict[type, Any] = {
    RecordedBy: RecordedBy("u1", "provider", "CAMBS"),
    Offender: Offender("PNC-1", "p1.key.c2VhbGVk"),
    OffenderIdentity: OffenderIdentity("Alex Example", date(1990, 5, 17), Gender.FEMALE),
    DataNotice: DataNotice(date(2027, 1, 1), "retention period over", DataProtectionBasis.RETENTION),
    Offence: Offence(OffenceCategory.HARASSMENT, date(2026, 2, 1), "messages", Relationship.FORMER_PARTNER,
                     True, True, "CPS"),
    OffendingHistory: OffendingHistory(date(2021, 1, 1), False),
    Victim: Victim("V-1", RiskLevel.MEDIUM, True, True),
    IssuingOfficer: IssuingOfficer("INSP-1", "Insp Jones", Rank.INSPECTOR, True),
    Conditions: Conditions(100, 10, 30),
    Booking: Booking(at(12, 18), "Cambridge Hub", "a-session-id"),
    SessionBooking: SessionBooking("a-caution-id", "lives as a woman; agreed with the facilitators"),
    RegisterLine: RegisterLine("a-caution-id", RegisterOutcome.SENT_HOME),
    MissAwaitingDecision: MissAwaitingDecision(Workshop.B, 7),
    Correction: Correction(9, 3, "WorkshopAAttended", "wrong day entered", False, at(10, 19)),
    OpenConcern: OpenConcern(4, SafeguardingCategory.THREAT_BY_OFFENDER, ConcernUrgency.URGENT, at(11, 15)),
}


def classes_in_values(kind: type[T]) -> list[type[T]]:
    return [
        obj for obj in vars(values).values()
        if isinstance(obj, type) and obj.__module__ == values.__name__ and issubclass(obj, kind) and obj is not kind
    ]


def dataclasses_in_values() -> list[type]:
    return [
        obj for obj in vars(values).values()
        if isinstance(obj, type) and obj.__module__ == values.__name__ and dataclasses.is_dataclass(obj)
    ]


def round_trip(app: CautionApplication, obj: Any) -> Any:
    return app.mapper.transcoder.decode(app.mapper.transcoder.encode(obj))


def test_there_is_a_sample_for_every_dataclass_in_values() -> None:
    assert set(SAMPLES) == set(dataclasses_in_values())


@pytest.mark.parametrize("member", [m for cls in classes_in_values(Enum) for m in cls], ids=str)
def test_every_enum_member_comes_back_as_itself(app: CautionApplication, member: Enum) -> None:
    back = round_trip(app, {"value": member, "in_list": [member]})
    assert back["value"] is member
    assert back["in_list"][0] is member


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda cls: cls.__name__)
def test_every_value_object_comes_back_equal_with_typed_fields(app: CautionApplication, cls: type) -> None:
    sample = SAMPLES[cls]
    back = round_trip(app, {"value": sample})["value"]
    assert type(back) is cls
    assert back == sample
    for field in dataclasses.fields(cls):
        original, restored = getattr(sample, field.name), getattr(back, field.name)
        assert type(restored) is type(original), f"{cls.__name__}.{field.name} came back as {type(restored)}"


def test_dates_and_datetimes_keep_their_types(app: CautionApplication) -> None:
    back = round_trip(app, {"d": date(2026, 3, 2), "dt": at(3)})
    assert type(back["d"]) is date and back["d"] == date(2026, 3, 2)
    assert type(back["dt"]) is datetime and back["dt"] == at(3)


def test_every_event_of_a_full_lifecycle_survives_the_mapper(app: CautionApplication) -> None:
    c = completed()
    for event in c.collect_events():
        back = app.mapper.to_domain_event(app.mapper.to_stored_event(event))
        assert type(back) is type(event)
        assert vars(back) == vars(event)


# ----- snapshots ----------------------------------------------------------------------------------


def with_many_events(total: int) -> Caution:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    day = 0
    while c.version < total:
        day += 1
        book(c, Workshop.A, A_DAY + day % 5, on=1, reason=f"moved again ({day})")
    return c


def test_snapshotting_interval_is_every_20_events() -> None:
    assert CautionApplication.snapshotting_intervals == {Caution: 20}


def test_a_caution_with_more_than_20_events_is_snapshotted_and_reloads_equal(
    app: CautionApplication, db_url: str
) -> None:
    c = with_many_events(25)
    c.attend_workshop_a(occurred_at=at(A_DAY + 1), recorded_at=at(A_DAY + 1), recorded_by=PROVIDER,
                        reason_not_on_booked_day="came to another session")
    app.save(c)

    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(c.id))
    assert [s.originator_version for s in snapshots] == [20]

    fresh = make_app(db_url)  # no aggregate cache: snapshot at 20 plus the events after it
    try:
        reloaded = fresh.get_caution(c.id)
    finally:
        fresh.close()
    assert reloaded == c
    assert reloaded.version == 26


def test_the_snapshot_holds_the_same_state_as_replaying_the_first_20_events(app: CautionApplication) -> None:
    c = with_many_events(22)
    app.save(c)
    assert app.snapshots is not None
    snapshot = list(app.snapshots.get(c.id))[0]
    assert isinstance(snapshot, Snapshot)
    from_snapshot = snapshot.mutate(None)
    replayed: Caution | None = None
    for event in app.events.get(c.id, lte=20):
        assert isinstance(event, Aggregate.Event)
        replayed = event.mutate(replayed)
    assert from_snapshot == replayed
    assert isinstance(from_snapshot, Caution)
    assert isinstance(from_snapshot.booking_a, Booking)
    assert isinstance(from_snapshot.conditions, Conditions)
    assert type(from_snapshot.period_ends_on) is date


# ----- Caution snapshots v2 -> v3 (issue 17) ---------------------------------------------------------

V3_ONLY = ("strikes", "pending_miss_entry", "miss_at_close", "referred_misses", "closing_entry",
           "contact_after_a_at", "contact_after_a_entry")


def as_v2_snapshot_state(c: Caution) -> dict[str, Any]:
    """The caution's state as a v2 snapshot held it: without what v3 added."""
    return {name: value for name, value in vars(c).items() if name not in V3_ONLY}


def test_a_v2_snapshot_of_a_closed_caution_knows_its_closing_entry() -> None:
    c = completed()
    state = as_v2_snapshot_state(c)
    Caution.upcast_v2_v3(state)
    assert state["closing_entry"] == c.closing_entry == 7
    assert state["strikes"] == [] and state["referred_misses"] == []


def test_a_v2_snapshot_with_a_miss_awaiting_a_decision_knows_which_entry_it_is() -> None:
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    miss(c, Workshop.A, A_DAY)
    state = as_v2_snapshot_state(c)
    Caution.upcast_v2_v3(state)
    assert state["pending_miss_entry"] == c.pending_miss_entry == 3


def test_a_v2_snapshot_of_a_repeated_round_counts_only_that_rounds_contact() -> None:
    """v2 let the first round's contact count in the next; v3 asks for the round's own (DOMAIN.md)."""
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)
    c.attend_workshop_a(occurred_at=at(A_DAY), recorded_at=at(A_DAY) + LATER, recorded_by=PROVIDER)
    c.contact_victim(ContactStage.AFTER_WORKSHOP_A, ContactOutcome.CONTACTED, False, None,
                     occurred_at=at(A_DAY + 1), recorded_at=at(A_DAY + 1), recorded_by=PROVIDER)
    book(c, Workshop.B, A_DAY + 30, on=A_DAY + 1)
    miss(c, Workshop.B, A_DAY + 30)
    c.decide_excuse(True, "ill", occurred_at=at(A_DAY + 31), recorded_at=at(A_DAY + 31), recorded_by=PROVIDER)
    state = {**as_v2_snapshot_state(c), "contacted_after_a": True}  # as v2 kept it
    Caution.upcast_v2_v3(state)
    assert state["contacted_after_a"] is False and state["contact_after_a_entry"] is None
