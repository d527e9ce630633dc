"""GET /v1/cautions/{id}/compliance-history/export (issue 17 item 7): the history as a JSON file with its chain,
each entry exactly as hashed, for a court or a defence to check offline; court and police of the caution's force
only, every one given out kept in the consultation log; personal data only sealed; `as_of` gives the chain as it
stood then."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from services.caution_service.consultations import consultations
from shared.history_verifier import FORMAT, GENESIS, HASH_METHOD, entry_hash, verify_export
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import (
    BACKENDS,
    VICTIM_SECRETS,
    ReadSteps,
    backend_url,
    ok,
    quiet_client,
)
from tests.support import FakeClock, app_state, at, auth, iso

CONTENT_KEYS = ("caution_id", "entry", "event_type", "summary", "occurred_at", "recorded_at", "recorded_by", "details",
                "corrects_entry")
OFFICER = {"name": "Morwenna Tregarthen", "rank": "Sergeant", "collar_number": "4471"}


@pytest.fixture
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


BOTH = pytest.mark.parametrize("steps", BACKENDS, indirect=True)


@pytest.fixture
def lifecycle(steps: ReadSteps) -> str:
    """A completed caution with the victim's details, a correction and a named officer (8 entries)."""
    steps.police = auth("police", subject="officer-named", **OFFICER)
    cid = steps.issue_with_victim()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10),
              steps.contact_victim(cid, 12, notes="She is staying with her sister at 3 Heron Row until June"),
              steps.attend(cid, "B", 40), steps.correct(cid, 4, "Attendance sheet signed late."),
              steps.complete(cid, 41))
    steps.project()
    return cid


def export(steps: ReadSteps, cid: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return steps.client.get(f"/v1/cautions/{cid}/compliance-history/export", params=params,
                            headers=headers or steps.court)


@BOTH
def test_the_export_holds_each_entry_exactly_as_hashed_and_the_historys_digest(steps: ReadSteps,
                                                                                lifecycle: str) -> None:
    response = export(steps, lifecycle)
    document = ok(response)
    history = ok(steps.history(lifecycle))
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith('attachment; filename="cara-history-CC-')
    assert {k: document[k] for k in ("format", "format_version", "caution_id", "police_reference", "force", "as_of",
                                     "entry_count", "digest", "hash_method")} == {
        "format": FORMAT, "format_version": 1, "caution_id": lifecycle,
        "police_reference": history["police_reference"], "force": "CAMBS", "as_of": None, "entry_count": 8,
        "digest": history["digest"], "hash_method": HASH_METHOD}
    assert document["exported_at"] == steps.clock.now.isoformat()
    assert "sealed" in document["personal_data"] and "shared.history_verifier" in document["verifier"]
    previous = GENESIS
    for item, shown in zip(document["entries"], history["entries"], strict=True):
        assert set(item) == {"content", "previous_hash", "hash"}
        assert item["content"] == {k: shown[k] for k in CONTENT_KEYS}  # exactly the keys the hash covers
        assert (item["previous_hash"], item["hash"]) == (previous, entry_hash(item["content"], previous))
        previous = item["hash"]
    assert document["entries"][0]["content"]["recorded_by"] == {
        "id": "officer-named", "role": "police", "force": "CAMBS", **OFFICER}
    assert verify_export(document, history["digest"]).intact


def test_personal_data_is_only_sealed_in_an_export(steps: ReadSteps, lifecycle: str) -> None:
    text = export(steps, lifecycle).text
    for secret in (*VICTIM_SECRETS, "Alex Example", "1990-05-17"):
        assert secret not in text
    issued = ok(export(steps, lifecycle))["entries"][0]["content"]["details"]
    assert set(issued["offender"]) == {"reference", "identity_sealed"}  # name and date of birth: sealed
    assert issued["victim_details_sealed"].startswith("p1.")


def test_police_of_the_force_may_export_too(steps: ReadSteps, lifecycle: str) -> None:
    assert ok(export(steps, lifecycle, steps.police))["entry_count"] == 8


@pytest.mark.parametrize("role", ["provider", "victim_contact", "subscriber", "admin", "sar"])
def test_other_roles_may_not(steps: ReadSteps, lifecycle: str, role: str) -> None:
    assert_problem(export(steps, lifecycle, auth(role)), 403)


def test_another_forces_court_is_told_there_is_no_such_caution(steps: ReadSteps, lifecycle: str) -> None:
    assert_problem(export(steps, lifecycle, auth("court", "KENT")), 404)
    assert_problem(steps.client.get(f"/v1/cautions/{lifecycle}/compliance-history/export"), 401)


def test_each_export_is_kept_in_the_consultation_log_as_a_disclosure(steps: ReadSteps, lifecycle: str) -> None:
    ok(export(steps, lifecycle, {**steps.court, "X-Purpose": "defence disclosure"}))
    ok(export(steps, lifecycle, as_of=iso(at(11))))
    assert_problem(export(steps, lifecycle, auth("court", "KENT", subject="kent-court")), 404)
    with app_state(steps.client).cautions.engine.connect() as connection:
        rows = connection.execute(select(consultations).where(consultations.c.caution_id == lifecycle)
                                  .order_by(consultations.c.id)).mappings().all()
    assert [(r["what"], r["route"], r["purpose"], r["detail"]) for r in rows] == [
        ("compliance_history", "GET /v1/cautions/{caution_id}/compliance-history/export", "defence disclosure",
         "export"),
        ("compliance_history", "GET /v1/cautions/{caution_id}/compliance-history/export", None,
         f"export as_of={iso(at(11))}"),
        ("denied", "GET /v1/cautions/{caution_id}/compliance-history/export", None, "404 not-found"),
    ]


@BOTH
def test_as_of_gives_the_chain_as_it_stood_then(steps: ReadSteps, lifecycle: str) -> None:
    whole = ok(export(steps, lifecycle))
    # Entries are recorded half an hour after what they record (Steps.tick): by day 11 at 10:00, issue (day 0),
    # both bookings (day 1) and the attendance of A (day 10, 18:00) were recorded.
    then = ok(export(steps, lifecycle, as_of=iso(at(11))))
    assert then["as_of"] == iso(at(11))
    assert then["entries"] == whole["entries"][:4]
    assert then["entry_count"] == 4 and then["digest"] == whole["entries"][3]["hash"]
    assert verify_export(then).report() == f"intact: 4 entries, digest {then['digest']}"


def test_before_anything_was_recorded_the_chain_is_empty(steps: ReadSteps, lifecycle: str) -> None:
    before = ok(export(steps, lifecycle, as_of="2020-01-01T00:00:00Z"))
    assert (before["entries"], before["entry_count"], before["digest"]) == ([], 0, GENESIS)
    assert verify_export(before).report() == f"intact: 0 entries, digest {GENESIS}"


@pytest.mark.parametrize("as_of", ["yesterday", "1767225600"])
def test_a_malformed_as_of_is_refused(steps: ReadSteps, lifecycle: str, as_of: str) -> None:
    assert_problem(export(steps, lifecycle, as_of=as_of), 422)


def test_an_export_states_the_whole_chain_or_is_not_given(steps: ReadSteps, lifecycle: str) -> None:
    """Recorded, not yet in the history (projections are stopped here): refused with a retry, never cut short."""
    steps.run(steps.contact_victim(lifecycle, 43, stage="on_completion"))
    problem = assert_problem(export(steps, lifecycle), 503)
    assert problem["type"].endswith("read-model-behind")
    steps.project()
    assert ok(export(steps, lifecycle))["entry_count"] == 9
