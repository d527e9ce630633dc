"""Writes docs/reports/outcomes-page1.png: page 1 of the commissioner's outcomes report (GET /v1/reports/outcomes
with `Accept: application/pdf`) for a year of cohorts in two forces, read with a national commissioner token.

The lifecycles are the acceptance test's random ones (tests/caution_service/integration/test_outcomes_report.py),
driven through the real HTTP app on a throw-away SQLite database; everyone in them is fictional.

    .venv/bin/python -m docs.reports.make_sample
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from shared.auth import NATIONAL, Role
from tests.caution_service.integration.test_outcomes_report import NOW, UNLIMITED, _known, drive
from tests.support import FakeClock, auth

OUT = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(environment="test", database_url=f"sqlite:///{folder}/c.sqlite3",
                            deadline_check_seconds=3600, national_commissioners=["pcc-office"], **_known(UNLIMITED))
        with TestClient(create_app(settings, FakeClock(NOW)), raise_server_exceptions=False) as client:
            drive(client, seed=2026, per_force=90)
            response = client.get("/v1/reports/outcomes", params={"from": "2026-01", "to": "2026-12", "by": "month"},
                                  headers={**auth(Role.COMMISSIONER, NATIONAL, subject="pcc-office"),
                                           "Accept": "application/pdf"})
            response.raise_for_status()
    page = pdfium.PdfDocument(response.content)[0]
    page.render(scale=2).to_pil().save(OUT / "outcomes-page1.png", optimize=True)
    print(f"wrote {OUT / 'outcomes-page1.png'} ({len(response.content)} bytes of PDF)")


if __name__ == "__main__":
    main()
