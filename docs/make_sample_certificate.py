"""Writes docs/sample-certificate.pdf and docs/sample-certificate.png (page 1) from a realistic caution.

The caution is driven through the HTTP API on a throw-away SQLite database, with a hand-moved clock,
so the certificate shows what a court receives: facts, verdict with reasons, timeline (with a
reschedule and a correction), and the integrity digest. Everyone in it is fictional.

    .venv/bin/python docs/make_sample_certificate.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from services.caution_service.config import Settings  # noqa: E402
from services.caution_service.main import create_app  # noqa: E402
from tests.support import FakeClock, app_state, auth  # noqa: E402

BASE_URL = "https://cara.example.police.uk"
POLICE = auth("police", "CAMBS", subject="PC-4471")
PROVIDER = auth("provider", "CAMBS", subject="facilitator-rw")
VICTIM_CONTACT = auth("victim_contact", "CAMBS", subject="idva-07")
COURT = auth("court", "CAMBS", subject="court-liaison-2")


def when(day: str, time: str = "10:00") -> str:
    return datetime.fromisoformat(f"2026-{day}T{time}:00+00:00").isoformat()


CAUTION = {
    "police_reference": "CAMBS-CC-2026-00417",
    "legal_basis": "conditional_caution",
    "occurred_at": when("03-02"),
    "offender": {"reference": "PNC-SAMPLE-0417", "name": "Daniel Marsh", "date_of_birth": "1988-11-03",
                 "gender": "male"},
    "offence": {"category": "criminal_damage", "committed_on": "2026-02-20",
                "description": "Broke a door panel during an argument with his partner",
                "relationship": "current_partner",
                "admitted": True, "evidence_sufficient_to_charge": True, "charge_decision_by": "CPS"},
    "history": {"last_domestic_abuse_disposal_on": None, "serving_community_sentence": False},
    "victim": {"reference": "V-SAMPLE-0417", "dash_risk": "standard", "consulted": True, "agrees": True,
               "contact_details": {"name": "Withheld Example", "phone": "07700 900555"}},
    "issuing_officer": {"id": "SGT-2291", "name": "Sgt Priya Shah", "rank": "sergeant", "authorised_person": False},
}

# (clock when recorded, path under the caution, body, caller)
STEPS: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    (when("03-03", "09:15"), "workshops/A/schedule",
     {"occurred_at": when("03-03", "09:00"), "session_at": when("03-12", "18:00"), "venue": "Cambridge CARA Centre"},
     PROVIDER),
    (when("03-10", "11:40"), "workshops/A/schedule",
     {"occurred_at": when("03-10", "11:30"), "session_at": when("03-19", "18:00"), "venue": "Cambridge CARA Centre",
      "reason": "Offender's shift pattern changed; employer's letter seen"}, PROVIDER),
    (when("03-10", "11:45"), "workshops/B/schedule",
     {"occurred_at": when("03-10", "11:30"), "session_at": when("04-23", "18:00"), "venue": "Cambridge CARA Centre"},
     PROVIDER),
    (when("03-20", "09:05"), "workshops/A/attendance", {"occurred_at": when("03-19", "20:00")}, PROVIDER),
    (when("03-24", "15:20"), "victim-contacts",
     {"occurred_at": when("03-24", "15:00"), "stage": "after_workshop_a", "outcome": "contacted",
      "notes": "Sample note held by victim contact only"}, VICTIM_CONTACT),
    (when("04-24", "08:50"), "workshops/B/attendance", {"occurred_at": when("04-23", "20:00")}, PROVIDER),
    (when("04-24", "12:10"), "corrections",
     {"corrects_entry": 7, "reason": "The register shows the session ended at 20:15",
      "corrected_occurred_at": when("04-23", "20:15")}, PROVIDER),
    (when("04-27", "10:30"), "completion", {"occurred_at": when("04-27", "10:00")}, POLICE),
    (when("04-30", "14:00"), "victim-contacts",
     {"occurred_at": when("04-30", "13:30"), "stage": "on_completion", "outcome": "contacted"}, VICTIM_CONTACT),
]


def build_certificate(database: Path) -> bytes:
    clock = FakeClock(datetime.fromisoformat(when("03-02", "10:20")).astimezone(UTC))
    settings = Settings(environment="test", database_url=f"sqlite:///{database}", run_projections=False)
    with TestClient(create_app(settings, clock), base_url=BASE_URL) as client:
        issued = client.post("/v1/cautions", json=CAUTION, headers=POLICE)
        assert issued.status_code == 201, issued.text
        cid = issued.json()["id"]
        for recorded, path, body, caller in STEPS:
            clock.now = datetime.fromisoformat(recorded)
            response = client.post(f"/v1/cautions/{cid}/{path}", json=body, headers=caller)
            assert response.status_code == 200, (path, response.text)
        app_state(client).projector.run_until_caught_up()
        clock.now = datetime.fromisoformat(when("05-05", "09:30"))
        pdf = client.get(f"/v1/cautions/{cid}/compliance-history", headers={**COURT, "Accept": "application/pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", pdf.text
        return pdf.content


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        content = build_certificate(Path(scratch) / "sample.sqlite3")
    pdf_path, png_path = ROOT / "docs" / "sample-certificate.pdf", ROOT / "docs" / "sample-certificate.png"
    pdf_path.write_bytes(content)
    pdfium.PdfDocument(content)[0].render(scale=1.5).to_pil().save(png_path)
    print(f"wrote {pdf_path.relative_to(ROOT)} ({len(content):,} bytes) and {png_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
