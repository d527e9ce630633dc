"""A caution's whole life over HTTP, and the headers every response carries."""

from __future__ import annotations

import json
from typing import Any

from tests.caution_fixtures import Steps, assert_problem
from tests.support import app_state, at, caution_payload, iso


def _etag_matches(response: Any) -> None:
    assert response.headers["etag"] == f'"{response.json()["version"]}"'


def test_issue_answers_201_with_location_etag_and_request_id(steps: Steps) -> None:
    response = steps.client.post("/v1/cautions", json=caution_payload(), headers=steps.police)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/cautions/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["version"] == 1 and body["status"] == "active"
    assert response.headers["x-request-id"]
    assert steps.client.get(response.headers["location"], headers=steps.police).json()["id"] == body["id"]


def test_full_lifecycle_reaches_completed(steps: Steps) -> None:
    cid = steps.issue()["id"]
    responses = []

    responses.append(steps.schedule(cid, "A", 10))
    responses.append(steps.schedule(cid, "B", 40))
    responses.append(steps.attend(cid, "A", 10))
    responses.append(steps.contact_victim(cid, 12))
    responses.append(steps.attend(cid, "B", 40))  # 30 days after A
    responses.append(steps.complete(cid, 40))
    responses.append(steps.contact_victim(cid, 42, stage="on_completion"))

    versions = []
    for response in responses:
        assert response.status_code == 200, response.text
        _etag_matches(response)
        assert response.headers["x-request-id"]
        versions.append(response.json()["version"])
    assert versions == [2, 3, 4, 5, 6, 7, 8]
    positions = [r.json()["position"] for r in responses]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)

    state = steps.get(cid)
    assert state.status_code == 200
    _etag_matches(state)
    assert state.headers["etag"] == '"8"'
    body = state.json()
    assert body["status"] == "completed"
    assert body["version"] == 8
    assert body["workshops"]["A"]["attended_at"] is not None
    assert body["workshops"]["B"]["attended_at"] is not None
    assert body["victim_contacted_after_workshop_a"] is True
    assert body["victim_contacted_on_completion"] is True
    assert body["unmet_conditions"] == []
    assert body["closed_at"] is not None


def test_state_as_of_a_past_time_shows_the_record_then(steps: Steps) -> None:
    cid = steps.issue()["id"]
    steps.schedule(cid, "A", 10)
    before_attendance = steps.clock.now
    steps.attend(cid, "A", 10)

    then = steps.client.get(f"/v1/cautions/{cid}", params={"as_of": iso(before_attendance)}, headers=steps.police)
    now = steps.get(cid)

    assert then.status_code == 200, then.text
    assert then.json()["version"] == 2 and then.json()["workshops"]["A"]["attended_at"] is None
    assert now.json()["version"] == 3


def test_completion_is_refused_naming_what_is_missing(steps: Steps) -> None:
    cid = steps.issue()["id"]
    steps.schedule(cid, "A", 10)
    steps.attend(cid, "A", 10)

    body = assert_problem(steps.complete(cid, 11), 409)
    assert body["errors"][0]["rule"] == "conditions_not_met"
    assert "workshop B" in body["detail"]
    assert steps.get(cid).json()["version"] == 3


def test_workshop_b_within_28_days_of_a_is_refused(steps: Steps) -> None:
    cid = steps.issue()["id"]
    steps.schedule(cid, "A", 10)
    steps.attend(cid, "A", 10)
    response = steps.schedule(cid, "B", 30, occurred=11)  # 20 days after A

    body = assert_problem(response, 422)
    assert body["errors"][0]["rule"] == "workshop_b_after_gap"


def test_every_response_carries_a_request_id_and_echoes_a_safe_one(steps: Steps) -> None:
    cid = steps.issue()["id"]
    for response in (
        steps.client.get("/livez"),
        steps.client.get("/readyz"),
        steps.client.get("/metrics"),
        steps.get(cid),
        steps.client.get(f"/v1/cautions/{cid}"),  # 401
        steps.client.get("/v1/nowhere", headers=steps.police),  # 404
        steps.post(cid, "completion", {"occurred_at": iso(at(0))}, steps.court),  # 403
    ):
        assert response.headers.get("x-request-id"), (response.request.url, response.status_code)

    echoed = steps.client.get("/livez", headers={"X-Request-ID": "trace-123.abc"})
    assert echoed.headers["x-request-id"] == "trace-123.abc"
    unsafe = steps.client.get("/livez", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


def test_a_body_just_under_the_size_limit_is_accepted(steps: Steps) -> None:
    limit = app_state(steps.client).settings.max_body_bytes
    content = json.dumps(caution_payload()).encode()
    content += b" " * (limit - len(content))  # JSON padded with whitespace to exactly the limit

    response = steps.client.post("/v1/cautions", content=content,
                                 headers={**steps.police, "Content-Type": "application/json"})

    assert len(content) == limit
    assert response.status_code == 201, response.text
    too_big = steps.client.post("/v1/cautions", content=content + b" ",
                                headers={**steps.police, "Content-Type": "application/json"})
    assert_problem(too_big, 413)
