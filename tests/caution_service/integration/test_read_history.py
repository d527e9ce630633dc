"""GET /v1/cautions/{id}/compliance-history: ordered plain-words entries, who recorded them,
corrections linked, the verdict with reasons, and never a victim's details."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from services.caution_service.projections.entries import GENESIS
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import VICTIM_NOTE, VICTIM_SECRETS, ReadSteps, ok, quiet_client
from tests.support import FakeClock, at, auth


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _completed_with_victim_details(s: ReadSteps) -> str:
    cid = s.issue_with_victim()["id"]
    s.run(s.schedule(cid, "A", 10), s.schedule(cid, "B", 40), s.attend(cid, "A", 10),
          s.contact_victim(cid, 12, notes=VICTIM_NOTE), s.attend(cid, "B", 40), s.complete(cid, 41),
          s.contact_victim(cid, 43, stage="on_completion", notes=VICTIM_NOTE + " (second call)"))
    s.project()
    return cid


def _history(s: ReadSteps, cid: str, **params: Any) -> dict[str, Any]:
    return ok(s.history(cid, **params))


def test_entries_are_in_order_in_plain_words_with_who_recorded_them(steps: ReadSteps) -> None:
    cid = _completed_with_victim_details(steps)
    body = _history(steps, cid)
    entries = body["entries"]

    assert [e["entry"] for e in entries] == list(range(1, 9))
    assert [e["event_type"] for e in entries] == [
        "CautionIssued", "WorkshopScheduled", "WorkshopScheduled", "WorkshopAAttended", "VictimContacted",
        "WorkshopBAttended", "Completed", "VictimContacted"]
    assert [e["summary"] for e in entries] == [
        "Conditional caution issued by Sgt Jo Bloggs (sergeant) for common assault committed on 2026-02-20; "
        "caution period 112 days.",
        "Workshop A booked for 12 Mar 2026 18:00 at Cambridge Hub.",
        "Workshop B booked for 11 Apr 2026 18:00 at Cambridge Hub.",
        "Attended workshop A in full.",
        "Victim contact after workshop A recorded (outcome: contacted).",
        "Attended workshop B in full.",
        "All conditions met; caution completed.",
        "Victim contact on completion recorded (outcome: contacted).",
    ]
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions) and len(set(positions)) == 8

    police, provider, victim = (steps.police, steps.provider, steps.victim_contact)
    roles = [(e["recorded_by"]["role"], e["recorded_by"]["force"]) for e in entries]
    assert roles == [("police", "CAMBS"), ("provider", "CAMBS"), ("provider", "CAMBS"), ("provider", "CAMBS"),
                     ("victim_contact", "CAMBS"), ("provider", "CAMBS"), ("police", "CAMBS"),
                     ("victim_contact", "CAMBS")]
    ids = {e["recorded_by"]["id"] for e in entries}
    assert ids == {_subject(police), _subject(provider), _subject(victim)}
    assert entries[3]["occurred_at"] == at(10, 20).isoformat()
    assert entries[3]["recorded_at"] == at(10, 20).replace(minute=30).isoformat()
    assert body["police_reference"] and body["force"] == "CAMBS" and body["legal_basis"] == "conditional_caution"
    assert body["as_of"] is None


def _subject(headers: dict[str, str]) -> str:
    import jwt

    return jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})["sub"]


def test_entries_chain_their_hashes_and_the_digest_is_the_last_hash(steps: ReadSteps) -> None:
    cid = _completed_with_victim_details(steps)
    body = _history(steps, cid)
    entries = body["entries"]

    assert entries[0]["previous_hash"] == GENESIS
    for before, after in pairwise(entries):
        assert after["previous_hash"] == before["hash"]
    assert body["digest"] == entries[-1]["hash"]
    content_keys = ("caution_id", "entry", "event_type", "summary", "occurred_at", "recorded_at", "recorded_by",
                    "details", "corrects_entry")
    for e in entries:  # anyone can recompute each hash from the JSON alone
        canonical = json.dumps({k: e[k] for k in content_keys}, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        assert hashlib.sha256(e["previous_hash"].encode() + canonical.encode()).hexdigest() == e["hash"]


def test_no_victim_details_appear_anywhere_in_the_history(steps: ReadSteps) -> None:
    cid = _completed_with_victim_details(steps)
    # the victim contact role can read them on the caution itself: so they really were given and stored
    own_view = ok(steps.get(cid, steps.victim_contact))
    assert own_view["victim"]["contact_details"]["phone"] == "07700 900987"

    for reader in (steps.court, steps.police):
        text = steps.history(cid, headers=reader).text
        for secret in VICTIM_SECRETS:
            assert secret not in text
        assert "contact_details" not in text
        # The entries hold the details only as the events do, sealed under the victim's key (so the chain covers
        # them and survives their erasure): ciphertext, never the details.
        sealed = [e["details"] for e in json.loads(text)["entries"] if e["event_type"] == "VictimContacted"]
        assert sealed and all(d["details_sealed"].startswith("p1.") for d in sealed)
    assert _history(steps, cid)["entries"][0]["details"]["victim"]["reference"].startswith("V-")
    listing = steps.listing().text + steps.client.get(
        f"/v1/cautions/{cid}/compliance-history/verification", headers=steps.court).text
    assert not any(secret in listing for secret in VICTIM_SECRETS)


def test_a_correction_points_at_the_entry_it_corrects_and_that_entry_names_it(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10),
              steps.correct(cid, 3, "Session ran late; attendance recorded at the wrong time.", at(10, 21)),
              steps.correct(cid, 2, "Venue name was mistyped."))
    steps.project()
    entries = _history(steps, cid)["entries"]

    assert [e["corrects_entry"] for e in entries] == [None, None, None, 3, 2]
    assert [e["corrected_by"] for e in entries] == [[], [5], [4], [], []]
    assert entries[3]["summary"] == ("Correction to entry 3 (WorkshopAAttended): Session ran late; attendance "
                                     "recorded at the wrong time. Corrected time: 12 Mar 2026 21:00.")
    assert entries[4]["summary"] == "Correction to entry 2 (WorkshopScheduled): Venue name was mistyped."
    assert entries[2]["summary"] == "Attended workshop A in full."  # the original stays as it was
    assert ok(steps.get(cid))["workshops"]["A"]["attended_at"] == at(10, 21).isoformat()


def test_verdict_complied_gives_the_dates_that_prove_it(steps: ReadSteps) -> None:
    cid = _completed_with_victim_details(steps)
    assert _history(steps, cid)["verdict"] == {"outcome": "complied", "decision": None, "reasons": [
        "Workshop A attended on 2026-03-12.",
        "Workshop B attended on 2026-04-11, 30 days after A.",
        "The victim was contacted after workshop A.",
        "Both workshops inside the caution period (2026-03-02 to 2026-06-22).",
    ]}


def test_verdict_in_progress_names_what_is_not_yet_met(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    steps.project()
    assert _history(steps, cid)["verdict"] == {"outcome": "in_progress", "decision": None, "reasons": [
        "Not yet met: workshop B not attended.",
        "Not yet met: victim not contacted after workshop A.",
        "The caution period ends on 2026-06-22.",
    ]}


def test_verdict_not_complied_after_a_rejected_excuse_and_a_breach_decision(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10, "arrived_late", "Arrived 25 minutes late."),
              steps.decide_excuse(cid, 12, False, "Overslept; not a reasonable excuse"))
    steps.project()
    referred = _history(steps, cid)
    assert referred["verdict"]["outcome"] == "in_progress"
    assert referred["verdict"]["reasons"][-1] == "An excuse was rejected; the case is referred for a breach decision."
    assert referred["entries"][2]["summary"] == (
        "Workshop A missed: arrived late (late entry is refused). The provider's note is kept with the offender's "
        "personal data.")
    assert referred["entries"][2]["note"] == "Arrived 25 minutes late."  # opened for the police, beside the entry
    assert referred["entries"][3]["summary"] == (
        "Excuse for missing workshop A rejected: Overslept; not a reasonable excuse. Referred for a breach decision.")

    steps.run(steps.breach(cid, 15, "Failed to attend workshop A without reasonable excuse."))
    steps.project()
    assert _history(steps, cid)["verdict"] == {"outcome": "not_complied", "decision": "prosecute", "reasons": [
        "Breach decided (prosecute), resting on a rejected excuse: Failed to attend workshop A without reasonable "
        "excuse.",
    ]}


def test_verdict_withdrawn_gives_the_reason(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.withdraw(cid, 4, "Set aside on appeal"))
    steps.project()
    assert _history(steps, cid)["verdict"] == {"outcome": "withdrawn", "decision": None, "reasons": [
        "Caution withdrawn: Set aside on appeal", "The caution was set aside: there is no caution to cite."]}


def test_an_accepted_excuse_restarts_both_workshops_in_the_history(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10),
              steps.miss(cid, "B", 40), steps.decide_excuse(cid, 41, True, "In hospital; letter provided"))
    steps.project()
    body = _history(steps, cid)
    assert body["entries"][-1]["summary"] == (
        "Reasonable excuse for missing workshop B accepted: In hospital; letter provided. "
        "Both workshops to be attended again.")
    assert body["verdict"]["reasons"][:3] == [
        "Not yet met: workshop A not attended.", "Not yet met: workshop B not attended.",
        "Not yet met: victim not contacted after workshop A."]


def test_history_for_the_court_and_police_only_and_only_in_the_callers_force(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.project()
    assert ok(steps.history(cid, headers=steps.police))["caution_id"] == cid
    for role in ("provider", "victim_contact", "subscriber", "admin"):
        assert_problem(steps.history(cid, headers=auth(role)), 403)
    assert_problem(steps.history(cid, headers=auth("court", "ESSEX")), 404)
    assert_problem(steps.history("6a1f0b8e-0000-4000-8000-000000000000"), 404)
    assert_problem(steps.history("not-a-uuid"), 422)


def test_history_lags_the_store_until_projected_and_says_how_far(steps: ReadSteps) -> None:
    """Without min_position the read model answers (after a short wait) with what it has, and says what is missing."""
    cid = steps.issue()["id"]
    steps.project()
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40))
    trailing = _history(steps, cid)
    assert [e["entry"] for e in trailing["entries"]] == [1]
    assert trailing["entries_pending"] == 2
    assert trailing["digest"] == trailing["entries"][-1]["hash"]  # judged as of the entry shown
    steps.project()
    complete = _history(steps, cid)
    assert (len(complete["entries"]), complete["entries_pending"]) == (3, 0)
    as_of_then = _history(steps, cid, as_of=trailing["entries"][0]["recorded_at"])
    assert (len(as_of_then["entries"]), as_of_then["entries_pending"]) == (1, 0)
