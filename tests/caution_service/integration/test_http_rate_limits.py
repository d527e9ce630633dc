"""Rate limits and security headers of the caution service, over HTTP to a real uvicorn.

Writes are limited per caller (force, role, subject) and per client address; failed authentications per
address. Every answer carries the security headers, and no answer holding personal data may be cached.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.service_processes import ThreadedUvicorn, wait_until
from tests.support import auth, caution_payload

BAD_TOKEN = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bm90LWEtc2lnbmF0dXJl"}


@pytest.fixture
def serve(sqlite_url: str) -> Iterator[Any]:
    servers: list[ThreadedUvicorn] = []

    def start(**limits: Any) -> httpx.Client:
        settings = Settings(environment="test", database_url=sqlite_url, **limits)
        server = ThreadedUvicorn(create_app(settings)).start()
        servers.append(server)
        return httpx.Client(base_url=server.url, timeout=30)

    yield start
    for server in servers:
        server.stop()


def issue(client: httpx.Client, caller: dict[str, str]) -> httpx.Response:
    return client.post("/v1/cautions", json=caution_payload(), headers=caller)


def clear_of_a_window_edge(window: int = 60) -> None:
    """The limits count in a sliding window whose previous window's count fades as time passes: a burst that
    crosses the edge of a minute lets one more request through. Start the burst well inside a window."""
    into = time.time() % window
    if into > window - 10:
        time.sleep(window - into + 0.5)


def assert_too_many(response: httpx.Response, window: int = 60) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/too-many-requests"
    assert 1 <= int(response.headers["Retry-After"]) <= window
    assert f"w={window}" in response.headers["RateLimit-Policy"]
    assert response.headers["RateLimit"].endswith(f"t={response.headers['Retry-After']}")


def test_a_caller_past_its_writes_is_refused_and_another_forces_caller_is_not(serve: Any) -> None:
    client = serve(rate_limit_writes="3/minute", rate_limit_writes_per_address="off")
    clear_of_a_window_edge()
    officer = auth("police", "CAMBS", subject="rms-integration")
    assert [issue(client, officer).status_code for _ in range(3)] == [201, 201, 201]

    refused = issue(client, officer)
    assert_too_many(refused)
    assert "3 per 1 minute" in refused.json()["detail"]
    listed = client.get("/v1/cautions", headers=officer).json()["items"]
    assert len(listed) <= 3  # the refused caution was not recorded

    # The same subject in another force (its own identity provider) and another role each have their own.
    assert issue(client, auth("police", "NORFOLK", subject="rms-integration")).status_code == 201
    assert client.get("/v1/cautions", headers=officer).status_code == 200  # reads are not limited


def test_writes_from_one_address_are_limited_whoever_sends_them(serve: Any) -> None:
    client = serve(rate_limit_writes="off", rate_limit_writes_per_address="2/minute")
    clear_of_a_window_edge()
    assert issue(client, auth("police", "CAMBS", subject="a")).status_code == 201
    assert issue(client, auth("police", "NORFOLK", subject="b")).status_code == 201
    assert_too_many(issue(client, auth("police", "ESSEX", subject="c")))


def test_failed_tokens_from_one_address_are_stopped(serve: Any) -> None:
    client = serve(rate_limit_failed_auth="20/minute")
    clear_of_a_window_edge()
    statuses = [client.get("/v1/cautions", headers=BAD_TOKEN).status_code for _ in range(200)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    assert_too_many(client.get("/v1/cautions", headers=BAD_TOKEN))
    assert_too_many(client.get("/v1/cautions"))  # no token at all is no way round it
    # A caller with a valid token behind the same address (a force's gateway) is still served, and so are probes.
    assert client.get("/v1/cautions", headers=auth("police")).status_code == 200
    assert client.get("/livez").status_code == 200


def test_the_defaults_leave_an_ordinary_caller_alone(serve: Any) -> None:
    client = serve()
    officer = auth("police")
    assert all(issue(client, officer).status_code == 201 for _ in range(20))
    assert all(client.get("/v1/cautions", headers=BAD_TOKEN).status_code == 401 for _ in range(10))


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_every_answer_has_the_security_headers_and_personal_data_is_never_cached(serve: Any) -> None:
    client = serve()
    officer = auth("police")
    issued = issue(client, officer)
    assert_security_headers(issued)
    caution_id = issued.json()["id"]

    history = wait_until(lambda: (r := client.get(f"/v1/cautions/{caution_id}/compliance-history",
                                                   headers=officer)).status_code == 200 and r,
                         what="the compliance history")
    assert_security_headers(history)
    assert history.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"

    problem = client.get("/v1/cautions", headers=BAD_TOKEN)
    assert problem.status_code == 401
    assert_security_headers(problem)

    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert_security_headers(docs)
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]

    assert_security_headers(client.get("/livez"))


def test_the_event_stream_is_not_stored_either(serve: Any) -> None:
    client = serve()
    with client.stream("GET", "/v1/events/stream", headers=auth("subscriber", "CAMBS")) as stream:
        assert stream.status_code == 200
        assert stream.headers["Cache-Control"] == "no-store"
        assert stream.headers["X-Content-Type-Options"] == "nosniff"
