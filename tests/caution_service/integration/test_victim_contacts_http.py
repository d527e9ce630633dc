"""Over HTTP: the victim contact service reads back its contacts with the victim (GET .../victim-contacts), with
their notes, as it reads what was said in a concern: that role alone (403 for the others, 404 for another force's
caution), with a reason logged; the notes gone once the victim's data is erased; corrections shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.caution_fixtures import Steps, assert_problem
from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client
from tests.support import FakeClock, at, auth, iso

AFTER_A = "Spoke to her at 11; she is staying at 3 Heron Row and wants texts only"
ON_COMPLETION = "Second call: feels safer; the workshop letters reached him"
WORKER = {**auth("victim_contact", "CAMBS", subject="vc-jo", name="Jo Contact"), "X-Purpose": "completion call"}
ADMIN = auth("admin", "CAMBS", subject="dpo-1")


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _read(steps: Steps, cid: str, headers: dict[str, str] = WORKER) -> Any:
    return steps.client.get(f"/v1/cautions/{cid}/victim-contacts", headers=headers)


def _contacted_after_a(steps: ReadSteps) -> tuple[str, int]:
    """A caution whose victim was contacted (with notes) the day after workshop A: its id and that entry."""
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10))
    return cid, ok(steps.contact_victim(cid, 11, notes=AFTER_A, headers=WORKER))["version"]


def test_the_contact_worker_reads_both_contacts_with_their_notes(steps: ReadSteps) -> None:
    cid, first = _contacted_after_a(steps)
    steps.run(steps.attend(cid, "B", 40), steps.complete(cid, 41))
    second = ok(steps.contact_victim(cid, 42, stage="on_completion", notes=ON_COMPLETION, headers=WORKER))["version"]
    read = ok(_read(steps, cid))
    recorded_by = {"id": "vc-jo", "role": "victim_contact", "force": "CAMBS", "name": "Jo Contact"}
    assert read == {"caution_id": cid, "contacts": [
        {"entry": first, "stage": "after_workshop_a", "outcome": "contacted", "occurred_at": iso(at(11, 12)),
         "corrected_occurred_at": None, "recorded_at": read["contacts"][0]["recorded_at"], "recorded_by": recorded_by,
         "safeguarding_concern": False, "corrected_by": [], "struck_out": False, "notes": AFTER_A},
        {"entry": second, "stage": "on_completion", "outcome": "contacted", "occurred_at": iso(at(42, 12)),
         "corrected_occurred_at": None, "recorded_at": read["contacts"][1]["recorded_at"], "recorded_by": recorded_by,
         "safeguarding_concern": False, "corrected_by": [], "struck_out": False, "notes": ON_COMPLETION}]}
    assert read["contacts"][0]["recorded_at"] < read["contacts"][1]["recorded_at"]


def test_only_the_victim_contact_service_reads_them_and_with_a_reason(steps: ReadSteps) -> None:
    cid, _ = _contacted_after_a(steps)
    for headers in (steps.police, steps.court, steps.provider, ADMIN):
        assert_problem(_read(steps, cid, {**headers, "X-Purpose": "curious"}), 403)
    assert_problem(_read(steps, cid, {k: v for k, v in WORKER.items() if k != "X-Purpose"}), 400)
    assert_problem(_read(steps, cid, {**WORKER, "X-Purpose": "  "}), 400)
    other_force = {**auth("victim_contact", "KENT", subject="vc-kent"), "X-Purpose": "safety plan"}
    assert_problem(_read(steps, cid, other_force), 404)
    assert_problem(_read(steps, "00000000-0000-4000-8000-000000000000"), 404)


def _victim_data(steps: ReadSteps, cid: str, step: str, **body: str) -> None:
    ok(steps.post(cid, f"personal-data/victim/{step}", {"reason": "victim's request upheld", **body}, ADMIN))


def test_after_the_victims_erasure_the_notes_are_null(steps: ReadSteps) -> None:
    cid, first = _contacted_after_a(steps)
    _victim_data(steps, cid, "erasure", legal_basis="dpa_2018_s47_1")
    [contact] = ok(_read(steps, cid))["contacts"]
    assert (contact["entry"], contact["outcome"], contact["notes"]) == (first, "contacted", None)
    assert "Heron Row" not in _read(steps, cid).text


def test_while_the_victims_data_is_restricted_the_notes_are_null(steps: ReadSteps) -> None:
    cid, _ = _contacted_after_a(steps)
    _victim_data(steps, cid, "restriction", legal_basis="dpa_2018_s47_4")
    assert [c["notes"] for c in ok(_read(steps, cid))["contacts"]] == [None]
    _victim_data(steps, cid, "restriction-lifting")
    assert [c["notes"] for c in ok(_read(steps, cid))["contacts"]] == [AFTER_A]


def test_a_contact_re_timed_then_struck_out_says_so(steps: ReadSteps) -> None:
    cid, first = _contacted_after_a(steps)
    retimed = ok(steps.correct(cid, first, "Called at 9, not 12", at(11, 9)))["version"]
    struck = ok(steps.post(cid, "corrections", {"corrects_entry": first, "reason": "Another victim's call",
                                                "recorded_in_error": True}, steps.police))["version"]
    [contact] = ok(_read(steps, cid))["contacts"]
    assert contact["corrected_occurred_at"] == iso(at(11, 9))
    assert (contact["corrected_by"], contact["struck_out"]) == ([retimed, struck], True)


def test_each_read_and_each_refusal_is_in_the_consultation_log(steps: ReadSteps) -> None:
    cid, _ = _contacted_after_a(steps)
    ok(_read(steps, cid))
    assert_problem(_read(steps, cid, auth("police", "CAMBS", subject="officer-9")), 403)
    log = ok(steps.client.get("/v1/consultations", params={"caution_id": cid}, headers=ADMIN))["items"]
    route = "GET /v1/cautions/{caution_id}/victim-contacts"
    assert [(i["what"], i["role"], i["principal_id"], i["purpose"]) for i in log if i["route"] == route] == [
        ("denied", "police", "officer-9", None),  # newest first
        ("victim_details", "victim_contact", "vc-jo", "completion call")]
    assert "Heron Row" not in str(log)
