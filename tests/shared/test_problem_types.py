"""Every problem type either service can answer with resolves: `GET /problems/<slug>` explains it (HTML and JSON).

The slugs are found in the source (every `ProblemError(...)`, `problem_response(...)`, literal `/problems/...`
and the HTTP errors' table), so a new refusal without an explanation fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from shared.problem_types import PROBLEM_TYPES
from shared.problems import _HTTP_SLUGS
from tests.support import FakeClock

ROOT = Path(__file__).resolve().parents[2]
_RAISED = re.compile(r'(?:ProblemError|problem_response)\(\s*[\w.]+,\s*"([a-z0-9-]+)"', re.S)
_LITERAL = re.compile(r'"/problems/([a-z0-9-]+)"')


def emitted_slugs() -> set[str]:
    found = {slug for slug, _ in _HTTP_SLUGS.values()} | {"http-error"}
    for source in [*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")]:
        text = source.read_text()
        found |= set(_RAISED.findall(text)) | set(_LITERAL.findall(text))
    return found


EMITTED = sorted(emitted_slugs())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('problems')}/db.sqlite3"
    with TestClient(create_app(Settings(environment="test", database_url=url), FakeClock()),
                    raise_server_exceptions=False) as c:
        yield c


def test_the_scan_finds_the_known_slugs() -> None:
    assert {"validation-failed", "not-eligible", "bad-cursor", "unknown-query-parameter", "deadline-passed",
            "payload-too-large", "database-unavailable"} <= set(EMITTED)
    assert len(EMITTED) >= 30


@pytest.mark.parametrize("slug", EMITTED)
def test_every_emitted_slug_has_a_page(client: TestClient, slug: str) -> None:
    assert slug in PROBLEM_TYPES, f"add {slug} to shared/problem_types.py"
    as_json = client.get(f"/problems/{slug}")
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["title"] and body["when"] and body["what_to_do"] and body["statuses"]
    as_html = client.get(f"/problems/{slug}", headers={"Accept": "text/html,application/xhtml+xml"})
    assert as_html.headers["content-type"].startswith("text/html")
    assert PROBLEM_TYPES[slug].title.split()[0] in as_html.text and "What to do" in as_html.text


def test_a_problem_answered_links_to_its_page(client: TestClient) -> None:
    refused = client.get("/v1/cautions", params={"month": "2026-03"})
    assert client.get(refused.json()["type"]).json()["title"] == refused.json()["title"]


def test_an_unknown_type_is_a_404_problem_and_the_index_lists_all(client: TestClient) -> None:
    missing = client.get("/problems/no-such-thing")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    index = client.get("/problems").json()["items"]
    assert {item["type"] for item in index} == {f"/problems/{slug}" for slug in PROBLEM_TYPES}
    assert "<a href=" in client.get("/problems", headers={"Accept": "text/html"}).text
