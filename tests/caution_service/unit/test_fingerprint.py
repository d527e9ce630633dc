"""Idempotency fingerprints: made from the parsed body now, they must equal those made from its JSON before.

Records stored before the change hold the old fingerprints; a retry after an upgrade must still match.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from services.caution_service.api.schemas import (
    CautionCreate,
    CorrectionIn,
    NonAttendanceIn,
    ScheduleIn,
    VictimContactIn,
)
from services.caution_service.idempotency import fingerprint, fingerprint_of
from tests.support import caution_payload

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BODIES: list[BaseModel] = [
    CautionCreate.model_validate(caution_payload(WHEN, offender={"name": "Zoë Ünal-Åström 东"})),
    ScheduleIn.model_validate({"occurred_at": "2026-03-03T10:00:00+01:00", "session_at": "2026-03-09T18:30:00Z",
                               "venue": "Café \"Hall\" \\ Room 2\t— north", "reason": None}),
    NonAttendanceIn.model_validate({"occurred_at": WHEN.isoformat(), "reason": "arrived_late",
                                    "note": "Arrived 20′ late ☂"}),
    VictimContactIn.model_validate({"occurred_at": WHEN.isoformat(), "stage": "after_workshop_a",
                                    "outcome": "contacted",
                                    "safeguarding_concern": True, "notes": "Line1\nLine2\ttab \"☂\""}),
    CorrectionIn.model_validate({"corrects_entry": 3, "reason": "Wrong date entered", "corrected_occurred_at": None}),
]


@pytest.mark.parametrize("body", BODIES, ids=lambda b: type(b).__name__)
def test_a_parsed_body_has_the_fingerprint_its_json_had(body: BaseModel) -> None:
    path = "/v1/cautions/0f7c2b7e-6d3a-4b8e-9b51-3f7f1f3a1c11/x"
    from_json = fingerprint("POST", path, body.model_dump_json().encode())
    assert fingerprint_of("POST", path, body.model_dump(mode="json")) == from_json


def test_fingerprints_tell_bodies_paths_and_methods_apart() -> None:
    data = BODIES[1].model_dump(mode="json")
    base = fingerprint_of("POST", "/a", data)
    assert fingerprint_of("POST", "/b", data) != base
    assert fingerprint_of("PUT", "/a", data) != base
    assert fingerprint_of("POST", "/a", {**data, "venue": "Elsewhere"}) != base
    assert fingerprint("POST", "/a", b"{not json") != fingerprint("POST", "/a", b"{not json!")
