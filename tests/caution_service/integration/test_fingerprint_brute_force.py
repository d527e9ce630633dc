"""A database reader cannot recover a victim's phone number from a stored Idempotency-Key fingerprint.

The attack: the reader knows everything about a victim-contact request except the number in its notes
(police and courts can read the rest), so they try every candidate number against the stored fingerprint.
Before fingerprints were keyed, that found the number in a fraction of a second.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.caution_service.api.schemas import VictimContactIn
from services.caution_service.idempotency import IdempotencyRecord, fingerprint_of
from tests.caution_fixtures import Steps
from tests.support import app_state, at, iso

PHONE = "07700 900417"


def _candidates(body: dict[str, Any], path: str) -> dict[str, str]:
    """Every number the attacker tries, by the fingerprint its request would have had unkeyed."""
    tried = {}
    for n in range(1000):
        phone = f"07700 900{n:03d}"
        guess = VictimContactIn.model_validate({**body, "notes": f"Call back on {phone} after 6pm."})
        tried[fingerprint_of("POST", path, guess.model_dump(mode="json"))] = phone
    return tried


def test_trying_every_number_against_the_stored_fingerprint_finds_nothing(steps: Steps) -> None:
    cid = steps.issue()["id"]
    assert steps.schedule(cid, "A", 10).status_code == 200
    assert steps.attend(cid, "A", 10).status_code == 200
    sent = steps.contact_victim(cid, 12, notes=f"Call back on {PHONE} after 6pm.", headers={"Idempotency-Key": "vc-1"})
    assert sent.status_code == 200, sent.text

    engine: Engine = app_state(steps.client).cautions.engine
    with engine.connect() as connection:
        stored = connection.execute(select(IdempotencyRecord.__table__.c.fingerprint).where(
            IdempotencyRecord.__table__.c.key == "vc-1")).scalar_one()

    body = {"occurred_at": iso(at(12, 12)), "stage": "after_workshop_a", "outcome": "contacted"}  # as Steps sent it
    candidates = _candidates(body, f"/v1/cautions/{cid}/victim-contacts")
    assert PHONE in candidates.values()  # the attack is the right one: unkeyed, the true request is among them
    assert stored not in candidates, "the stored fingerprint gave the victim's number away"
    again = steps.contact_victim(cid, 12, notes=f"Call back on {PHONE} after 6pm.", headers={"Idempotency-Key": "vc-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"  # and a real retry still replays

