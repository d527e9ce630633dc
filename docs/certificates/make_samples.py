"""Writes docs/certificates/<outcome>.png (page 1 of each certificate) for every outcome a court may be given, and
the whole signed PDF of the complied one (docs/certificates/complied.pdf: open it to see the signature).

Seven lifecycles are driven through the real HTTP app on a throw-away SQLite database, with a hand-moved clock:
complied, not complied after the period (the deadline passed unmet), breached (prosecute), breached (no further
action), withdrawn, the complied caution "as of" a moment part-way through, and the same caution "on" a date (what
had happened by then, as known now). Everyone in them is fictional.

    make certificate-samples            (or: .venv/bin/python -m docs.certificates.make_samples)
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.support import FakeClock, app_state, auth

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "certificates"
BASE_URL = "https://cara.example.police.uk"
FORCE = "CAMBS"


# Development tokens for named people: their display claims (name, rank, collar number) are what the certificate
# prints for the entries they record.
POLICE = auth("police", FORCE, "PC-4471", name="Alex Morgan", rank="police constable", collar_number="4471")
SUPERVISOR = auth("police", FORCE, "INSP-2002", name="Ruth Adebayo", rank="inspector", collar_number="2002")
PROVIDER = auth("provider", FORCE, "facilitator-rw", name="Rachel Wood")
VICTIM_CONTACT = auth("victim_contact", FORCE, "idva-07", name="Idris Evans")
COURT = auth("court", FORCE, "court-liaison-2", name="Court liaison officer")


def when(day: str, at: str = "10:00") -> str:
    return f"2026-{day}T{at}:00+00:00"


def caution(reference: str) -> dict[str, Any]:
    return {
        "police_reference": reference,
        "legal_basis": "conditional_caution",
        "occurred_at": when("03-02"),
        "offender": {"reference": f"PNC-{reference}", "name": "Daniel Marsh", "date_of_birth": "1988-11-03",
                     "gender": "male"},
        "offence": {"category": "criminal_damage", "committed_on": "2026-02-20",
                    "description": "Broke a door panel during an argument with his partner",
                    "relationship": "current_partner",
                    "admitted": True, "evidence_sufficient_to_charge": True, "charge_decision_by": "CPS"},
        "history": {"last_domestic_abuse_disposal_on": None, "serving_community_sentence": False},
        "victim": {"reference": f"V-{reference}", "dash_risk": "standard", "consulted": True, "agrees": True,
                   "contact_details": {"name": "Withheld Example", "phone": "07700 900555"}},
        "issuing_officer": {"id": "SGT-2291", "name": "Priya Shah", "rank": "sergeant", "authorised_person": False},
    }


Step = tuple[str, str, dict[str, Any], dict[str, str]]  # (clock when recorded, path under the caution, body, caller)

BOOK_A: Step = (when("03-03", "09:15"), "workshops/A/schedule",
                {"occurred_at": when("03-03", "09:00"), "session_at": when("03-19", "18:00"),
                 "venue": "Cambridge CARA Centre"}, PROVIDER)
BOOK_B: Step = (when("03-10", "11:45"), "workshops/B/schedule",
                {"occurred_at": when("03-10", "11:30"), "session_at": when("04-23", "18:00"),
                 "venue": "Cambridge CARA Centre"}, PROVIDER)
ATTEND_A: Step = (when("03-20", "09:05"), "workshops/A/attendance", {"occurred_at": when("03-19", "20:00")}, PROVIDER)
CONTACT_AFTER_A: Step = (when("03-24", "15:20"), "victim-contacts",
                         {"occurred_at": when("03-24", "15:00"), "stage": "after_workshop_a", "outcome": "contacted",
                          "notes": "Sample note held by victim contact only"}, VICTIM_CONTACT)
MISS_A: Step = (when("03-20", "09:05"), "workshops/A/non-attendance",
                {"occurred_at": when("03-19", "20:00"), "reason": "did_not_attend", "note": "No show, no call."},
                PROVIDER)
REJECT: Step = (when("03-23", "10:10"), "excuse-decisions",
                {"occurred_at": when("03-23", "10:00"), "accepted": False,
                 "reason": "No excuse offered when contacted"}, SUPERVISOR)

COMPLIED: list[Step] = [
    BOOK_A, BOOK_B, ATTEND_A, CONTACT_AFTER_A,
    (when("04-24", "08:50"), "workshops/B/attendance", {"occurred_at": when("04-23", "20:00")}, PROVIDER),
    (when("04-27", "10:30"), "completion", {"occurred_at": when("04-27", "10:00")}, SUPERVISOR),
    (when("04-30", "14:00"), "victim-contacts",
     {"occurred_at": when("04-30", "13:30"), "stage": "on_completion", "outcome": "contacted"}, VICTIM_CONTACT),
]
NOT_COMPLIED = [BOOK_A, BOOK_B, ATTEND_A, CONTACT_AFTER_A]  # B never attended; the period ends on 22 June
BREACH = [BOOK_A, MISS_A, REJECT]
WITHDRAWN: list[Step] = [BOOK_A, (when("03-05", "16:10"), "withdrawal",
                                  {"occurred_at": when("03-05", "16:00"),
                                   "reason": "Issued in error: the offender was already subject to a community order"},
                                  SUPERVISOR)]


def breach(outcome: str) -> list[Step]:
    return [*BREACH, (when("03-26", "11:10"), "breach",
                      {"occurred_at": when("03-26", "11:00"), "outcome": outcome,
                       "reason": "Missed workshop A; the excuse was rejected"}, SUPERVISOR)]


@dataclass(frozen=True)
class Sample:
    name: str
    reference: str
    steps: list[Step]
    read_at: str  # the clock when the certificate is asked for
    params: dict[str, str]
    deadline_check: bool = False  # run the deadline monitor at `read_at` (the period has ended unmet)


SAMPLES = [
    Sample("complied", "CAMBS-CC-2026-00417", COMPLIED, when("05-05", "09:30"), {}),
    Sample("not-complied-after-the-period", "CAMBS-CC-2026-00418", NOT_COMPLIED, when("06-23", "09:30"), {},
           deadline_check=True),
    Sample("breached-prosecute", "CAMBS-CC-2026-00419", breach("prosecute"), when("04-02", "09:30"), {}),
    Sample("breached-no-further-action", "CAMBS-CC-2026-00420", breach("no_further_action"), when("04-02", "09:30"),
           {}),
    Sample("withdrawn", "CAMBS-CC-2026-00421", WITHDRAWN, when("03-09", "09:30"), {}),
    Sample("as-of", "CAMBS-CC-2026-00422", COMPLIED, when("05-05", "09:30"), {"as_of": when("03-21", "12:00")}),
    Sample("on-a-date", "CAMBS-CC-2026-00423", COMPLIED, when("05-05", "09:30"), {"on": "2026-03-22"}),
]


def certificate(sample: Sample, database: Path) -> bytes:
    """The signed certificate of the sample's caution, as a court receives it over HTTP."""
    clock = FakeClock(datetime.fromisoformat(when("03-02", "10:20")).astimezone(UTC))
    settings = Settings(environment="test", database_url=f"sqlite:///{database}", run_projections=False)
    with TestClient(create_app(settings, clock), base_url=BASE_URL) as client:
        issued = client.post("/v1/cautions", json=caution(sample.reference), headers=POLICE)
        assert issued.status_code == 201, issued.text
        cid = issued.json()["id"]
        for recorded, path, body, caller in sample.steps:
            clock.now = datetime.fromisoformat(recorded)
            response = client.post(f"/v1/cautions/{cid}/{path}", json=body, headers=caller)
            assert response.status_code == 200, (sample.name, path, response.text)
        state = app_state(client)
        state.projector.run_until_caught_up()
        clock.now = datetime.fromisoformat(sample.read_at)
        if sample.deadline_check:
            state.deadlines.run_once()
            state.projector.run_until_caught_up()
        pdf = client.get(f"/v1/cautions/{cid}/compliance-history", params=sample.params,
                         headers={**COURT, "Accept": "application/pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", pdf.text
        return pdf.content


def page_one_png(pdf: bytes, path: Path, scale: float = 1.5) -> None:
    pdfium.PdfDocument(pdf)[0].render(scale=scale).to_pil().save(path)


def write(samples: list[Sample], out: Path, scratch: Path, say: Callable[[str], None] = print) -> list[Path]:
    """Page one of each sample as PNG, and the complied one's whole signed PDF."""
    written = []
    for sample in samples:
        pdf = certificate(sample, scratch / f"{sample.name}.sqlite3")
        paths = [out / f"{sample.name}.png"]
        page_one_png(pdf, paths[0])
        if sample.name == "complied":
            paths.append(out / "complied.pdf")
            paths[1].write_bytes(pdf)
        for path in paths:
            written.append(path)
            say(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return written


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        write(SAMPLES, OUT, Path(scratch))


if __name__ == "__main__":
    main()
