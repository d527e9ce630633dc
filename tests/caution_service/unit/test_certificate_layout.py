"""The certificate's layout and words (certificate.py, pdf.py), rendered for real and read back with pypdfium2:
"Page x of y" on every page, one date style, no word split across lines in a table cell, people named as the entry
names them, the verdict's decision and the spent date in words that are true, and an attestation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest

from services.caution_service.certificate import court_text, recorded_by_text, render_certificate
from services.caution_service.projections.compliance import Verification

GENERATED = datetime(2026, 7, 3, 9, 5, 7, 123456, tzinfo=UTC)  # 10:05 BST; the seconds must not show
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
OFFICER = {"id": "PC-4471", "role": "police", "force": "CAMBS", "name": "Alex Morgan", "rank": "police_constable",
           "collar_number": "4471"}
OLD_ENTRY = {"id": "provider-a0d629f5", "role": "provider", "force": "CAMBS"}
LONG_ID = {"id": "victim-contact-service-07", "role": "victim_contact", "force": "CAMBS"}  # cut in a 34 mm column
SYSTEM = {"id": "cara-deadline-monitor", "role": "system", "force": "CAMBS"}
# Sentences with long words: a narrow column used to cut them ("Rescheduled" as "Resched" / "uled").
SENTENCES = [
    "Workshop A booked for 12 Mar 2026 18:00 at Cambridge Multidisciplinary Safeguarding Centre.",
    "Reasonable excuse for missing workshop A accepted: hospitalisation documented; notwithstanding "
    "uncharacteristically incomprehensible paperwork. Both workshops to be attended again.",
    "Caution period end changed from 2026-06-22 to 2026-07-20, authorised by INSP-2002: Provider cancelled sessions",
    "Attended workshop A in full.",
]


def _caution(**overrides: Any) -> dict[str, Any]:
    caution = {
        "id": "3f1c8a52-8d7e-4f59-9d63-1c2b7f9e0a11", "police_reference": "CC-2026-00417", "force": "CAMBS",
        "legal_basis": "conditional_caution", "offender": {"reference": "PNC-0417"},
        "personal_data": {"offender": {"state": "held"}, "victim": {"state": "held"}},
        "offence": {"category": "common_assault", "committed_on": "2026-02-20"},
        "victim": {"reference": "V-0417"}, "issued_at": "2026-03-02T10:00:00+00:00",
        "issuing_officer": {"id": "SGT-2291", "name": "Priya Shah", "rank": "sergeant"},
        "conditions": {"min_days_between_workshops": 28, "first_contact_days": 14}, "period_ends_on": "2026-06-22",
    }
    return {**caution, **overrides}


def _entries(count: int) -> list[dict[str, Any]]:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    people = [OFFICER, OLD_ENTRY, SYSTEM, LONG_ID]
    return [{
        "entry": n, "summary": SENTENCES[n % len(SENTENCES)],
        "occurred_at": (start + timedelta(days=n)).isoformat(),
        "recorded_at": (start + timedelta(days=n, minutes=20, microseconds=654321)).isoformat(),
        "recorded_by": people[n % len(people)], "details": {"booking": {"session_at": "2026-03-12T18:00:00+00:00"}},
        "corrected_by": [],
    } for n in range(1, count + 1)]


def _history(count: int = 4, **overrides: Any) -> dict[str, Any]:
    history = {"entries": _entries(count), "digest": "ab" * 32, "as_of": None,
               "verdict": {"outcome": "in_progress", "reasons": ["Workshop A attended on 2026-03-19."],
                           "decision": None}}
    return {**history, **overrides}


def _render(history: dict[str, Any], caution: dict[str, Any] | None = None, **keywords: Any) -> bytes:
    check = Verification(True, len(history["entries"]), 0, history["digest"], None, None)
    arguments = {"force_name": "Cambridgeshire Constabulary", "system_version": "0.1.0",
                 "signed_by": "CARA development certificate - NOT FOR COURT USE", **keywords}
    return render_certificate(history, caution or _caution(), GENERATED,
                              "https://cara.example/v1/cautions/x/compliance-history/verification", check, **arguments)


def _pages(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def test_every_page_says_page_x_of_y() -> None:
    pages = _pages(_render(_history(count=60)))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "CARA compliance certificate CC-2026-00417, Cambridgeshire Constabulary" in text


def test_no_word_of_any_sentence_is_split_across_lines() -> None:
    history = _history(count=12)
    words = set(_text(_render(history)).split())
    for entry in history["entries"]:
        for word in court_text(entry["summary"], entry["details"]).split():
            assert word in words, f"{word!r} is split across lines"
        for word in recorded_by_text(entry["recorded_by"], "CAMBS").split():
            assert word in words, f"{word!r} is split across lines"


def test_a_word_too_wide_for_its_cell_is_shrunk_to_fit_not_split() -> None:
    history = _history(count=1)
    history["entries"][0]["recorded_by"] = {"id": "provider-0f4c7d1e2b3a", "role": "provider", "force": "CAMBS"}
    assert "provider-0f4c7d1e2b3a" in _text(_render(history)).split()  # wider than the column at 8 pt


def test_a_word_too_wide_even_shrunk_breaks_only_at_its_own_hyphens() -> None:
    long_id = "provider-0f4c7d1e-2b3a-4c5d-8e9f-a0b1c2d3e4f5"  # a UUID subject: wider than the column at 5.5 pt
    history = _history(count=1)
    history["entries"][0]["recorded_by"] = {"id": long_id, "role": "provider", "force": "CAMBS"}
    text = _text(_render(history))
    assert long_id not in text  # it does not fit on one line
    # pdfium reads a line ending in a hyphen as "\ufffe" (a hyphenated word) or "-" and a line break
    assert long_id in re.sub("\ufffe(\r\n)?|-\r\n", "-", text).split()  # lines end at its hyphens, nowhere else


def test_one_date_style_no_iso_dates_no_seconds() -> None:
    text = _text(_render(_history(count=8)))
    outside_the_address = text.replace("https://cara.example/v1/cautions/x/compliance-history/verification", "")
    assert not ISO.search(outside_the_address)
    assert "654321" not in text and "10:05:07" not in text
    assert "Generated 3 July 2026, 10:05 BST" in text
    assert "2 March 2026, 10:00 GMT" in text  # issued, in winter
    assert "Workshop A booked for 12 March 2026, 18:00 GMT at" in " ".join(text.split())
    assert "Caution period end changed from 22 June 2026 to 20 July 2026" in " ".join(text.split())
    assert "Workshop A attended on 19 March 2026." in text
    assert "Caution period ends 22 June 2026" in " ".join(text.split())


def test_people_by_name_and_rank_or_collar_number_the_system_as_itself_older_entries_by_role_and_id() -> None:
    assert recorded_by_text(OFFICER, "CAMBS") == "Police constable Alex Morgan, collar number 4471 (police)"
    assert recorded_by_text({**OFFICER, "collar_number": None}, "CAMBS") == "Police constable Alex Morgan (police)"
    assert recorded_by_text(SYSTEM, "CAMBS") == "CARA system"
    assert recorded_by_text(OLD_ENTRY, "CAMBS") == "workshop provider account provider-a0d629f5"
    assert recorded_by_text({**OFFICER, "force": "ESSEX"}, "CAMBS").endswith("(police), Essex Police")
    text = " ".join(_text(_render(_history(count=4))).split())
    assert "Police constable Alex Morgan, collar number 4471 (police)" in text
    assert "PC-4471" not in text  # never the account id when a name is there
    assert "CARA system" in text


@pytest.mark.parametrize("decision, words", [
    ("breach_decision_pending", "Decision: the caution period ended with the conditions unmet; the police have not "
                                "yet decided on the breach."),
    ("prosecute", "Decision: the police decided the conditions were broken and to prosecute the original offence."),
    ("no_further_action", "Decision: the police decided the conditions were broken and to take no further action."),
])
def test_not_complied_states_the_decision(decision: str, words: str) -> None:
    verdict = {"outcome": "not_complied", "reasons": [], "decision": decision}
    text = " ".join(_text(_render(_history(verdict=verdict))).split())
    assert "Verdict: DID NOT COMPLY with the conditions" in text
    assert words in text
    assert "IN PROGRESS" not in text


@pytest.mark.parametrize("spent_on, decision, words", [
    ("2026-06-02", None, "Spent 2 June 2026 (Rehabilitation of Offenders Act 1974, Sch 2 para 1(1)(a))"),
    (None, None, "Spent not yet known: it depends on how the caution ends"),
    (None, "prosecute", "Spent not applicable: proceedings were instituted for the original offence"),
])
def test_the_spent_date_is_stated_when_the_history_gives_it(spent_on: str | None, decision: str | None,
                                                             words: str) -> None:
    outcome = "not_complied" if decision else "in_progress"
    verdict: dict[str, Any] = {"outcome": outcome, "reasons": [], "decision": decision}
    text = " ".join(_text(_render(_history(spent_on=spent_on, verdict=verdict))).split())
    assert words in text


def test_without_a_spent_date_in_the_history_there_is_no_spent_row() -> None:
    assert "Spent" not in _text(_render(_history()))


def test_the_attestation_names_the_force_the_system_and_version_the_time_and_what_the_signature_covers() -> None:
    text = " ".join(_text(_render(_history(), system_version="9.8.7")).split())
    assert ("Issued for Cambridgeshire Constabulary (force code CAMBS) by the CARA compliance tracker, caution service "
            "version 9.8.7, on 3 July 2026, 10:05 BST.") in text
    assert "signed electronically (PAdES) with the certificate of CARA development certificate" in text
    assert "The signature covers the whole document as issued" in text
    assert "Signed with a development certificate: NOT FOR COURT USE." in text
    unsigned = " ".join(_text(_render(_history(), signed_by=None)).split())
    assert "This copy is not signed electronically" in unsigned and "PAdES" not in unsigned


def test_the_force_is_named_and_an_unknown_one_says_so() -> None:
    text = " ".join(_text(_render(_history())).split())
    assert "Issuing force Cambridgeshire Constabulary (force code CAMBS)" in text
    odd = " ".join(_text(_render(_history(), force_name="force code ZZ (no force name is configured for this code)"))
                   .split())
    assert "force code ZZ (no force name is configured for this code)" in odd


def test_the_verification_address_is_printed_as_given() -> None:
    history = _history()
    check = Verification(True, 4, 0, history["digest"], None, None)
    url = "https://cara.example/v1/cautions/x/compliance-history/verification?as_of=2026-03-05T12%3A00%3A00%2B00%3A00"
    pdf = render_certificate(history, _caution(), GENERATED, url, check, force_name="Kent Police",
                             system_version="0.1.0")
    assert url in _text(pdf).replace("\r\n", "")


def test_an_on_date_certificate_says_what_it_states() -> None:
    text = " ".join(_text(_render(_history(on="2026-03-05"))).split())
    assert "what had happened by the end of 5 March 2026, as the record knows it now" in text
    assert "Verdict on 5 March 2026:" in text
