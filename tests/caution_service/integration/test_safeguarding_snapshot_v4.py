"""A snapshot of class_version 4, written by the code before issue 19 (tests/fixtures/caution-snapshot-v4.json,
the commit in the file: workshop A attended and a victim contact recorded with a safeguarding concern), loads as v5:
no open concerns (none could be raised as an event before v5), no review due, and the current DASH risk the one the
caution was issued with; and the caution goes on from it."""

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
from services.caution_service.domain.values import (
    ConcernSource,
    ConcernUrgency,
    RecordedBy,
    RiskLevel,
    SafeguardingCategory,
)
from services.caution_service.main import build_application
from tests.support import FakeClock, at

FIXTURE = json.loads((Path(__file__).parents[2] / "fixtures" / "caution-snapshot-v4.json").read_text())
CAUTION_ID = UUID(FIXTURE["caution_id"])
POLICE = RecordedBy("SGT-1001", "police", "CAMBS")
VICTIM_SERVICE = RecordedBy("vcs-3", "victim_contact", "CAMBS")


def _stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(CAUTION_ID, record["version"], record["topic"], record["state"].encode())


@pytest.fixture
def app(sqlite_url: str) -> CautionApplication:
    app = build_application(Settings(environment="test", database_url=sqlite_url), FakeClock())
    app.recorder.insert_events([_stored(record) for record in FIXTURE["events"]])
    assert app.snapshots is not None
    app.snapshots.recorder.insert_events([_stored(record) for record in FIXTURE["snapshots"]])
    return app


def test_the_fixture_is_a_v4_snapshot_written_before_issue_19() -> None:
    state = json.loads(FIXTURE["snapshots"][0]["state"])["state"]
    assert FIXTURE["written_by"] == "8257757"
    assert state["class_version"] == 4 and "concerns_open" not in state and Caution.class_version == 5
    assert state["safeguarding_concern"] is True  # the flag a contact set: no event told the police


def test_a_v4_snapshot_loads_with_no_open_concern_no_review_and_the_risk_issued(app: CautionApplication) -> None:
    snapshot = app.mapper.to_domain_event(_stored(FIXTURE["snapshots"][0]))
    caution = snapshot.mutate(None)  # type: ignore[attr-defined]
    assert isinstance(caution, Caution) and caution.version == len(FIXTURE["events"])
    assert (caution.open_concerns, caution.risk_review_due_since, caution.risk_review_entry) == ({}, None, None)
    assert caution.dash_risk is caution.victim.dash_risk is RiskLevel.STANDARD
    replayed: Caution | None = None
    for record in FIXTURE["events"]:
        replayed = app.mapper.to_domain_event(_stored(record)).mutate(replayed)  # type: ignore[attr-defined]
    assert replayed is not None and set(vars(caution)) == set(vars(replayed))
    assert {name: value for name, value in vars(caution).items() if name != "_modified_on"} == {
        name: value for name, value in vars(replayed).items() if name != "_modified_on"}


def test_a_caution_loaded_from_a_v4_snapshot_goes_on(app: CautionApplication) -> None:
    caution = app.get_caution(CAUTION_ID)
    caution.raise_safeguarding_concern(SafeguardingCategory.RISK_TO_VICTIM, ConcernUrgency.URGENT,
                                       ConcernSource.VICTIM_CONTACT, None, occurred_at=at(13), recorded_at=at(13, 11),
                                       recorded_by=VICTIM_SERVICE)
    caution.reassess_risk(RiskLevel.HIGH, "new threats", occurred_at=at(13), recorded_at=at(13, 11),
                          recorded_by=POLICE)
    app.save(caution)
    again = app.get_caution(CAUTION_ID)
    concern = len(FIXTURE["events"]) + 1
    assert again.open_concerns == {concern: ("risk_to_victim", "urgent", at(13))}
    assert again.dash_risk is RiskLevel.HIGH and again.risk_review_due_since == at(13)


def test_a_v5_snapshot_keeps_the_open_concerns_the_risk_and_the_review(app: CautionApplication) -> None:
    caution = app.get_caution(CAUTION_ID)
    caution.raise_safeguarding_concern(SafeguardingCategory.OFFENDER_SELF_HARM, ConcernUrgency.ROUTINE,
                                       ConcernSource.VICTIM_CONTACT, None, occurred_at=at(13), recorded_at=at(13, 11),
                                       recorded_by=VICTIM_SERVICE)
    caution.reassess_risk(RiskLevel.HIGH, "new threats", occurred_at=at(14), recorded_at=at(14, 11),
                          recorded_by=POLICE)
    app.save(caution)
    app.take_snapshot(CAUTION_ID)
    assert app.snapshots is not None
    snapshot = list(app.snapshots.get(CAUTION_ID))[-1].mutate(None)  # type: ignore[attr-defined]
    assert isinstance(snapshot, Caution) and snapshot.version == caution.version
    assert snapshot.open_concerns == caution.open_concerns and snapshot.concerns_open == caution.concerns_open
    assert (snapshot.dash_risk, snapshot.risk_review_due_since, snapshot.risk_review_entry) == (
        RiskLevel.HIGH, at(14), caution.version)
