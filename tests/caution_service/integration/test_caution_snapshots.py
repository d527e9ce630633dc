"""Snapshots written by an earlier shape of the Caution still load, and a change of shape cannot go unnoticed.

Each fixture holds 22 stored events of one caution and the snapshot taken at version 20, exactly as the
store holds them (the commit that wrote it is in the file). Version 1 was written before personal data was
sealed per person (issue 14): its events and snapshot hold a name in clear, and are refused rather than
read; version 2 is the same caution as it is recorded now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import CanMutateProtocol
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import StoreHoldsClearText
from services.caution_service.main import ClearTextStore, build_application
from tests.support import FakeClock

FIXTURES = Path(__file__).parents[2] / "fixtures"
CLEAR_TEXT = json.loads((FIXTURES / "caution-snapshot-v1.json").read_text())
FIXTURE = json.loads((FIXTURES / "caution-snapshot-v2.json").read_text())
CAUTION_ID = UUID(FIXTURE["caution_id"])
# The attributes a snapshot holds, per class_version; a new version's shape is added here with its upcaster.
STATE_SHAPES = {1: frozenset(CLEAR_TEXT["state_names"]), 2: frozenset(FIXTURE["state_names"])}
# Issue 17: what corrections after closure and a repeated round's own victim contact need.
STATE_SHAPES[3] = STATE_SHAPES[2] | {"strikes", "pending_miss_entry", "miss_at_close", "referred_misses",
                                     "closing_entry", "contact_after_a_at", "contact_after_a_entry"}
# Issue 18: the provider's first contact, and each miss's coded absence reason.
STATE_SHAPES[4] = STATE_SHAPES[3] | {"first_contacts", "first_contact_attempts", "absence_reasons"}
# Issue 19: the open safeguarding concerns, the current DASH risk, and a review due after a rise to high.
STATE_SHAPES[5] = STATE_SHAPES[4] | {"dash_risk", "concerns_open", "risk_review_due_since", "risk_review_entry"}


def _stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(CAUTION_ID, record["version"], record["topic"], record["state"].encode())


@pytest.fixture
def app(sqlite_url: str) -> CautionApplication:
    return build_application(Settings(environment="test", database_url=sqlite_url), FakeClock())


def test_a_caution_or_snapshot_holding_personal_data_in_clear_is_refused(app: CautionApplication) -> None:
    for record in (CLEAR_TEXT["events"][0], CLEAR_TEXT["snapshots"][0]):
        with pytest.raises(MapperDeserialisationError) as refused:
            _event(app, record)
        assert isinstance(refused.value.__cause__, StoreHoldsClearText)


def test_a_store_written_before_sealing_is_refused_at_start(sqlite_url: str) -> None:
    build_application(Settings(environment="test", database_url=sqlite_url), FakeClock()).recorder.insert_events(
        [_stored(record) for record in CLEAR_TEXT["events"]])
    with pytest.raises(ClearTextStore, match="README.md"):
        build_application(Settings(environment="test", database_url=sqlite_url), FakeClock())


def test_a_store_written_now_is_not_refused(sqlite_url: str) -> None:
    build_application(Settings(environment="test", database_url=sqlite_url), FakeClock()).recorder.insert_events(
        [_stored(record) for record in FIXTURE["events"]])
    assert build_application(Settings(environment="test", database_url=sqlite_url), FakeClock()).get_caution(
        CAUTION_ID).version == 22


def _event(app: CautionApplication, record: dict[str, Any]) -> CanMutateProtocol[Caution]:
    """A stored event or snapshot as the domain object that rebuilds a caution."""
    event = app.mapper.to_domain_event(_stored(record))
    assert isinstance(event, CanMutateProtocol)
    return event


def _replayed(app: CautionApplication) -> Caution:
    caution: Caution | None = None
    for record in FIXTURE["events"]:
        caution = _event(app, record).mutate(caution)
    assert isinstance(caution, Caution)
    return caution


def _state(caution: Caution) -> dict[str, Any]:
    return {name: value for name, value in vars(caution).items() if name != "_modified_on"}


# What a v2 snapshot cannot tell and its upcaster leaves unknown (None): the time of the round's after-A
# victim contact. Unknown counts as after A, as it was checked to be when recorded (Caution.contacted_after_this_a).
UNKNOWN_TO_V2 = {"contact_after_a_at"}


def _state_known_to_v2(caution: Caution) -> dict[str, Any]:
    return {name: value for name, value in _state(caution).items() if name not in UNKNOWN_TO_V2}


def test_a_snapshot_of_the_previous_shape_loads_as_the_state_its_events_give(app: CautionApplication) -> None:
    from_snapshot = _event(app, FIXTURE["snapshots"][0]).mutate(None)
    replayed = _replayed(app)
    at_twenty: Caution | None = None
    for record in FIXTURE["events"][:20]:
        at_twenty = _event(app, record).mutate(at_twenty)
    assert isinstance(from_snapshot, Caution) and from_snapshot.version == 20
    assert isinstance(at_twenty, Caution)
    assert _state_known_to_v2(from_snapshot) == _state_known_to_v2(at_twenty)
    assert from_snapshot.contact_after_a_at is None and from_snapshot.contacted_after_this_a
    assert set(vars(from_snapshot)) == set(vars(replayed))  # upcast to today's shape, whatever the version


def test_the_repository_loads_a_stored_previous_shape_snapshot_and_the_events_after_it(app: CautionApplication) -> None:
    app.recorder.insert_events([_stored(record) for record in FIXTURE["events"]])
    assert app.snapshots is not None
    app.snapshots.recorder.insert_events([_stored(record) for record in FIXTURE["snapshots"]])
    loaded = app.get_caution(CAUTION_ID)
    assert loaded.version == 22
    assert _state_known_to_v2(loaded) == _state_known_to_v2(_replayed(app))
    assert loaded.entries[-1] == "WorkshopBAttended" and len(loaded.entries) == 22


def test_the_state_has_the_shape_its_class_version_names() -> None:
    """Adding, renaming or dropping an attribute of Caution changes what snapshots hold: raise
    Caution.class_version, add `upcast_v<n>_v<n+1>` for the snapshots already stored, and add the
    new shape to STATE_SHAPES."""
    replayed = _replayed(build_application(Settings(environment="test", database_url="sqlite://"), FakeClock()))
    version = Caution.class_version
    assert version in STATE_SHAPES, f"add the shape of class_version {version} to STATE_SHAPES"
    assert set(vars(replayed)) == STATE_SHAPES[version], (
        "Caution's state changed shape: raise class_version and add an upcaster for stored snapshots")
    for older in range(1, version):
        assert hasattr(Caution, f"upcast_v{older}_v{older + 1}"), f"snapshots of version {older} cannot be loaded"


def test_a_snapshot_after_an_erasure_loads_with_it(app: CautionApplication) -> None:
    """The erasure and restriction notices are part of the state a snapshot holds (keyed by text: JSON)."""
    from services.caution_service.domain.values import DataProtectionBasis, Person, RecordedBy
    from tests.support import at

    app.recorder.insert_events([_stored(record) for record in FIXTURE["events"]])
    caution = app.get_caution(CAUTION_ID)
    admin = RecordedBy("dpo-1", "admin", "CAMBS")
    caution.restrict_processing(Person.VICTIM, "contested", DataProtectionBasis.RESTRICTION_ACCURACY,
                                recorded_at=at(200), recorded_by=admin)
    caution.erase_personal_data(Person.OFFENDER, "retention", DataProtectionBasis.RETENTION,
                                recorded_at=at(200), recorded_by=admin)
    app.save(caution)
    app.take_snapshot(CAUTION_ID)
    assert app.snapshots is not None
    stored = list(app.snapshots.get(CAUTION_ID))[-1]
    assert isinstance(stored, CanMutateProtocol) and stored.originator_version == caution.version
    snapshot = stored.mutate(None)
    assert isinstance(snapshot, Caution)
    assert snapshot.erased == caution.erased and snapshot.restricted == caution.restricted
