"""Idempotency-Key over HTTP: a retried POST records its events once and replays the first answer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.caution_fixtures import Steps, assert_problem, event_names, recorded_events
from tests.support import FakeClock, auth, caution_payload


def _key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_retried_command_records_one_event_and_replays_the_first_response(steps: Steps) -> None:
    cid = steps.issue()["id"]
    body = steps.schedule_body(10)
    headers = _key(steps.provider, "schedule-a-1")

    first = steps.post(cid, "workshops/A/schedule", body, headers)
    second = steps.post(cid, "workshops/A/schedule", body, headers)

    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert isinstance(first.json()["position"], int)  # filled in after sealing, and kept for the replay
    assert second.headers["etag"] == first.headers["etag"] == '"2"'
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert event_names(steps.client, cid) == ["Issued", "WorkshopScheduled"]
    assert steps.get(cid).json()["version"] == 2


def test_replay_holds_even_after_the_caution_moved_on(steps: Steps) -> None:
    cid = steps.issue()["id"]
    body = steps.schedule_body(10)
    headers = _key(steps.provider, "schedule-a-2")
    first = steps.post(cid, "workshops/A/schedule", body, headers)
    assert steps.attend(cid, "A", 10).status_code == 200

    replay = steps.post(cid, "workshops/A/schedule", body, headers)

    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json() and replay.json()["version"] == 2
    assert steps.get(cid).json()["version"] == 3


def test_retried_issue_creates_one_caution_and_replays_201_with_location(steps: Steps) -> None:
    payload = caution_payload()
    headers = _key(steps.police, "issue-1")

    first = steps.client.post("/v1/cautions", json=payload, headers=headers)
    second = steps.client.post("/v1/cautions", json=payload, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert second.json() == first.json()
    assert len(recorded_events(steps.client)) == 1


def test_key_order_and_whitespace_in_json_do_not_change_the_fingerprint(steps: Steps) -> None:
    cid = steps.issue()["id"]
    body = steps.schedule_body(10)
    headers = {**_key(steps.provider, "schedule-a-3"), "Content-Type": "application/json"}
    url = f"/v1/cautions/{cid}/workshops/A/schedule"
    compact = '{{"occurred_at": "{}", "session_at": "{}", "venue": "{}"}}'.format(
        body["occurred_at"], body["session_at"], body["venue"])
    reordered = '{{ "venue" : "{}",\n "session_at": "{}", "occurred_at": "{}" }}'.format(
        body["venue"], body["session_at"], body["occurred_at"])

    first = steps.client.post(url, content=compact, headers=headers)
    second = steps.client.post(url, content=reordered, headers=headers)

    assert first.status_code == 200, first.text
    assert second.headers.get("idempotent-replayed") == "true", second.text
    assert len(recorded_events(steps.client, cid)) == 2


def test_same_key_with_a_different_body_is_422(steps: Steps) -> None:
    cid = steps.issue()["id"]
    headers = _key(steps.provider, "schedule-a-4")
    assert steps.post(cid, "workshops/A/schedule", steps.schedule_body(10), headers).status_code == 200

    response = steps.post(cid, "workshops/A/schedule", steps.schedule_body(11, reason="moved"), headers)

    body = assert_problem(response, 422)
    assert body["type"].endswith("idempotency-key-reused")
    assert len(recorded_events(steps.client, cid)) == 2


def test_same_key_on_a_different_route_is_422(steps: Steps) -> None:
    cid = steps.issue()["id"]
    headers = _key(steps.provider, "shared-key")
    assert steps.post(cid, "workshops/A/schedule", steps.schedule_body(10), headers).status_code == 200

    response = steps.post(cid, "workshops/B/schedule", steps.schedule_body(10), headers)

    assert_problem(response, 422)


def test_empty_idempotency_key_is_400(steps: Steps) -> None:
    cid = steps.issue()["id"]

    response = steps.post(cid, "workshops/A/schedule", steps.schedule_body(10), _key(steps.provider, "   "))

    assert_problem(response, 400)
    assert len(recorded_events(steps.client, cid)) == 1


def test_the_key_is_scoped_per_caller(steps: Steps) -> None:
    """Two providers who happen to pick the same key do not see each other's answers."""
    first_cid, second_cid = steps.issue()["id"], steps.issue()["id"]
    alice = _key(auth("provider", subject="provider-alice"), "booking-1")
    bob = _key(auth("provider", subject="provider-bob"), "booking-1")

    from_alice = steps.post(first_cid, "workshops/A/schedule", steps.schedule_body(10), alice)
    from_bob = steps.post(second_cid, "workshops/A/schedule", steps.schedule_body(11), bob)

    assert from_alice.status_code == from_bob.status_code == 200
    assert "idempotent-replayed" not in from_bob.headers
    assert from_bob.json()["id"] == second_cid
    assert event_names(steps.client, second_cid) == ["Issued", "WorkshopScheduled"]
    # and Alice's replay still gives Alice's answer
    again = steps.post(first_cid, "workshops/A/schedule", steps.schedule_body(10), alice)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == from_alice.json()


def test_replay_survives_a_restart_on_the_same_database(settings: Settings, clock: FakeClock) -> None:
    headers = _key(auth("provider", subject="provider-restart"), "restart-key")
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as before:
        steps = Steps(before, clock)
        cid = steps.issue()["id"]
        body = steps.schedule_body(10)
        first = steps.post(cid, "workshops/A/schedule", body, headers)
        assert first.status_code == 200, first.text

    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as after:
        replay = after.post(f"/v1/cautions/{cid}/workshops/A/schedule", json=body, headers=headers)
        other = after.post(f"/v1/cautions/{cid}/workshops/A/schedule", json={**body, "venue": "Ely"}, headers=headers)
        assert event_names(after, cid) == ["Issued", "WorkshopScheduled"]
        assert after.get(f"/v1/cautions/{cid}", headers=auth("police")).json()["version"] == 2

    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers["etag"] == '"2"'
    assert_problem(other, 422)


def test_headers_at_their_length_limit_pass_and_one_character_more_is_a_422(steps: Steps) -> None:
    from services.caution_service.api.deps import IDEMPOTENCY_KEY_MAX, IF_MATCH_MAX

    cid = steps.issue()["id"]
    body = steps.schedule_body(10)
    at_limit = steps.post(cid, "workshops/A/schedule", body, _key(steps.provider, "k" * IDEMPOTENCY_KEY_MAX))
    assert at_limit.status_code == 200, at_limit.text
    for name, value in (("Idempotency-Key", "k" * (IDEMPOTENCY_KEY_MAX + 1)),
                        ("If-Match", '"' + "2" * (IF_MATCH_MAX - 1) + '"')):
        over = steps.post(cid, "workshops/A/schedule", body, {**steps.provider, name: value})
        problem = assert_problem(over, 422)
        assert [e["rule"] for e in problem["errors"]] == [f"header.{name}:string_too_long"], problem
    assert steps.get(cid).json()["version"] == 2  # neither refused request recorded anything
