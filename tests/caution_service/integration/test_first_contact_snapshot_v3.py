"""A snapshot of class_version 3, written by the code before issue 18 (tests/fixtures/caution-snapshot-v3.json, the
commit in the file: a caution with workshop A missed, its excuse undecided), loads as v4: no first contact, no
attempts, no coded absence reasons; and the caution goes on from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.values import AbsenceReason, FirstContactMethod, FirstContactOutcome, RecordedBy
from services.caution_service.main import build_application
from tests.support import FakeClock, at

FIXTURE = json.loads((Path(__file__).parents[2] / "fixtures" / "caution-snapshot-v3.json").read_text())
CAUTION_ID = UUID(FIXTURE["caution_id"])
PROVIDER = RecordedBy("prov-7", "provider", "CAMBS")
POLICE = RecordedBy("SGT-1001", "police", "CAMBS")


def _stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(CAUTION_ID, record["version"], record["topic"], record["state"].encode())


@pytest.fixture
def app(sqlite_url: str) -> CautionApplication:
    app = build_application(Settings(environment="test", database_url=sqlite_url), FakeClock())
    app.recorder.insert_events([_stored(record) for record in FIXTURE["events"]])
    assert app.snapshots is not None
    app.snapshots.recorder.insert_events([_stored(record) for record in FIXTURE["snapshots"]])
    return app


def test_the_fixture_is_a_v3_snapshot() -> None:
    state = json.loads(FIXTURE["snapshots"][0]["state"])["state"]
    assert state["class_version"] == 3 and "first_contacts" not in state and Caution.class_version >= 4


def test_a_v3_snapshot_loads_with_no_first_contact_and_no_coded_reasons(app: CautionApplication) -> None:
    snapshot = app.mapper.to_domain_event(_stored(FIXTURE["snapshots"][0]))
    caution = snapshot.mutate(None)  # type: ignore[attr-defined]
    assert isinstance(caution, Caution) and caution.version == len(FIXTURE["events"])
    assert (caution.first_contacts, caution.first_contact_attempts, caution.absence_reasons) == ({}, 0, {})
    assert caution.first_contact_at is None and caution.pending_absence_reason is None
    replayed: Caution | None = None
    for record in FIXTURE["events"]:
        replayed = app.mapper.to_domain_event(_stored(record)).mutate(replayed)  # type: ignore[attr-defined]
    assert replayed is not None and set(vars(caution)) == set(vars(replayed))


def test_a_caution_loaded_from_a_v3_snapshot_goes_on(app: CautionApplication) -> None:
    caution = app.get_caution(CAUTION_ID)
    caution.record_first_contact(FirstContactMethod.PHONE, FirstContactOutcome.CONTACTED, occurred_at=at(11),
                                 recorded_at=at(11, 11), recorded_by=PROVIDER)
    caution.decide_excuse(True, "bus strike", occurred_at=at(12), recorded_at=at(12, 11), recorded_by=POLICE,
                          absence_reason=AbsenceReason.OTHER)
    app.save(caution)
    again = app.get_caution(CAUTION_ID)
    assert again.first_contact_at == at(11) and again.round == 2 and again.pending_miss is None
