"""Dates and times only as the contract spells them: a number is never read as a Unix time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import auth, caution_payload


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("occurred_at", [0, 1772445600, "1772445600", "2026-03-02", "02/03/2026 10:00"])
def test_a_command_time_that_is_not_rfc_3339_is_refused(client: TestClient, occurred_at: int | str) -> None:
    payload = {**caution_payload(), "occurred_at": occurred_at}
    body = _assert_problem(client.post("/v1/cautions", json=payload, headers=auth("police")), 422)
    assert any("RFC 3339" in e["message"] or "offset" in e["message"] for e in body["errors"]), body


@pytest.mark.parametrize("dob", [0, "0", "19900517", "17/05/1990"])
def test_a_date_that_is_not_iso_is_refused(client: TestClient, dob: int | str) -> None:
    payload = caution_payload(offender={"date_of_birth": dob})
    body = _assert_problem(client.post("/v1/cautions", json=payload, headers=auth("police")), 422)
    assert any("YYYY-MM-DD" in e["message"] for e in body["errors"]), body


@pytest.mark.parametrize("query", ["due_before=0", "due_before=1772445600"])
def test_a_list_filter_date_given_as_a_number_is_refused(client: TestClient, query: str) -> None:
    _assert_problem(client.get(f"/v1/cautions?{query}", headers=auth("police")), 422)


def test_as_of_given_as_a_number_is_refused(client: TestClient) -> None:
    created = client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
    assert created.status_code == 201
    _assert_problem(client.get(f"/v1/cautions/{created.json()['id']}?as_of=0", headers=auth("court")), 422)
    _assert_problem(client.get("/v1/statistics?since=20260101", headers=auth("police")), 422)
