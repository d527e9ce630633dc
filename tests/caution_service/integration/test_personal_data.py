"""Personal data by design (issue 14): sealed per person, shown by role, erased, restricted and corrected as
events, without breaking the record's integrity chain. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.disclosure import SEEN_BY, Field
from services.caution_service.main import create_app
from shared.auth import Role
from shared.keyring import Erased, KeyRing, MasterKeys
from tests.caution_fixtures import Steps, assert_problem, recorded_events
from tests.support import FakeClock, app_state, at, auth, iso, national_auth

NAME, BORN, DESCRIPTION = "Zebedee Quixotic-Farnsworth", "1987-03-29", "Threw the xylophone at the partner"
VICTIM = {"name": "Philomena Vantablack", "phone": "07700 912345", "email": "philomena@example.org",
          "address": "7 Quillfeather Lane"}


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database  # both databases; `steps` (tests/caution_fixtures.py) drives it


def _issue(s: Steps) -> dict[str, Any]:
    return s.issue(offender={"name": NAME, "date_of_birth": BORN, "gender": "female"},
                   offence={"description": DESCRIPTION}, victim={"contact_details": VICTIM})


def _admin(s: Steps) -> dict[str, str]:
    return auth("admin", s.force, subject="dpo-1")


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _project(client: TestClient) -> None:
    app_state(client).projector.run_until_caught_up()


def _history(s: Steps, cid: str) -> dict[str, Any]:
    _project(s.client)
    return _ok(s.client.get(f"/v1/cautions/{cid}/compliance-history", headers=s.court))


def _verification(s: Steps, cid: str) -> dict[str, Any]:
    return _ok(s.client.get(f"/v1/cautions/{cid}/compliance-history/verification", headers=s.court))


def _reader(s: Steps, role: Role) -> dict[str, str]:
    return {Role.POLICE: s.police, Role.PROVIDER: s.provider, Role.COURT: s.court,
            Role.VICTIM_CONTACT: s.victim_contact}[role]


def test_a_command_answer_opens_nothing_sealed(steps: Steps) -> None:
    issued = _issue(steps)
    assert issued["offender"]["name"] is None and issued["offence"]["description"] is None
    assert {"offender_identity", "offence_description", "victim_details"} <= set(issued["withheld"])
    assert issued["personal_data"]["offender"]["state"] == "held"


@pytest.mark.parametrize("role", [Role.POLICE, Role.PROVIDER, Role.COURT, Role.VICTIM_CONTACT])
def test_each_role_reads_the_personal_data_the_table_allows_it(steps: Steps, role: Role) -> None:
    cid = _issue(steps)["id"]
    body = _ok(steps.get(cid, _reader(steps, role)))

    sees = {field for field, roles in SEEN_BY.items() if role in roles}
    assert (body["offender"]["name"] == NAME) is (Field.OFFENDER_IDENTITY in sees)
    assert (body["offender"]["date_of_birth"] == BORN) is (Field.OFFENDER_IDENTITY in sees)
    assert (body["offence"]["description"] == DESCRIPTION) is (Field.OFFENCE_DESCRIPTION in sees)
    assert (body["history"] is not None) is (Field.OFFENDING_HISTORY in sees)
    assert (body["victim"]["dash_risk"] is not None) is (Field.DASH_RISK in sees)
    assert (body["victim"]["reference"] is not None) is (Field.VICTIM_REFERENCE in sees)
    assert (body["victim"]["contact_details"] == VICTIM) is (Field.VICTIM_DETAILS in sees)
    assert set(body["withheld"]) == {field.value for field in Field} - {field.value for field in sees}


def test_erasure_shows_the_person_as_erased_and_leaves_the_chain_as_it_was(steps: Steps, clock: FakeClock) -> None:
    cid = _issue(steps)["id"]
    before = _verification(steps, cid) if _history(steps, cid) else None
    assert before and before["intact"]

    erased = steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/erasure", headers=_admin(steps),
                               json={"reason": "retention period over", "legal_basis": "dpa_2018_s39"})
    _ok(erased)

    for role in (Role.POLICE, Role.PROVIDER, Role.COURT):
        body = _ok(steps.get(cid, _reader(steps, role)))
        assert body["offender"] == {"reference": body["offender"]["reference"], "name": None, "date_of_birth": None,
                                    "gender": None}
        assert body["offence"]["description"] is None
        assert body["personal_data"]["offender"] == {
            "state": "erased", "on": clock().date().isoformat(), "reason": "retention period over",
            "legal_basis": "dpa_2018_s39"}
    history = _history(steps, cid)
    assert history["offender"]["name"] is None and history["personal_data"]["offender"]["state"] == "erased"
    assert history["entries"][-1]["summary"] == ("The offender's personal data was erased under Data Protection Act "
                                                 "2018 s.39, the force's retention period: retention period over")
    # The chain over the entries before the erasure is the one the court had: the same hashes, still intact.
    after = _verification(steps, cid)
    assert after["intact"] and after["entries_checked"] == before["entries_checked"] + 1
    assert [e["hash"] for e in history["entries"][:-1]][-1] == before["digest"]

    # With the database and the master key, what was sealed under the destroyed key cannot be opened.
    stored = json.loads(recorded_events(steps.client, cid)[0].state)
    keyring = KeyRing(app_state(steps.client).cautions.engine, MasterKeys.parse(Settings().master_keys),
                      cache_seconds=0)
    with pytest.raises(Erased):
        keyring.open(stored["offender"]["_data_"]["identity_sealed"]
                     if "_data_" in stored["offender"] else stored["offender"]["identity_sealed"])
    # The victim's key is untouched: their details still open for the victim contact role.
    assert _ok(steps.get(cid, steps.victim_contact))["victim"]["contact_details"] == VICTIM

    again = steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/erasure", headers=_admin(steps),
                              json={"reason": "twice", "legal_basis": "dpa_2018_s39"})
    assert assert_problem(again, 409)["errors"][0]["rule"] == "personal_data_erased"
    rectify = steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/rectification", headers=steps.police,
                                json={"name": "Someone Else", "reason": "typo"})
    assert assert_problem(rectify, 409)["errors"][0]["rule"] == "personal_data_erased"


def test_the_certificate_names_no_one_and_says_when_data_was_erased(steps: Steps) -> None:
    cid = _issue(steps)["id"]
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/erasure", headers=_admin(steps),
                          json={"reason": "court order 12/34", "legal_basis": "court_order"}))
    _project(steps.client)
    pdf = steps.client.get(f"/v1/cautions/{cid}/compliance-history",
                           headers={**steps.court, "Accept": "application/pdf"})
    assert pdf.status_code == 200
    document = pdfium.PdfDocument(pdf.content)
    text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document))).replace("\r\n", " ")
    assert NAME not in text and BORN not in text and DESCRIPTION not in text
    assert "erased" in text and "court order 12/34" in text


def test_erasure_is_for_the_force_data_protection_role_alone(steps: Steps) -> None:
    cid = _issue(steps)["id"]
    refused = steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/erasure", headers=steps.police,
                                json={"reason": "asked", "legal_basis": "dpa_2018_s47_1"})
    assert_problem(refused, 403)
    other_force = steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/erasure",
                                    headers=auth("admin", "ESSEX", subject="dpo-2"),
                                    json={"reason": "asked", "legal_basis": "dpa_2018_s47_1"})
    assert_problem(other_force, 404)


def test_a_rectified_name_is_shown_and_the_record_keeps_the_correction(steps: Steps) -> None:
    cid = _issue(steps)["id"]
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/rectification", headers=steps.police,
                          json={"name": "Zebedee Quixote-Farnsworth", "reason": "misspelt at issue"}))
    body = _ok(steps.get(cid))
    assert body["offender"]["name"] == "Zebedee Quixote-Farnsworth" and body["offender"]["date_of_birth"] == BORN
    history = _history(steps, cid)
    assert history["entries"][-1]["summary"] == "The offender's personal data corrected (name): misspelt at issue"
    assert history["offender"]["name"] == "Zebedee Quixote-Farnsworth"
    assert _verification(steps, cid)["intact"]

    corrected = {"name": "Philomena Vantablack", "phone": "07700 900999"}
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/rectification", headers=steps.victim_contact,
                          json={"contact_details": corrected, "reason": "new phone"}))
    assert _ok(steps.get(cid, steps.victim_contact))["victim"]["contact_details"] == corrected


def test_restricted_data_is_shown_to_no_one_until_the_restriction_is_lifted(steps: Steps) -> None:
    cid = _issue(steps)["id"]
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/restriction", headers=_admin(steps),
                          json={"reason": "accuracy contested", "legal_basis": "dpa_2018_s47_4"}))
    body = _ok(steps.get(cid, steps.victim_contact))
    assert body["victim"]["contact_details"] is None and body["victim"]["reference"] is None
    assert body["personal_data"]["victim"]["state"] == "restricted"
    assert _ok(steps.get(cid))["offender"]["name"] == NAME  # the offender's data is not restricted

    twice = steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/restriction", headers=_admin(steps),
                              json={"reason": "again", "legal_basis": "dpa_2018_s47_4"})
    assert assert_problem(twice, 409)["errors"][0]["rule"] == "already_restricted"
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/restriction-lifting", headers=_admin(steps),
                          json={"reason": "settled"}))
    assert _ok(steps.get(cid, steps.victim_contact))["victim"]["contact_details"] == VICTIM


def test_the_feed_says_what_happened_to_whose_data_and_nothing_more(steps: Steps) -> None:
    cid = _issue(steps)["id"]
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/erasure", headers=_admin(steps),
                          json={"reason": f"asked by {NAME}", "legal_basis": "dpa_2018_s47_1"}))
    feed = steps.client.get("/v1/events", headers=national_auth())
    assert feed.status_code == 200, feed.text
    assert NAME not in feed.text and BORN not in feed.text and DESCRIPTION not in feed.text
    erasures = [e for e in feed.json()["items"] if e["type"].startswith("uk.cara.caution.personal-data-erased")]
    assert [e["data"]["person"] for e in erasures] == ["offender"]
    assert "reason" not in erasures[0]["data"] and "key_id" not in erasures[0]["data"]


def test_a_victim_contact_after_the_victim_was_erased_records_no_notes(steps: Steps) -> None:
    cid = steps.completable()["id"]
    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/erasure", headers=_admin(steps),
                          json={"reason": "victim asked", "legal_basis": "dpa_2018_s47_1"}))
    refused = steps.contact_victim(cid, 20, notes="she said hello")
    assert assert_problem(refused, 409)["errors"][0]["rule"] == "personal_data_erased"
    assert steps.contact_victim(cid, 21).status_code == 200  # a contact without notes seals nothing



def test_a_key_wrapped_by_a_master_key_not_configured_is_a_503_never_a_500(
        steps: Steps, database_url: str, clock: FakeClock) -> None:
    cid = _issue(steps)["id"]
    elsewhere = Settings(environment="test", database_url=database_url,
                         master_keys=MasterKeys.generate("2027-01"))  # the current one is missing here
    with TestClient(create_app(elsewhere, clock), raise_server_exceptions=False) as other:
        answer = other.get(f"/v1/cautions/{cid}", headers=steps.police)
        assert assert_problem(answer, 503)["type"].endswith("key-unavailable")
        assert answer.headers["retry-after"]
        assert NAME not in answer.text
        # What opens nothing still answers: a command's answer, the offender's reference.
        assert other.post(f"/v1/cautions/{cid}/personal-data/offender/restriction", headers=_admin(steps),
                          json={"reason": "contested", "legal_basis": "dpa_2018_s47_4"}).status_code == 200


NOTE = "Said his mother was taken into Addenbrooke's that evening"


def _missed_with_note(s: Steps) -> str:
    cid = _issue(s)["id"]
    assert s.schedule(cid, "A", 10).status_code == 200
    s.tick(at(10, 19))
    missed = s.post(cid, "workshops/A/non-attendance",
                    {"occurred_at": iso(at(10, 19)), "reason": "did_not_attend", "note": NOTE}, s.provider)
    assert missed.status_code == 200, missed.text
    return cid


def test_a_missed_workshops_note_is_sealed_and_shown_beside_its_entry_to_those_who_may_see_the_offender(
        steps: Steps) -> None:
    cid = _missed_with_note(steps)
    history = _history(steps, cid)
    entry = history["entries"][-1]
    assert entry["summary"] == ("Workshop A missed: did not attend. The provider's note is kept with the offender's "
                                "personal data.")
    assert entry["note"] == NOTE and entry["details"]["note"].startswith("p1.")
    assert NOTE not in steps.client.get("/v1/events", headers=national_auth()).text
    sar = steps.client.get("/v1/subject-access", params={"offender_ref": _ok(steps.get(cid))["offender"]["reference"]},
                           headers={**auth("sar", steps.force, subject="sar-1"), "X-Purpose": "SAR 2026/3"})
    assert NOTE in sar.text

    _ok(steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/erasure", headers=_admin(steps),
                          json={"reason": "asked", "legal_basis": "dpa_2018_s47_1"}))
    after = _history(steps, cid)
    assert [e["note"] for e in after["entries"] if e["event_type"] == "WorkshopMissed"] == [None]
    assert NOTE not in json.dumps(after)
    assert _verification(steps, cid)["intact"]
