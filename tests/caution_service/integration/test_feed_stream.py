"""GET /v1/events/stream over a real uvicorn server: SSE ids are positions, Last-Event-ID resumes, heartbeats."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.caution_service.api import feed as feed_api
from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.service_processes import ThreadedUvicorn
from tests.support import FakeClock, at, auth, caution_payload, iso, national_auth

NATIONAL = national_auth()


@pytest.fixture
def server(settings: Settings, clock: FakeClock) -> Iterator[ThreadedUvicorn]:
    clock.now = at(0, 12)
    running = ThreadedUvicorn(create_app(settings, clock)).start()
    try:
        yield running
    finally:
        running.stop()


def issue(url: str, force: str = "CAMBS") -> str:
    response = httpx.post(f"{url}/v1/cautions", json=caution_payload(at(0)), headers=auth("police", force), timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def schedule(url: str, cid: str, workshop: str = "A") -> None:
    body = {"occurred_at": iso(at(0, 11)), "session_at": iso(at(10, 18)), "venue": "Hub"}
    response = httpx.post(f"{url}/v1/cautions/{cid}/workshops/{workshop}/schedule", json=body, headers=auth("provider"),
                          timeout=10)
    assert response.status_code == 200, response.text


def read_sse(url: str, count: int, headers: dict[str, str], params: dict[str, Any] | None = None,
             comments: list[str] | None = None, on_open: Any = None) -> list[dict[str, Any]]:
    """Open the stream, collect `count` events ({id, event, data}), then close the connection."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with httpx.stream("GET", f"{url}/v1/events/stream", headers=headers, params=params, timeout=30) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        if on_open:
            on_open()
        for line in response.iter_lines():
            if line.startswith(":") and comments is not None:
                comments.append(line)
            elif line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                events.append(current)
                current = {}
                if len(events) >= count:
                    break
    return events


def test_stream_ids_are_positions_and_last_event_id_resumes(server: ThreadedUvicorn) -> None:
    cids = [issue(server.url) for _ in range(3)]
    for cid in cids:
        schedule(server.url, cid)
    first = read_sse(server.url, 4, NATIONAL)
    assert [e["id"] for e in first] == ["1", "2", "3", "4"]
    for e in first:
        assert e["data"]["position"] == int(e["id"])
        assert e["event"] == e["data"]["type"]
        assert e["data"]["specversion"] == "1.0"
    # reconnect as an EventSource would: Last-Event-ID is the last id seen
    rest = read_sse(server.url, 2, {**NATIONAL, "Last-Event-ID": first[-1]["id"]})
    assert [e["id"] for e in rest] == ["5", "6"]
    assert [e["data"]["subject"] for e in rest] == cids[1:]
    # the same events as the page endpoint, byte for byte after parsing
    page = httpx.get(f"{server.url}/v1/events", headers=NATIONAL, timeout=10).json()["items"]
    assert [e["data"] for e in first + rest] == page
    # `after` works as the starting point too; Last-Event-ID wins over it
    assert [e["id"] for e in read_sse(server.url, 1, NATIONAL, params={"after": 3})] == ["4"]
    assert [e["id"] for e in read_sse(server.url, 1, {**NATIONAL, "Last-Event-ID": "5"}, params={"after": 1})] == ["6"]


def test_stream_delivers_events_that_arrive_while_connected(server: ThreadedUvicorn) -> None:
    issue(server.url)
    arrived: list[str] = []
    writer = threading.Timer(0.5, lambda: arrived.append(issue(server.url)))

    events = read_sse(server.url, 2, NATIONAL, on_open=writer.start)
    writer.join(10)  # the stream can deliver the event before the writer has its own answer
    assert [e["id"] for e in events] == ["1", "2"]
    assert events[1]["data"]["subject"] == arrived[0]


def test_stream_is_scoped_to_the_callers_force(server: ThreadedUvicorn) -> None:
    issue(server.url, "NORFOLK")
    mine = issue(server.url, "CAMBS")
    issue(server.url, "NORFOLK")
    theirs = issue(server.url, "NORFOLK")
    cambs = read_sse(server.url, 1, auth("subscriber", "CAMBS"))
    assert [(e["id"], e["data"]["subject"]) for e in cambs] == [("2", mine)]
    norfolk = read_sse(server.url, 3, auth("subscriber", "NORFOLK"))
    assert [e["id"] for e in norfolk] == ["1", "3", "4"] and norfolk[-1]["data"]["subject"] == theirs


def test_stream_sends_heartbeats_when_idle(server: ThreadedUvicorn, monkeypatch: pytest.MonkeyPatch) -> None:
    assert feed_api.HEARTBEAT_SECONDS == 15.0  # the documented interval
    monkeypatch.setattr(feed_api, "HEARTBEAT_SECONDS", 0.3)
    comments: list[str] = []
    arrived: list[str] = []
    writer = threading.Timer(2.5, lambda: arrived.append(issue(server.url)))

    events = read_sse(server.url, 1, NATIONAL, comments=comments, on_open=writer.start)
    writer.join(10)  # the stream can deliver the event before the writer has its own answer
    assert comments.count(": heartbeat") >= 2, comments
    assert events[0]["data"]["subject"] == arrived[0]  # still a live stream after the heartbeats


def test_stream_refuses_other_roles_and_missing_tokens(server: ThreadedUvicorn) -> None:
    assert httpx.get(f"{server.url}/v1/events/stream", headers=auth("police"), timeout=10).status_code == 403
    assert httpx.get(f"{server.url}/v1/events/stream", timeout=10).status_code == 401


def test_each_stream_opened_is_logged_as_a_disclosure_to_its_subscriber(server: ThreadedUvicorn) -> None:
    """The stream's events name offenders by reference: its opening is a consultation log entry (issue 14 item 8)."""
    issue(server.url)
    read_sse(server.url, 1, {**auth("subscriber", "CAMBS", subject="notifier-1"), "X-Purpose": "victim updates"},
             params={"after": 0})
    log = httpx.get(f"{server.url}/v1/consultations", headers=auth("admin", "CAMBS"), timeout=10).json()["items"]
    assert [(e["what"], e["route"], e["principal_id"], e["caution_id"], e["purpose"], e["detail"]) for e in log] == [
        ("event_feed", "GET /v1/events/stream", "notifier-1", "*", "victim updates", "stream after=0")]
