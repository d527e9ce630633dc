"""Every cursor a caller can send back is refused (400) unless the service could have given it out, never a 500."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.caution_fixtures import assert_problem
from tests.support import FakeClock, auth


def encoded(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


SOME_ID = str(uuid.uuid4())
# Each one a cursor this service never writes; the first two were answered 500 by the consultation log.
BAD_MOMENT_AND_ID = {
    "infinity": encoded('["2026-03-02T10:00:00+00:00", Infinity]'),
    "31-digit-id": encoded('["2026-03-02T10:00:00+00:00", 1234567890123456789012345678901]'),
    "nan": encoded('["2026-03-02T10:00:00+00:00", NaN]'),
    "float": encoded('["2026-03-02T10:00:00+00:00", 1.5]'),
    "negative": encoded('["2026-03-02T10:00:00+00:00", -1]'),
    "naive-time": encoded('["2026-03-02T10:00:00", 3]'),
    "nul-time": encoded('["2026-03-02T10:00:00\\u0000", 3]'),
    "not-a-list": encoded('{"at": 1}'),
    "three-values": encoded('["2026-03-02T10:00:00+00:00", 3, 4]'),
    "not-base64": "!!!",
    "not-json": encoded("[1,"),
    "not-ascii": "é",
}
BAD_DAY_AND_UUID = {
    "nul-id": encoded('["2026-03-02", "\\u0000"]'),
    "surrogate-id": encoded('["2026-03-02", "\\ud800"]'),
    "number-id": encoded('["2026-03-02", 1e400]'),
    "list-id": encoded('["2026-03-02", []]'),
    "bad-day": encoded(f'["2026-13-02", "{SOME_ID}"]'),
    "infinity": encoded('[Infinity, Infinity]'),
    "not-base64": "!!!",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cursors')}/cautions.sqlite3"
    with TestClient(create_app(Settings(environment="test", database_url=url), FakeClock()),
                    raise_server_exceptions=False) as c:
        yield c


def refused(response: Any) -> None:
    body = assert_problem(response, 400)
    assert body["type"] == "/problems/bad-cursor", body


@pytest.mark.parametrize("cursor", BAD_MOMENT_AND_ID.values(), ids=BAD_MOMENT_AND_ID.keys())
def test_consultation_log_cursor(client: TestClient, cursor: str) -> None:
    refused(client.get("/v1/consultations", params={"cursor": cursor}, headers=auth("admin")))


@pytest.mark.parametrize("cursor", [*BAD_MOMENT_AND_ID.values(), *BAD_DAY_AND_UUID.values()],
                         ids=[*BAD_MOMENT_AND_ID.keys(), *(f"day-{k}" for k in BAD_DAY_AND_UUID)])
def test_caution_list_cursor(client: TestClient, cursor: str) -> None:
    refused(client.get("/v1/cautions", params={"cursor": cursor}, headers=auth("police")))


@pytest.mark.parametrize("cursor", BAD_DAY_AND_UUID.values(), ids=BAD_DAY_AND_UUID.keys())
def test_offender_search_cursor(client: TestClient, cursor: str) -> None:
    body = {"name": "Alex Smith", "date_of_birth": "1990-01-01", "cursor": cursor}
    refused(client.post("/v1/cautions/search", json=body, headers=auth("police")))


def test_a_cursor_given_out_is_taken_back(client: TestClient) -> None:
    for _ in range(3):  # each list answered is a consultation: enough entries for a second page
        assert client.get("/v1/cautions", headers=auth("police")).status_code == 200
    first = client.get("/v1/consultations", params={"limit": 1}, headers=auth("admin"))
    cursor = first.json()["next_cursor"]
    assert json.loads(base64.urlsafe_b64decode(cursor))[1] > 0
    second = client.get("/v1/consultations", params={"limit": 1, "cursor": cursor}, headers=auth("admin"))
    assert second.status_code == 200, second.text
    assert second.json()["items"] != first.json()["items"]


@pytest.mark.parametrize("name", ["infinity", "31-digit-id", "nul-time"])
def test_consultation_log_cursor_on_postgresql(postgres_schema_url: str, name: str) -> None:
    settings = Settings(environment="test", database_url=postgres_schema_url)
    with TestClient(create_app(settings, FakeClock()), raise_server_exceptions=False) as c:
        refused(c.get("/v1/consultations", params={"cursor": BAD_MOMENT_AND_ID[name]}, headers=auth("admin")))
        refused(c.get("/v1/cautions", params={"cursor": BAD_DAY_AND_UUID["nul-id"]}, headers=auth("police")))
