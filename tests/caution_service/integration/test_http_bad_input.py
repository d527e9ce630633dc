"""Bad input never gives a 500: every refusal is a 4xx problem document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.caution_fixtures import Steps, assert_problem, recorded_events
from tests.support import T0, at, caution_payload, iso


@pytest.fixture(scope="module")
def steps(module_steps: Steps) -> Steps:
    """Bad input records nothing, so one app serves the whole module."""
    return module_steps


@pytest.fixture(scope="module")
def caution_id(steps: Steps) -> str:
    cid = steps.issue()["id"]
    steps.tick(at(1))
    return cid


@pytest.fixture(autouse=True)
def nothing_is_recorded(steps: Steps, caution_id: str) -> Iterator[None]:
    """Every test here sends only bad input: the store must not grow, and the caution stays at version 1."""
    before = len(recorded_events(steps.client))
    yield
    assert len(recorded_events(steps.client)) == before
    assert steps.get(caution_id).json()["version"] == 1


def _raw(
    steps: Steps, url: str, content: bytes | str, headers: dict[str, str], content_type: str | None = "application/json"
) -> Any:
    all_headers = {**headers}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return steps.client.post(url, content=content, headers=all_headers)


@pytest.mark.parametrize("content", [
    b"{", b"{'single': 'quotes'}", b"not json at all", b'{"occurred_at": "2026-03-02T10:00:00Z",}',
    b"\xff\xfe\x00garbage", b"[1, 2", b"nul\x00l",
], ids=["unclosed", "single-quotes", "text", "trailing-comma", "binary", "unclosed-array", "nul-byte"])
def test_malformed_json_is_400(steps: Steps, caution_id: str, content: bytes) -> None:
    for url, headers in (("/v1/cautions", steps.police), (f"/v1/cautions/{caution_id}/completion", steps.police)):
        body = assert_problem(_raw(steps, url, content, headers), 400)
        assert body["type"].endswith("malformed-json")


@pytest.mark.parametrize("content", [b"", b"null", b"[]", b"{}", b'"text"', b"42"],
                         ids=["empty", "null", "list", "object", "string", "number"])
def test_empty_or_non_object_bodies_are_4xx(steps: Steps, caution_id: str, content: bytes) -> None:
    for url in ("/v1/cautions", f"/v1/cautions/{caution_id}/workshops/A/schedule"):
        headers = steps.police if url == "/v1/cautions" else steps.provider
        response = _raw(steps, url, content, headers)
        assert 400 <= response.status_code < 500, response.text
        assert_problem(response, response.status_code)


@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
])
def test_wrong_content_type_is_4xx(steps: Steps, caution_id: str, content_type: str | None) -> None:
    content = json.dumps(caution_payload())

    response = _raw(steps, "/v1/cautions", content, steps.police, content_type)

    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(("override", "field"), [
    ({"occurred_at": {"when": "today"}}, "occurred_at"),
    ({"occurred_at": True}, "occurred_at"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"offender": {"date_of_birth": "17/05/1990"}}, "offender.date_of_birth"),
    ({"offender": {"date_of_birth": "1990-02-30"}}, "offender.date_of_birth"),
    ({"offence": {"admitted": "perhaps"}}, "offence.admitted"),
    ({"offence": {"category": "murder"}}, "offence.category"),
    ({"victim": {"dash_risk": 3}}, "victim.dash_risk"),
    ({"victim": "a string"}, "victim"),
    ({"offender": None}, "offender"),
    ({"police_reference": ""}, "police_reference"),
    ({"police_reference": "x" * 101}, "police_reference"),
    ({"issuing_officer": {"rank": "general"}}, "issuing_officer.rank"),
    ({"legal_basis": ["conditional_caution"]}, "legal_basis"),
    ({"offender": {"date_of_birth": "0001-01-01"}}, "offender.date_of_birth"),
    ({"offence": {"committed_on": "9999-12-31"}}, "offence.committed_on"),
], ids=lambda v: json.dumps(v)[:40] if isinstance(v, dict) else v)
def test_wrong_types_and_values_are_422_naming_the_field(steps: Steps, override: dict[str, Any], field: str) -> None:
    payload = caution_payload()
    for key, value in override.items():
        merge = isinstance(value, dict) and isinstance(payload[key], dict)
        payload[key] = {**payload[key], **value} if merge else value
    response = steps.client.post("/v1/cautions", json=payload, headers=steps.police)

    body = assert_problem(response, 422)
    assert any(e["rule"].startswith(field) for e in body["errors"]), body["errors"]


def test_missing_required_fields_are_all_listed(steps: Steps) -> None:
    payload = caution_payload()
    del payload["offender"], payload["victim"], payload["occurred_at"]

    body = assert_problem(steps.client.post("/v1/cautions", json=payload, headers=steps.police), 422)

    fields = {e["rule"].split(":")[0] for e in body["errors"]}
    assert {"offender", "victim", "occurred_at"} <= fields


@pytest.mark.parametrize("where", ["top", "nested"])
def test_unknown_fields_are_refused(steps: Steps, where: str) -> None:
    payload = caution_payload()
    if where == "top":
        payload["is_admin"] = True
    else:
        payload["victim"]["ssn"] = "123"

    body = assert_problem(steps.client.post("/v1/cautions", json=payload, headers=steps.police), 422)

    assert any("extra_forbidden" in e["rule"] for e in body["errors"])


def test_unknown_fields_on_commands_are_refused(steps: Steps, caution_id: str) -> None:
    body = {**steps.schedule_body(10), "attended": True}

    assert_problem(steps.post(caution_id, "workshops/A/schedule", body, steps.provider), 422)


@pytest.mark.parametrize("naive", ["2026-03-02T10:00:00", "2026-03-02 10:00:00", "2026-03-02"])
def test_times_without_an_offset_are_422(steps: Steps, caution_id: str, naive: str) -> None:
    issue = steps.client.post("/v1/cautions", json=caution_payload(occurred_at=T0) | {"occurred_at": naive},
                              headers=steps.police)
    schedule = steps.post(caution_id, "workshops/A/schedule",
                          {**steps.schedule_body(10), "session_at": naive}, steps.provider)

    assert_problem(issue, 422)
    assert_problem(schedule, 422)


def test_as_of_without_an_offset_is_422(steps: Steps, caution_id: str) -> None:
    response = steps.client.get(f"/v1/cautions/{caution_id}", params={"as_of": "2026-03-02T10:00:00"},
                                headers=steps.police)

    assert_problem(response, 422)


def test_as_of_garbage_is_4xx(steps: Steps, caution_id: str) -> None:
    response = steps.client.get(f"/v1/cautions/{caution_id}", params={"as_of": "not-a-time"}, headers=steps.police)

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


def test_as_of_before_the_record_says_so(steps: Steps, caution_id: str) -> None:
    """Before the caution was recorded the answer is a statement (issue 17), not an error: see test_read_on_date."""
    response = steps.client.get(f"/v1/cautions/{caution_id}", params={"as_of": "1900-01-01T00:00:00+00:00"},
                                headers=steps.police)

    assert response.status_code == 200 and response.json()["exists"] is False


def test_future_occurred_at_is_422(steps: Steps, caution_id: str) -> None:
    tomorrow = steps.clock.now.replace(microsecond=0) + (at(2) - at(1))

    issue = steps.client.post("/v1/cautions", json=caution_payload(occurred_at=tomorrow), headers=steps.police)
    attend = steps.post(caution_id, "workshops/A/attendance", {"occurred_at": iso(tomorrow)}, steps.provider)

    assert assert_problem(issue, 422)["errors"][0]["rule"] == "not_in_future"
    attended = assert_problem(attend, 422 if attend.status_code == 422 else 409)
    assert attended["errors"]


def test_far_future_and_extreme_datetimes_are_4xx(steps: Steps) -> None:
    for value in ("9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "2026-13-45T99:99:99Z"):
        payload = caution_payload() | {"occurred_at": value}
        response = steps.client.post("/v1/cautions", json=payload, headers=steps.police)
        assert 400 <= response.status_code < 500, (value, response.text)
        assert_problem(response, response.status_code)


def test_huge_body_is_413(steps: Steps, caution_id: str) -> None:
    payload = caution_payload(offence={"description": "x" * (70 * 1024)})

    response = steps.client.post("/v1/cautions", json=payload, headers=steps.police)

    body = assert_problem(response, 413)
    assert body["type"].endswith("payload-too-large")


def test_huge_body_without_content_length_is_413(steps: Steps) -> None:
    def chunks():  # streamed, so no Content-Length is declared
        yield b'{"police_reference": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = steps.client.post("/v1/cautions", content=chunks(),
                                 headers={**steps.police, "Content-Type": "application/json"})

    assert_problem(response, 413)


def test_invalid_content_length_is_refused(steps: Steps) -> None:
    response = steps.client.post("/v1/cautions", content=b"{}", headers={
        **steps.police, "Content-Type": "application/json", "Content-Length": "abc"})

    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "%00", "' OR 1=1 --"])
def test_non_uuid_ids_are_422_on_reads_and_commands(steps: Steps, bad_id: str) -> None:
    read = steps.client.get(f"/v1/cautions/{bad_id}", headers=steps.police)
    command = steps.client.post(f"/v1/cautions/{bad_id}/completion", json={"occurred_at": iso(at(0))},
                                headers=steps.police)

    for response in (read, command):
        assert response.status_code in (404, 422), response.text
        assert_problem(response, response.status_code)


def test_unknown_caution_is_404(steps: Steps) -> None:
    response = steps.client.post("/v1/cautions/00000000-0000-0000-0000-000000000000/completion",
                                 json={"occurred_at": iso(at(0))}, headers=steps.police)
    assert_problem(response, 404)


@pytest.mark.parametrize("letter", ["C", "a", "AB", "0", "%20"])
def test_unknown_workshop_letter_is_4xx(steps: Steps, caution_id: str, letter: str) -> None:
    for path, body in ((f"workshops/{letter}/schedule", steps.schedule_body(10)),
                       (f"workshops/{letter}/attendance", {"occurred_at": iso(at(1))})):
        response = steps.post(caution_id, path, body, steps.provider)
        assert response.status_code in (404, 422), response.text
        assert_problem(response, response.status_code)


def test_unknown_route_and_wrong_method_are_problems(steps: Steps, caution_id: str) -> None:
    assert_problem(steps.client.get("/v1/nowhere", headers=steps.police), 404)
    assert_problem(steps.client.delete(f"/v1/cautions/{caution_id}", headers=steps.police), 405)
    assert_problem(steps.client.put(f"/v1/cautions/{caution_id}/completion", json={}, headers=steps.police), 405)


def test_domain_rule_breaks_are_problems_not_500(steps: Steps, caution_id: str) -> None:
    """Commands that make no sense in the caution's state: 409/422, each naming its rule."""
    cases = [
        steps.attend(caution_id, "A", 1),  # not booked
        steps.post(caution_id, "excuse-decisions", {"occurred_at": iso(at(1)), "accepted": True, "reason": "r"},
                   steps.police),  # nothing missed
        steps.contact_victim(caution_id, 1),  # before A
        steps.contact_victim(caution_id, 1, stage="on_completion"),
        steps.schedule(caution_id, "B", 60),  # before A is booked
        steps.schedule(caution_id, "A", 400),  # outside the period
        steps.post(caution_id, "variations", {"occurred_at": iso(at(1)), "period_ends_on": "2027-12-01",
                                              "reason": "r", "authorised_by": "INSP-1"}, steps.police),
        steps.post(caution_id, "corrections", {"corrects_entry": 99, "reason": "r"}, steps.police),
        steps.post(caution_id, "workshops/A/attendance", {"occurred_at": iso(at(-30))}, steps.provider),
    ]
    for response in cases:
        assert response.status_code in (409, 422), (response.request.url, response.text)
        body = assert_problem(response, response.status_code)
        assert body["errors"] and body["errors"][0]["rule"]
