"""The caution service as a real process over real HTTP: a lifecycle, probes, and a SIGKILL mid-stream.

The service's clock is real time here, so every time sent lies in the past: the caution is dated
about 60 days ago, which leaves room for workshop B 30 days after A without anything in the future.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.process_fixtures import ServiceProcess
from tests.support import auth, caution_payload, iso

STREAM = 40  # keyed commands in the stream that is cut short


def _issued_at() -> datetime:
    return (datetime.now(UTC) - timedelta(days=60)).replace(hour=10, minute=0, second=0, microsecond=0)


def _day(start: datetime, days: int, hour: int = 10) -> datetime:
    return (start + timedelta(days=days)).replace(hour=hour)


def test_lifecycle_probes_and_metrics_over_real_http(service: ServiceProcess) -> None:
    police, provider, victim_contact = auth("police"), auth("provider"), auth("victim_contact")
    t0 = _issued_at()
    with httpx.Client(base_url=service.url, timeout=10) as http:
        issued = http.post("/v1/cautions", json=caution_payload(occurred_at=t0), headers=police)
        assert issued.status_code == 201, issued.text
        cid = issued.json()["id"]
        assert issued.headers["location"] == f"/v1/cautions/{cid}"
        assert issued.headers["etag"] == '"1"'

        def command(path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
            response = http.post(f"/v1/cautions/{cid}/{path}", json=body, headers=headers)
            assert response.status_code == 200, (path, response.text)
            assert response.headers["etag"] == f'"{response.json()["version"]}"'
            assert response.headers["x-request-id"]
            return response

        command("workshops/A/schedule", {"occurred_at": iso(_day(t0, 1)), "session_at": iso(_day(t0, 5, 18)),
                                         "venue": "Cambridge Hub"}, provider)
        command("workshops/B/schedule", {"occurred_at": iso(_day(t0, 1, 11)), "session_at": iso(_day(t0, 35, 18)),
                                         "venue": "Cambridge Hub"}, provider)
        command("workshops/A/attendance", {"occurred_at": iso(_day(t0, 5, 20))}, provider)
        command("victim-contacts", {"occurred_at": iso(_day(t0, 7)), "stage": "after_workshop_a",
                                    "outcome": "contacted", "notes": "spoke by phone"}, victim_contact)
        command("workshops/B/attendance", {"occurred_at": iso(_day(t0, 35, 20))}, provider)
        command("completion", {"occurred_at": iso(_day(t0, 36))}, police)
        last = command("victim-contacts", {"occurred_at": iso(_day(t0, 38)), "stage": "on_completion",
                                           "outcome": "contacted"}, victim_contact)
        assert last.json()["version"] == 8

        state = http.get(f"/v1/cautions/{cid}", headers=police)
        assert state.status_code == 200
        assert state.headers["etag"] == '"8"' and state.headers["x-request-id"]
        assert state.json()["status"] == "completed"
        assert state.json()["victim"]["contact_details"] is None
        assert "spoke by phone" not in state.text

        refused = http.post(f"/v1/cautions/{cid}/completion", content=b"{", headers={
            **police, "Content-Type": "application/json"})
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/problem+json")

        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
        assert ready.headers["x-request-id"]
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'http_requests_total{method="POST",route="/v1/cautions",status="201"} 1.0' in metrics.text
        assert 'route="/v1/cautions/{caution_id}/workshops/{workshop}/attendance",status="200"} 2.0' in metrics.text
        assert "http_request_duration_seconds_bucket" in metrics.text


def test_sigkill_mid_stream_then_resend_records_each_keyed_command_once(service: ServiceProcess) -> None:
    provider = auth("provider", subject="provider-stream")
    t0 = _issued_at()
    requests = [
        (f"stream-{uuid.uuid4().hex[:8]}-{i}",
         {"occurred_at": iso(_day(t0, 2, 9) + timedelta(minutes=i)), "session_at": iso(_day(t0, 5 + i % 10, 18)),
          "venue": f"Room {i}", "reason": f"facilitator request {i}"})
        for i in range(STREAM)
    ]
    with httpx.Client(base_url=service.url, timeout=10) as http:
        issued = http.post("/v1/cautions", json=caution_payload(occurred_at=t0), headers=auth("police"))
        cid = issued.json()["id"]
        first = http.post(f"/v1/cautions/{cid}/workshops/A/schedule", headers=provider, json={
            "occurred_at": iso(_day(t0, 1)), "session_at": iso(_day(t0, 4, 18)), "venue": "Hub"})
        assert first.json()["version"] == 2
    url = f"/v1/cautions/{cid}/workshops/A/schedule"

    # the stream: one keyed reschedule after another, until the process dies under it
    answered: dict[str, httpx.Response] = {}
    enough = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=service.url, timeout=5) as http:
            for key, body in requests:
                try:
                    answered[key] = http.post(url, json=body, headers={**provider, "Idempotency-Key": key})
                except httpx.HTTPError:
                    return  # the connection died with the process
                if len(answered) == STREAM // 3:
                    enough.set()
        enough.set()

    sender = threading.Thread(target=stream)
    sender.start()
    assert enough.wait(timeout=30)
    service.kill()
    sender.join(timeout=30)
    assert STREAM // 3 <= len(answered) < STREAM, "the kill should land mid-stream"
    assert all(r.status_code == 200 for r in answered.values()), [r.text for r in answered.values()]

    service.start()  # same SQLite file
    with httpx.Client(base_url=service.url, timeout=10) as http:
        resent = [http.post(url, json=body, headers={**provider, "Idempotency-Key": key}) for key, body in requests]
        state = http.get(f"/v1/cautions/{cid}", headers=provider)
        assert http.get("/readyz").status_code == 200

    assert all(r.status_code == 200 for r in resent), [r.text for r in resent if r.status_code != 200]
    versions = [r.json()["version"] for r in resent]
    assert versions == list(range(3, 3 + STREAM))  # each keyed command recorded exactly once, in order
    for (key, _), response in zip(requests, resent, strict=True):
        if key in answered:  # seen before the kill: the very same answer is replayed
            assert response.headers["idempotent-replayed"] == "true"
            assert response.json() == answered[key].json()
    replayed = sum(r.headers.get("idempotent-replayed") == "true" for r in resent)
    assert len(answered) <= replayed <= len(answered) + 1  # plus the one in flight, if it was committed
    assert state.json()["version"] == 2 + STREAM
    assert state.headers["etag"] == f'"{2 + STREAM}"'
    assert state.json()["workshops"]["A"]["venue"] == f"Room {STREAM - 1}"
