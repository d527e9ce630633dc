"""Subject access (issue 14 item 5, DPA 2018 s.45): GET /v1/subject-access by offender or victim reference, for the
sar role and admin, as JSON and PDF, each disclosure logged with its purpose. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from tests.caution_fixtures import Steps, assert_problem
from tests.support import T0, FakeClock, app_state, auth, caution_payload

NAME, BORN, DESCRIPTION = "Łukasz Quixotic-Farnsworth", "1987-03-29", "Threw the xylophone at the partner"
VICTIM = {"name": "Philomena Vantablack", "phone": "07700 912345", "email": "philomena@example.org"}
NOTE = "victim-note-" + uuid.uuid4().hex
PURPOSE = "SAR-2026-0042"
# An offender's earlier caution: more than two years before, or this system would refuse the later one
# (the previous-disposal rule counts CARA cautions on the record).
EARLIER = T0 - timedelta(days=800)


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database  # both databases; `steps` (tests/caution_fixtures.py) drives it


def _sar(s: Steps, role: str = "sar", force: str | None = None) -> dict[str, str]:
    return {**auth(role, force or s.force, subject=f"{role}-officer-1"), "X-Purpose": PURPOSE}


def _issue(s: Steps, offender_ref: str, victim_ref: str | None = None, occurred_at: datetime = T0) -> dict[str, Any]:
    caution: dict[str, Any] = s.issue(
        occurred_at=occurred_at,
        offender={"reference": offender_ref, "name": NAME, "date_of_birth": BORN, "gender": "female"},
        offence={"description": DESCRIPTION},
        victim={"reference": victim_ref or f"V-{uuid.uuid4().hex[:8]}", "contact_details": VICTIM})
    return caution


def _with_contact(s: Steps, offender_ref: str, victim_ref: str) -> str:
    """Issued, workshop A booked and attended, the victim contacted with notes: returns the id."""
    cid = str(_issue(s, offender_ref, victim_ref)["id"])
    for response in (s.schedule(cid, "A", 10), s.attend(cid, "A", 10), s.contact_victim(cid, 12, notes=NOTE)):
        assert response.status_code == 200, response.text
    return cid


def _get(s: Steps, headers: dict[str, str], **params: str) -> Any:
    return s.client.get("/v1/subject-access", params=params, headers=headers)


def _export(s: Steps, **params: str) -> dict[str, Any]:
    response = _get(s, _sar(s), **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_offender_sees_every_caution_of_theirs_with_identity_and_history_but_nothing_of_the_victim(
        steps: Steps) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    first = _with_contact(steps, ref, "V-first")
    second = str(_issue(steps, ref, occurred_at=EARLIER)["id"])
    _issue(steps, f"PNC-{uuid.uuid4().hex[:8]}")  # someone else's

    body = _export(steps, offender_ref=ref)

    assert body["subject"] == {"person": "offender", "reference": ref}
    assert sorted(c["caution_id"] for c in body["cautions"]) == sorted([first, second])
    for section in body["cautions"]:
        held = section["held"]
        assert (held["reference"], held["name"], held["date_of_birth"]) == (ref, NAME, BORN)
        assert held["offence"]["description"] == DESCRIPTION
        assert held["offending_history"]["serving_community_sentence"] is False
        assert section["data_state"]["state"] == "held"
        assert section["compliance_history"][0]["event_type"] == "CautionIssued"
    [first_section] = [c for c in body["cautions"] if c["caution_id"] == first]
    assert [e["event_type"] for e in first_section["compliance_history"]] == [
        "CautionIssued", "WorkshopScheduled", "WorkshopAAttended"]
    assert first_section["entries_withheld"] == [4]  # the victim contact
    assert "Attended workshop A in full." in [e["sentence"] for e in first_section["compliance_history"]]
    text = json.dumps(body)
    for secret in (VICTIM["name"], VICTIM["phone"], NOTE, "V-first"):
        assert secret not in text
    assert body["notification_service"]["holds_personal_data"] is False
    assert body["notification_service"]["statement"].startswith("notification service: holds caution ids and dates")


def test_a_victim_sees_their_contact_details_and_notes_but_not_the_offender(steps: Steps) -> None:
    victim_ref = f"V-{uuid.uuid4().hex[:8]}"
    cid = _with_contact(steps, f"PNC-{uuid.uuid4().hex[:8]}", victim_ref)

    body = _export(steps, victim_ref=victim_ref)

    [section] = body["cautions"]
    assert section["caution_id"] == cid
    assert section["held"]["reference"] == victim_ref
    assert section["held"]["contact_details"] == VICTIM
    assert section["held"]["dash_risk"] == "standard"
    [contact] = section["victim_contacts"]
    assert (contact["notes"], contact["stage"], contact["outcome"]) == (NOTE, "after_workshop_a", "contacted")
    assert section["compliance_history"] == []
    assert section["entries_withheld"] == [1, 2, 3]
    text = json.dumps(body)
    assert NAME not in text and DESCRIPTION not in text and BORN not in text


def test_a_purpose_and_exactly_one_reference_are_required(steps: Steps) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    _issue(steps, ref)
    no_purpose = auth("sar", steps.force)
    assert assert_problem(_get(steps, no_purpose, offender_ref=ref), 400)["type"].endswith("purpose-required")
    assert assert_problem(_get(steps, _sar(steps)), 400)["type"].endswith("one-subject")
    both = _get(steps, _sar(steps), offender_ref=ref, victim_ref="V-1")
    assert assert_problem(both, 400)["type"].endswith("one-subject")
    log = app_state(steps.client).consultations.page(steps.force, None, 50, None)[0]
    assert [e for e in log if e["what"] == "subject_access"] == []  # nothing disclosed, nothing logged


@pytest.mark.parametrize("role", ["police", "provider", "victim_contact", "court", "subscriber"])
def test_other_roles_are_refused(steps: Steps, role: str) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    _issue(steps, ref)
    assert_problem(_get(steps, _sar(steps, role), offender_ref=ref), 403)


def test_admin_may_ask_and_the_sar_role_reads_nothing_else(steps: Steps) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    cid = str(_issue(steps, ref)["id"])
    assert len(_get(steps, _sar(steps, "admin"), offender_ref=ref).json()["cautions"]) == 1
    sar = _sar(steps)
    for path in (f"/v1/cautions/{cid}", "/v1/cautions", f"/v1/cautions/{cid}/compliance-history",
                 "/v1/consultations", "/v1/statistics", "/v1/events"):
        assert_problem(steps.client.get(path, headers=sar), 403)


def test_another_forces_cautions_are_absent(steps: Steps, clock: FakeClock) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    ours = str(_issue(steps, ref)["id"])
    _issue(Steps(steps.client, clock, force="ESSEX"), ref)

    body = _export(steps, offender_ref=ref)
    assert [c["caution_id"] for c in body["cautions"]] == [ours]
    assert _get(steps, _sar(steps, force="KENT"), offender_ref=ref).json()["cautions"] == []


def test_an_erased_person_is_shown_erased_with_date_and_basis(steps: Steps) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    cid = str(_issue(steps, ref)["id"])
    erased = steps.client.post(f"/v1/cautions/{cid}/personal-data/offender/erasure",
                               json={"reason": "unlawfully held", "legal_basis": "dpa_2018_s47_1"},
                               headers=auth("admin", steps.force))
    assert erased.status_code == 200, erased.text
    on = steps.clock.now.date().isoformat()

    [section] = _export(steps, offender_ref=ref)["cautions"]

    statement = f"erased on {on} under dpa_2018_s47_1"
    assert section["data_state"]["state"] == "erased" and section["data_state"]["statement"] == statement
    assert section["held"]["name"] == statement and section["held"]["offence"]["description"] == statement
    assert section["held"]["reference"] == ref  # still held, in clear
    assert [e["event_type"] for e in section["compliance_history"]] == ["CautionIssued", "PersonalDataErased"]
    assert NAME not in json.dumps(section)


def test_restricted_data_is_included(steps: Steps) -> None:
    victim_ref = f"V-{uuid.uuid4().hex[:8]}"
    cid = str(_issue(steps, f"PNC-{uuid.uuid4().hex[:8]}", victim_ref)["id"])
    restricted = steps.client.post(f"/v1/cautions/{cid}/personal-data/victim/restriction",
                                   json={"reason": "accuracy contested", "legal_basis": "dpa_2018_s47_4"},
                                   headers=auth("admin", steps.force))
    assert restricted.status_code == 200, restricted.text

    [section] = _export(steps, victim_ref=victim_ref)["cautions"]
    assert section["data_state"]["state"] == "restricted"
    assert section["held"]["contact_details"] == VICTIM
    assert [e["event_type"] for e in section["compliance_history"]] == ["ProcessingRestricted"]


def test_each_caution_disclosed_is_logged_with_the_purpose_and_earlier_consultations_are_listed(
        steps: Steps) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    first, second = (str(_issue(steps, ref, occurred_at=when)["id"]) for when in (T0, EARLIER))
    assert steps.client.get(f"/v1/cautions/{first}", headers={**steps.police, "X-Purpose": "case review"}
                            ).status_code == 200

    body = _export(steps, offender_ref=ref)

    [consulted] = [c for c in body["cautions"] if c["caution_id"] == first][0]["consultations"]
    assert (consulted["what"], consulted["role"], consulted["purpose"]) == ("personal_data", "police", "case review")
    log = app_state(steps.client).consultations.page(steps.force, None, 50, None)[0]
    sar = [e for e in log if e["what"] == "subject_access"]
    assert sorted(e["caution_id"] for e in sar) == sorted([first, second])
    assert {(e["purpose"], e["role"], e["principal_id"]) for e in sar} == {(PURPOSE, "sar", "sar-officer-1")}
    again = _export(steps, offender_ref=ref)  # earlier subject access requests are not listed (maybe the victim's)
    assert [[e["what"] for e in c["consultations"]] for c in again["cautions"] if c["caution_id"] == first] == [
        ["personal_data"]]


def test_the_pdf_renders_and_names_the_offender(steps: Steps) -> None:
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    cid = _with_contact(steps, ref, f"V-{uuid.uuid4().hex[:8]}")

    response = _get(steps, {**_sar(steps), "Accept": "application/pdf"}, offender_ref=ref)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(response.content)
    document[0].render(scale=1).to_pil()  # it draws
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert NAME in text and ref in text and DESCRIPTION in text
    assert VICTIM["name"] not in text and NOTE not in text
    log = app_state(steps.client).consultations.page(steps.force, None, 50, None)[0]
    assert [(e["caution_id"], e["purpose"]) for e in log if e["what"] == "subject_access"] == [(cid, PURPOSE)]


def test_a_victims_pdf_holds_their_notes(steps: Steps) -> None:
    victim_ref = f"V-{uuid.uuid4().hex[:8]}"
    _with_contact(steps, f"PNC-{uuid.uuid4().hex[:8]}", victim_ref)
    response = _get(steps, {**_sar(steps), "Accept": "application/pdf"}, victim_ref=victim_ref)
    assert response.status_code == 200, response.text
    document = pdfium.PdfDocument(response.content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert NOTE in text and VICTIM["phone"] in text and NAME not in text


def test_the_staff_who_recorded_entries_are_not_named_to_the_person_asking(steps: Steps) -> None:
    """Their names, ranks and collar numbers are the staff's own personal data (DPA 2018 s.45(4)): the court's
    history shows them; a subject access answer gives the account, its role and force."""
    ref = f"PNC-{uuid.uuid4().hex[:8]}"
    officer = auth("police", steps.force, subject="pc-4471", name="Alex Morgan", rank="Police constable",
                   collar_number="4471")
    issued = steps.client.post("/v1/cautions", headers=officer, json=caution_payload(
        offender={"reference": ref, "name": NAME, "date_of_birth": BORN, "gender": "female"}))
    assert issued.status_code == 201, issued.text

    body = _export(steps, offender_ref=ref)

    [entry] = body["cautions"][0]["compliance_history"]
    assert entry["recorded_by"] == {"id": "pc-4471", "role": "police", "force": steps.force}
    assert "Alex Morgan" not in json.dumps(body) and "4471\"" not in json.dumps(body).replace('"pc-4471"', "")
