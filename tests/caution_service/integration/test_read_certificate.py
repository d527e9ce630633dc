"""The court certificate: `Accept: application/pdf` on the compliance history gives a PDF a court can file.

Page 1 is rendered to PNG (pypdfium2) to prove the file draws; its text layer is read to check what it says.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import update

from services.caution_service.certificate import court_text
from services.caution_service.main import create_app
from services.caution_service.projections.tables import history
from services.caution_service.signing import signer_for
from shared.uk_time import uk_time_text
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import (
    VICTIM_NOTE,
    VICTIM_SECRETS,
    ReadSteps,
    ok,
    quiet_client,
    quiet_settings,
)
from tests.support import FakeClock, app_state, at, auth, caution_payload, iso

PDF = {"Accept": "application/pdf"}


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _pages(content: bytes) -> list[str]:
    document = pdfium.PdfDocument(content)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _certificate(steps: ReadSteps, cid: str, **params: Any) -> Any:
    response = steps.history(cid, headers={**steps.court, **PDF}, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response


def _completed(steps: ReadSteps) -> str:
    cid = steps.issue_with_victim(police_reference="CC-2026-00417")["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10),
              steps.contact_victim(cid, 12, notes=VICTIM_NOTE), steps.attend(cid, "B", 40), steps.complete(cid, 41),
              steps.contact_victim(cid, 43, stage="on_completion", notes=VICTIM_NOTE))
    steps.project()
    return cid


def test_page_one_renders_and_states_reference_legal_basis_verdict(steps: ReadSteps, tmp_path: Path) -> None:
    cid = _completed(steps)
    response = _certificate(steps, cid)
    assert response.headers["content-disposition"] == 'inline; filename="cara-certificate-CC-2026-00417.pdf"'

    document = pdfium.PdfDocument(response.content)
    png = tmp_path / "certificate-page-1.png"
    document[0].render(scale=1.5).to_pil().save(png)
    image = pdfium.PdfDocument(response.content)[0].render(scale=0.5).to_pil().convert("L")
    assert png.stat().st_size > 20_000
    assert image.width < image.height  # A4 portrait
    inked = sum(image.histogram()[:250])  # anti-aliased text is grey at this scale, so count any ink
    assert inked > 0.02 * image.width * image.height  # real text and table lines, not a blank page

    page_one = _pages(response.content)[0]
    assert "CARA compliance certificate" in page_one
    assert "CC-2026-00417" in page_one
    assert "Conditional caution, Criminal Justice Act 2003 ss.22-27" in page_one
    assert "Verdict: COMPLIED with the conditions" in page_one
    assert "Workshop B attended on 11 April 2026, 30 days after A." in page_one
    assert "reference V-" in page_one and "(details withheld)" in page_one


def test_certificate_carries_the_digest_and_how_to_verify_it(steps: ReadSteps) -> None:
    cid = _completed(steps)
    text = _squash("".join(_pages(_certificate(steps, cid).content)))

    digest = ok(steps.history(cid))["digest"]
    assert digest == steps.verification(cid)["digest"]
    assert _squash(f"Digest (SHA-256 chain over 8 entries): {digest}") in _squash(text)
    assert f"http://testserver/v1/cautions/{cid}/compliance-history/verification" in text
    assert _squash("Checked against the event store when generated: the whole record, 8 entries, is intact.") in text
    for entry in ok(steps.history(cid))["entries"]:
        assert _squash(court_text(entry["summary"], entry["details"])) in text


def test_certificate_never_shows_victim_details(steps: ReadSteps) -> None:
    cid = _completed(steps)
    text = "".join(_pages(_certificate(steps, cid).content))
    for secret in VICTIM_SECRETS:
        assert secret not in text
        assert _squash(secret) not in _squash(text)


@pytest.mark.parametrize("story, verdict", [
    ("breached", "Verdict: DID NOT COMPLY with the conditions"),
    ("withdrawn", "Verdict: WITHDRAWN (the caution was set aside)"),
    ("open", "Verdict: IN PROGRESS (the caution period has not ended)"),
])
def test_each_verdict_is_stated(steps: ReadSteps, story: str, verdict: str) -> None:
    cid = steps.issue(legal_basis="diversionary_caution")["id"]
    if story == "breached":
        steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10),
                  steps.decide_excuse(cid, 12, False, "No excuse given."),
                  steps.breach(cid, 20, "Missed workshop A; no excuse given."))
    elif story == "withdrawn":
        steps.run(steps.withdraw(cid, 3, "Issued in error."))
    steps.project()
    page_one = _pages(_certificate(steps, cid).content)[0]
    assert verdict in page_one
    assert "Diversionary caution, Police, Crime, Sentencing and Courts Act 2022 Part 6" in page_one


def test_an_as_of_certificate_says_so_and_shows_the_record_then(steps: ReadSteps) -> None:
    cid = _completed(steps)
    then = at(12, 13)  # after the victim contact after A was recorded (12:30), before B
    digest_then = ok(steps.history(cid, as_of=iso(then)))["digest"]
    text = _squash("".join(_pages(_certificate(steps, cid, as_of=iso(then)).content)))
    assert _squash(f"the record as it stood at {uk_time_text(then)}") in text  # 12 March 2026, 13:00 GMT
    assert _squash(f"chain over 5 entries): {digest_then}") in _squash(text)
    assert _squash("Verdict: IN PROGRESS") in text
    assert "AttendedworkshopBinfull." not in text


def test_a_tampered_history_is_flagged_on_the_certificate(steps: ReadSteps) -> None:
    cid = _completed(steps)
    with steps.engine.begin() as connection:
        connection.execute(update(history).where(history.c.caution_id == cid, history.c.entry == 3)
                           .values(summary="Workshop B booked for a date the court never heard of."))
    text = _squash("".join(_pages(_certificate(steps, cid).content)))
    assert _squash("WARNING: checked against the event store when generated: NOT INTACT at entry 3.") in text


def test_a_reference_with_any_characters_still_gives_a_safe_filename(steps: ReadSteps) -> None:
    """Regression: a non-Latin-1 reference made the PDF route fail with a 500 (header encoding)."""
    # A line break in a reference is refused at issue now (shared/text.py); quotes and semicolons are not.
    refused = steps.client.post("/v1/cautions", json=caution_payload(police_reference='CC "q"\r\nX-Injected: 1'),
                                headers=steps.police)
    assert refused.status_code == 422, refused.text
    for reference in ("CC/Łódź/2026-7", 'CC "quoted"; X-Injected: 1'):
        response = steps.client.post("/v1/cautions", json=caution_payload(police_reference=reference),
                                     headers=steps.police)
        cid = ok(response, 201)["id"]
        steps.project()
        disposition = _certificate(steps, cid).headers["content-disposition"]
        assert re.fullmatch(r'inline; filename="cara-certificate-[A-Za-z0-9._-]+\.pdf"', disposition), disposition


def test_json_stays_the_default_and_the_pdf_obeys_the_same_access_rules(steps: ReadSteps) -> None:
    cid = _completed(steps)
    assert steps.history(cid).headers["content-type"] == "application/json"
    assert steps.history(cid, headers={**steps.court, "Accept": "application/json"}).json()["caution_id"] == cid
    assert _certificate(steps, cid).status_code == 200
    assert steps.history(cid, headers={**steps.police, **PDF}).headers["content-type"] == "application/pdf"
    assert_problem(steps.history(cid, headers={**auth("court", "ESSEX"), **PDF}), 404)
    assert_problem(steps.history(cid, headers={**auth("provider"), **PDF}), 403)


def test_a_name_outside_latin_1_prints_as_given(steps: ReadSteps) -> None:
    body = caution_payload(issuing_officer={"name": "Łukasz Wójcik"}, offender={"name": "Zdzisław Ślęzak"})
    cid = ok(steps.client.post("/v1/cautions", json=body, headers=steps.police), 201)["id"]
    steps.project()
    page = _pages(_certificate(steps, cid).content)[0]
    assert "Łukasz Wójcik" in page
    assert "Zdzisław Ślęzak" not in page  # the offender is named by reference alone: a certificate leaves the system


def test_no_certificate_is_issued_while_the_history_trails_the_store(steps: ReadSteps) -> None:
    """A court certificate states the whole record or is not issued: 503 with Retry-After until it is complete."""
    cid = steps.issue_with_victim(police_reference="CC-2026-00418")["id"]
    steps.run(steps.schedule(cid, "A", 10))
    steps.project()
    steps.run(steps.attend(cid, "A", 10))  # recorded, not yet projected
    refused = steps.history(cid, headers={**steps.court, **PDF})
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["type"].endswith("read-model-behind")
    assert "1 recorded entries" in refused.json()["detail"]

    steps.project()
    disposition = _certificate(steps, cid).headers["content-disposition"]
    assert disposition == 'inline; filename="cara-certificate-CC-2026-00418.pdf"'


def _signature(steps: ReadSteps, content: bytes) -> PdfSignatureStatus:
    """pyHanko's own validation, the service's signing certificate (development: self-signed) the trust root."""
    root = signer_for(app_state(steps.client).settings).signing_cert
    signatures = PdfFileReader(io.BytesIO(content)).embedded_signatures
    assert len(signatures) == 1
    return validate_pdf_signature(signatures[0], ValidationContext(trust_roots=[root]))


def test_the_certificate_is_signed_and_validates_and_an_altered_copy_does_not(steps: ReadSteps) -> None:
    content = _certificate(steps, _completed(steps)).content
    status = _signature(steps, content)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage is not None
    assert status.coverage.name == "ENTIRE_FILE"  # the signature covers every byte the court was given

    # one letter of the file's opening lines, well inside the bytes the signature covers
    at = content.index(b"ReportLab")
    assert at < 100
    altered = content[:at] + b"X" + content[at + 1:]
    assert not _signature(steps, altered).bottom_line
    assert not _signature(steps, altered).intact


def test_every_page_is_numbered_and_the_force_and_the_system_are_named(steps: ReadSteps) -> None:
    cid = _completed(steps)
    pages = _pages(_certificate(steps, cid).content)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    text = " ".join(" ".join(pages).split())
    assert "Issuing force Cambridgeshire Constabulary (force code CAMBS)" in text
    app = steps.client.app
    assert isinstance(app, FastAPI)
    version = app.version  # the caution service's own version (main.VERSION)
    assert version and f"by the CARA compliance tracker, caution service version {version}, on " in text
    assert "The signature covers the whole document as issued" in text
    assert "Signed with a development certificate: NOT FOR COURT USE." in text  # the test environment's own pair


def test_one_date_style_and_never_seconds_or_an_iso_time(steps: ReadSteps) -> None:
    cid = _completed(steps)
    text = " ".join(_pages(_certificate(steps, cid).content))
    # the verification address is for a machine (its as_of pins the moment, in RFC 3339): the rest is for people
    address = rf"http://testserver/v1/cautions/{cid}/compliance-history/verification\?as_of=\S+Z"
    assert re.search(address, text)  # on one line: a court copies it whole
    prose = re.sub(address, "", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", prose)
    assert not re.search(r"\d{2}:\d{2}:\d{2}", prose)
    assert "2 March 2026, 10:00 GMT" in text  # issued (the offence date and each entry's times are in this style)


def test_a_configured_force_name_is_printed(sqlite_url: str, clock: FakeClock) -> None:
    settings = quiet_settings(sqlite_url, force_names={"CAMBS": "Cambridgeshire Constabulary (CARA pilot)"})
    with TestClient(create_app(settings, clock)) as client:
        steps = ReadSteps(client, clock)
        cid = steps.issue()["id"]
        steps.project()
        text = " ".join(" ".join(_pages(_certificate(steps, cid).content)).split())
    assert "Issuing force Cambridgeshire Constabulary (CARA pilot) (force code CAMBS)" in text
