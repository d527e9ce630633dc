"""The consultation log (DPA 2018 s.62): who saw a victim's contact details, who was given a compliance
history or certificate, when and why; readable by the force's admin only, and free of the details."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.caution_service.consultations import consultations
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import VICTIM_SECRETS, ReadSteps, ok
from tests.support import auth

ADMIN = auth("admin", "CAMBS", subject="dpo-1")


def _log(steps: ReadSteps, headers: dict[str, str] = ADMIN, **params: Any) -> dict[str, Any]:
    return ok(steps.client.get("/v1/consultations", params=params, headers=headers))


def test_reads_of_victim_details_and_disclosures_of_the_record_are_logged_with_who_and_why(steps: ReadSteps) -> None:
    cid = steps.issue_with_victim()["id"]
    steps.project()
    police_read = ok(steps.client.get(f"/v1/cautions/{cid}", headers=steps.police))
    assert police_read["victim"]["contact_details"] is None
    # the police saw no details, but the offender's identity and the rest their role may see: a consultation
    assert [(i["what"], i["role"], i["route"]) for i in _log(steps)["items"]] == [
        ("personal_data", "police", "GET /v1/cautions/{caution_id}")]

    seen = steps.client.get(f"/v1/cautions/{cid}", headers={**steps.victim_contact, "X-Purpose": "safety plan call",
                                                            "X-Request-ID": "req-victim-1"})
    assert ok(seen)["victim"]["contact_details"]["phone"]
    ok(steps.history(cid, headers={**steps.court, "X-Purpose": "Cambridge Magistrates, case 123"}))
    certificate = steps.history(cid, headers={**steps.court, "Accept": "application/pdf"})
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")

    items = _log(steps)["items"][:-1]  # the police read above
    assert [(i["what"], i["role"], i["purpose"]) for i in items] == [
        ("certificate", "court", None),
        ("compliance_history", "court", "Cambridge Magistrates, case 123"),
        ("personal_data", "victim_contact", "safety plan call"),  # the victim's reference and DASH risk
        ("victim_details", "victim_contact", "safety plan call"),
    ]
    assert {i["caution_id"] for i in items} == {cid}
    assert items[2]["request_id"] == items[3]["request_id"]  # one read, two entries
    items = items[1:]
    assert items[2]["caller_request_id"] == "req-victim-1" and items[2]["principal_id"].startswith("vc-")  # its sub
    assert len(items[2]["request_id"]) == 32 and items[2]["request_id"] != "req-victim-1"  # the service's own id


def test_command_answers_show_no_victim_details_so_they_consult_nothing(steps: ReadSteps) -> None:
    """Data minimisation: a command's answer confirms what was recorded, and keeping the details out of it
    keeps consultations (and their log writes) off the write path."""
    cid = steps.issue_with_victim()["id"]
    ok(steps.schedule(cid, "A", 10))
    ok(steps.attend(cid, "A", 10))
    answer = steps.contact_victim(cid, 12)
    assert ok(answer)["victim"]["contact_details"] is None
    assert not [secret for secret in VICTIM_SECRETS if secret in answer.text]
    assert _log(steps, caution_id=cid)["items"] == []


def test_the_log_is_the_force_admins_paged_and_holds_no_victim_details(steps: ReadSteps) -> None:
    cids = [steps.issue_with_victim()["id"] for _ in range(3)]
    for cid in cids:
        ok(steps.client.get(f"/v1/cautions/{cid}", headers=steps.victim_contact))
    first = _log(steps, limit=4)  # each read: its victim details and its other personal data
    assert len(first["items"]) == 4 and first["next_cursor"]
    second = steps.client.get("/v1/consultations", params={"limit": 4, "cursor": first["next_cursor"]}, headers=ADMIN)
    assert [i["caution_id"] for i in first["items"] + ok(second)["items"]] == [c for c in cids[::-1] for _ in "ab"]
    assert 'rel="next"' in steps.client.get("/v1/consultations", params={"limit": 2}, headers=ADMIN).headers["link"]
    assert [i["caution_id"] for i in _log(steps, caution_id=cids[1])["items"]] == [cids[1]] * 2

    assert _log(steps, headers=auth("admin", "KENT"))["items"] == []  # another force's admin
    assert_problem(steps.client.get("/v1/consultations", headers=steps.police), 403)
    assert_problem(steps.client.get("/v1/consultations", params={"cursor": "not-ours"}, headers=ADMIN), 400)
    with steps.engine.connect() as conn:
        stored = str(conn.execute(select(consultations)).all())
    assert not [secret for secret in VICTIM_SECRETS if secret in stored]
