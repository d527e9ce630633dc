"""Acceptance (issue 14): personal data is nowhere in clear at rest or in the logs.

Cautions are written with distinctive names, dates of birth, contact details and notes and driven through
their lifecycle (victim contacts with notes, a rectification, reads by every role, the history and the
certificate); then the raw database files (SQLite: the database, its -wal and -shm; PostgreSQL: a
pg_dump of the test's schema) and every log record are searched for each value, as bytes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.caution_fixtures import Steps
from tests.support import FakeClock, app_state, at, iso, national_auth

SECRETS = {
    "offender name": "Ignatius Wobblethorpe",
    "offender date of birth": "1983-11-07",
    "offence description": "Smashed the harpsichord in anger",
    "victim name": "Cordelia Pumpernickel",
    "victim phone": "07700 955514",
    "victim email": "cordelia.p@example.net",
    "victim address": "42 Marmalade Crescent",
    "victim contact notes": "Feels safer since the second workshop",
    "corrected name": "Ignatius Wobblethorp-Smythe",
    "missed workshop note": "Phoned from the Quarrington Road surgery",
}


def _drive(s: Steps) -> None:
    caution = s.issue(offender={"name": SECRETS["offender name"], "date_of_birth": SECRETS["offender date of birth"]},
                      offence={"description": SECRETS["offence description"]},
                      victim={"contact_details": {"name": SECRETS["victim name"], "phone": SECRETS["victim phone"],
                                                  "email": SECRETS["victim email"],
                                                  "address": SECRETS["victim address"]}})
    cid = caution["id"]
    for response in (s.schedule(cid, "A", 10), s.schedule(cid, "B", 40), s.attend(cid, "A", 10),
                     s.contact_victim(cid, 12, notes=SECRETS["victim contact notes"]), s.attend(cid, "B", 40),
                     s.complete(cid, 41)):
        assert response.status_code == 200, response.text
    missed = s.issue(offender={"name": SECRETS["offender name"], "date_of_birth": SECRETS["offender date of birth"]})
    assert s.schedule(missed["id"], "A", 10).status_code == 200
    s.tick(at(10, 19))
    answer = s.post(missed["id"], "workshops/A/non-attendance", {"occurred_at": iso(at(10, 19)),
                     "reason": "did_not_attend", "note": SECRETS["missed workshop note"]}, s.provider)
    assert answer.status_code == 200, answer.text
    rectified = s.client.post(f"/v1/cautions/{cid}/personal-data/offender/rectification", headers=s.police,
                              json={"name": SECRETS["corrected name"], "reason": "spelling"})
    assert rectified.status_code == 200, rectified.text
    for reader in (s.police, s.provider, s.court, s.victim_contact):
        assert s.get(cid, reader).status_code == 200
    app_state(s.client).projector.run_until_caught_up()
    assert s.client.get(f"/v1/cautions/{cid}/compliance-history", headers=s.court).status_code == 200
    certificate = s.client.get(f"/v1/cautions/{cid}/compliance-history",
                               headers={**s.court, "Accept": "application/pdf"})
    assert certificate.status_code == 200
    assert s.client.get("/v1/events", headers=national_auth()).status_code == 200


def _found_in(blob: bytes) -> list[str]:
    return [what for what, value in SECRETS.items() if value.encode() in blob or value.lower().encode() in blob]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


def _logged(caplog: pytest.LogCaptureFixture) -> bytes:
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records).encode()


def test_nothing_personal_in_clear_in_the_sqlite_files_or_the_logs(
        tmp_path: Path, clock: FakeClock, logs: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path}/cautions.sqlite3"
    with TestClient(create_app(Settings(environment="test", database_url=url), clock),
                    raise_server_exceptions=False) as client:
        _drive(Steps(client, clock))
        files = sorted(tmp_path.glob("cautions.sqlite3*"))
        assert {f.name for f in files} >= {"cautions.sqlite3", "cautions.sqlite3-wal"}  # read while still open
        found = {f.name: _found_in(f.read_bytes()) for f in files}
    assert all(not hits for hits in found.values()), found
    assert _found_in(_logged(logs)) == []
    # The search works: the same values are found where they should be, in clear, as the test wrote them.
    assert _found_in(SECRETS["victim phone"].encode()) == ["victim phone"]


@pytest.mark.postgres
def test_nothing_personal_in_clear_in_a_postgresql_dump(
        postgres_schema_url: str, clock: FakeClock, logs: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(Settings(environment="test", database_url=postgres_schema_url), clock),
                    raise_server_exceptions=False) as client:
        _drive(Steps(client, clock))
    parsed = urlparse(postgres_schema_url.replace("postgresql+psycopg", "postgresql"))
    schema = parse_qs(parsed.query)["options"][0].removeprefix("-csearch_path=")
    plain = parsed._replace(query="").geturl()
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    dump = subprocess.run([pg_dump, "--dbname", plain, "--schema", schema, "--data-only"], capture_output=True,
                          check=True, timeout=60).stdout
    assert b"cautions_events" in dump and len(dump) > 10_000  # the dump holds the store
    assert _found_in(dump) == []
    assert _found_in(_logged(logs)) == []
