"""GET /v1/events: CloudEvents 1.0 in position order, cursor paging, force scoping, roles, and no victim PII."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.catalogue import EVENT_TYPES
from shared.events import CloudEvent, event_id
from tests.caution_fixtures import Steps
from tests.support import FakeClock, auth, national_auth

SUBSCRIBER = auth("subscriber", "CAMBS")
NATIONAL = national_auth()

# Distinctive strings: none may appear anywhere in the feed.
VICTIM_NAME = "Zebedee Quixotic-Feedleak"
VICTIM_PHONE = "07700 913579"
VICTIM_EMAIL = "zebedee.q@victim-secret.example"
VICTIM_ADDRESS = "17 Nightjar Close, Hiddenton"
VICTIM_PREFERENCE = "only-call-after-8pm-PLUMTREE"
VICTIM_NOTE = "Victim disclosed new address at Marlowe Yard XQ7"
OFFENDER_NAME = "Ozymandias Feedleaker"
OFFENDER_DOB = "1979-11-23"
VICTIM_SECRETS = (VICTIM_NAME, VICTIM_PHONE, VICTIM_EMAIL, VICTIM_ADDRESS, VICTIM_PREFERENCE, VICTIM_NOTE)
OFFENDER_SECRETS = (OFFENDER_NAME, OFFENDER_DOB)


def secret_caution(steps: Steps) -> dict[str, Any]:
    return steps.issue(
        offender={"name": OFFENDER_NAME, "date_of_birth": OFFENDER_DOB},
        victim={"contact_details": {"name": VICTIM_NAME, "phone": VICTIM_PHONE, "email": VICTIM_EMAIL,
                                    "address": VICTIM_ADDRESS, "preferred_contact": VICTIM_PREFERENCE}},
    )


def full_lifecycle(steps: Steps) -> str:
    """Issue (with distinctive victim and offender data), book and attend A and B, contact the victim, complete."""
    cid = secret_caution(steps)["id"]
    for response in (steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10),
                     steps.contact_victim(cid, 12, notes=VICTIM_NOTE), steps.attend(cid, "B", 40),
                     steps.complete(cid, 41), steps.contact_victim(cid, 42, stage="on_completion", notes=VICTIM_NOTE)):
        assert response.status_code == 200, response.text
    return cid


def page(client: TestClient, headers: dict[str, str] = SUBSCRIBER, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_events_are_cloudevents_1_0_with_stable_ids(client: TestClient, steps: Steps) -> None:
    cid = full_lifecycle(steps)
    first = page(client)
    again = page(client)
    assert first["items"] == again["items"]  # same ids, same everything on a re-read
    names = ["CautionIssued", "WorkshopScheduled", "WorkshopScheduled", "WorkshopAAttended", "VictimContacted",
             "WorkshopBAttended", "Completed", "VictimContacted"]
    assert [e["type"] for e in first["items"]] == [EVENT_TYPES[n] for n in names]
    assert EVENT_TYPES["WorkshopAAttended"] == "uk.cara.caution.workshop-a-attended.v1"
    for version, item in enumerate(first["items"], start=1):
        CloudEvent.model_validate(item)  # the shared contract accepts it
        assert item["specversion"] == "1.0"
        assert item["id"] == event_id(cid, version)
        assert item["source"] == "/cara/caution-service"
        assert item["subject"] == cid
        assert item["datacontenttype"] == "application/json"
        assert item["force"] == "CAMBS"
        assert datetime.fromisoformat(item["time"]).tzinfo is not None
        assert item["data"]["caution_id"] == cid and item["data"]["version"] == version
        assert item["data"]["force"] == "CAMBS"
        assert set(item["data"]["recorded_by"]) >= {"id", "role", "force"}
    issued = first["items"][0]["data"]
    assert issued["offender"] == {"reference": issued["offender"]["reference"]}  # who they are stays sealed
    assert issued["period_ends_on"] and issued["police_reference"]
    assert first["items"][3]["data"]["occurred_at"].startswith("2026-03-12")  # attended A on day 10


def test_positions_are_strictly_increasing_and_head_is_the_newest(client: TestClient, steps: Steps) -> None:
    full_lifecycle(steps)
    full_lifecycle(steps)
    body = page(client, limit=1000)
    positions = [e["position"] for e in body["items"]]
    assert positions == sorted(positions) and len(set(positions)) == len(positions) == 16
    assert positions == list(range(1, 17))
    assert body["head"] == body["next_after"] == 16


def test_cursor_paging_with_after_next_after_and_limit(client: TestClient, steps: Steps) -> None:
    full_lifecycle(steps)
    full_lifecycle(steps)
    everything = page(client, limit=1000)["items"]
    collected: list[dict[str, Any]] = []
    after = 0
    sizes = []
    while True:
        body = page(client, after=after, limit=3)
        if not body["items"]:
            assert body["next_after"] == after  # nothing new: the cursor does not move
            break
        assert body["items"][0]["position"] > after
        sizes.append(len(body["items"]))
        collected += body["items"]
        after = body["next_after"]
        assert after == body["items"][-1]["position"]
    assert collected == everything
    assert sizes == [3, 3, 3, 3, 3, 1]
    assert page(client, after=5, limit=2)["items"] == everything[5:7]


def test_a_force_sees_only_its_own_events_and_national_sees_every_force(client: TestClient, clock: FakeClock) -> None:
    cambs, norfolk = Steps(client, clock, "CAMBS"), Steps(client, clock, "NORFOLK")
    a = cambs.issue()["id"]
    b = norfolk.issue()["id"]
    assert cambs.schedule(a, "A", 10).status_code == 200
    assert norfolk.schedule(b, "A", 10).status_code == 200
    mine = page(client, auth("subscriber", "CAMBS"))
    theirs = page(client, auth("subscriber", "NORFOLK"))
    everyone = page(client, NATIONAL)
    assert {e["subject"] for e in mine["items"]} == {a} and [e["position"] for e in mine["items"]] == [1, 3]
    assert {e["subject"] for e in theirs["items"]} == {b} and [e["position"] for e in theirs["items"]] == [2, 4]
    assert [e["position"] for e in everyone["items"]] == [1, 2, 3, 4]
    assert {e["force"] for e in everyone["items"]} == {"CAMBS", "NORFOLK"}
    # a page that ends on another force's events still moves the cursor past them
    tail = page(client, auth("subscriber", "CAMBS"), after=3)
    assert tail["items"] == [] and tail["next_after"] == 4 and tail["head"] == 4


@pytest.mark.parametrize("role", ["police", "provider", "victim_contact", "court", "admin", "sar"])
def test_only_subscribers_read_the_feed(client: TestClient, role: str) -> None:
    for path in ("/v1/events", "/v1/events/stream"):
        response = client.get(path, headers=auth(role))
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_the_feed_needs_a_token(client: TestClient) -> None:
    assert client.get("/v1/events").status_code == 401
    assert client.get("/v1/events", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/v1/events", headers=SUBSCRIBER).status_code == 200


@pytest.mark.parametrize("params", [{"after": -1}, {"limit": 0}, {"limit": 1001}, {"wait": 31}, {"after": "x"}])
def test_bad_feed_parameters_are_problems_not_errors(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/v1/events", params=params, headers=SUBSCRIBER)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_no_victim_pii_offender_name_or_date_of_birth_anywhere_in_the_feed(client: TestClient, steps: Steps) -> None:
    cid = full_lifecycle(steps)
    # the data was really recorded: the victim contact role reads it back from the caution itself
    own = client.get(f"/v1/cautions/{cid}", headers=steps.victim_contact)
    assert own.status_code == 200 and VICTIM_NAME in own.text and VICTIM_PHONE in own.text
    texts = [client.get("/v1/events", params={"limit": 1000}, headers=h).text for h in (SUBSCRIBER, NATIONAL)]
    texts += [json.dumps(e) for e in page(client, limit=1000)["items"]]
    with client.stream("GET", "/v1/events/stream", headers=NATIONAL) as stream:
        texts.append(read_sse_text(stream, events=8))
    for text in texts:
        assert cid in text
        for secret in VICTIM_SECRETS + OFFENDER_SECRETS:
            assert secret not in text, secret
        assert "contact_details" not in text and "notes" not in text and "_sealed" not in text
        assert "date_of_birth" not in text


def read_sse_text(stream: Any, events: int) -> str:
    """Read the SSE body until `events` events have arrived."""
    seen, chunks = 0, []
    for line in stream.iter_lines():
        chunks.append(line)
        if line.startswith("id: "):
            seen += 1
        if seen >= events and line == "" and chunks[-2].startswith("data: "):
            break
    return "\n".join(chunks)


def test_long_poll_returns_as_soon_as_an_event_arrives(client: TestClient, steps: Steps) -> None:
    steps.issue()
    head = page(client)["head"]
    result: dict[str, Any] = {}

    def poll() -> None:
        started = time.monotonic()
        result["body"] = page(client, after=head, wait=10)
        result["took"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    cid = steps.issue()["id"]
    poller.join(timeout=15)
    assert not poller.is_alive()
    assert [e["subject"] for e in result["body"]["items"]] == [cid]
    assert result["body"]["next_after"] == head + 1
    assert 0.4 < result["took"] < 5, result["took"]


def test_long_poll_times_out_empty_when_nothing_arrives(client: TestClient, steps: Steps) -> None:
    steps.issue()
    started = time.monotonic()
    body = page(client, after=1, wait=0.6)
    took = time.monotonic() - started
    assert body == {"items": [], "next_after": 1, "head": 1}
    assert 0.6 <= took < 3, took
    started = time.monotonic()
    assert page(client, after=0, wait=5)["items"]  # something already there: no waiting
    assert time.monotonic() - started < 1


def test_long_poll_is_not_woken_by_another_forces_event(client: TestClient, clock: FakeClock) -> None:
    Steps(client, clock, "CAMBS").issue()
    result: dict[str, Any] = {}

    def poll() -> None:
        result["body"] = page(client, auth("subscriber", "CAMBS"), after=1, wait=1.5)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    Steps(client, clock, "NORFOLK").issue()
    poller.join(timeout=10)
    assert result["body"]["items"] == []
    assert result["body"]["next_after"] == 2  # the cursor moved past the event this force may not see
