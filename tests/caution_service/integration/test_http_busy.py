"""A writer with more commands waiting than it takes answers 503 busy with Retry-After, and records nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.caution_service import writer
from tests.support import auth, caution_payload


def test_a_full_writer_answers_503_busy_with_retry_after(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "MAX_WAITING", 0)  # the queue is full before the first command
    r = client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "/problems/busy"
    monkeypatch.setattr(writer, "MAX_WAITING", 10_000)
    listed = client.get("/v1/cautions", headers=auth("police"))
    assert listed.status_code == 200 and listed.json()["items"] == []
