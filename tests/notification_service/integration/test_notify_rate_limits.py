"""Rate limits and security headers of the notification service, over HTTP to a real uvicorn."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.notification_service.config import Settings
from services.notification_service.main import create_app
from tests.caution_service.integration.test_http_rate_limits import (
    BAD_TOKEN,
    assert_security_headers,
    assert_too_many,
    clear_of_a_window_edge,
)
from tests.service_processes import ThreadedUvicorn
from tests.support import auth


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    servers: list[ThreadedUvicorn] = []

    def start(**limits: Any) -> httpx.Client:
        settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False,
                            **limits)
        server = ThreadedUvicorn(create_app(settings)).start()
        servers.append(server)
        return httpx.Client(base_url=server.url, timeout=30)

    yield start
    for server in servers:
        server.stop()


def unsubscribe(client: httpx.Client, caller: dict[str, str]) -> httpx.Response:
    return client.delete(f"/v1/subscriptions/{uuid.uuid4()}", headers=caller)


def test_an_admin_past_its_writes_is_refused_and_another_forces_admin_is_not(serve: Any) -> None:
    client = serve(rate_limit_writes="2/minute", rate_limit_writes_per_address="off")
    clear_of_a_window_edge()
    admin = auth("admin", "CAMBS", subject="force-admin")
    assert [unsubscribe(client, admin).status_code for _ in range(2)] == [404, 404]
    assert_too_many(unsubscribe(client, admin))
    assert unsubscribe(client, auth("admin", "NORFOLK", subject="force-admin")).status_code == 404


def test_failed_tokens_from_one_address_are_stopped(serve: Any) -> None:
    client = serve(rate_limit_failed_auth="20/minute")
    clear_of_a_window_edge()
    statuses = [client.get("/v1/notifications", headers=BAD_TOKEN).status_code for _ in range(200)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    assert client.get("/v1/notifications", headers=auth("provider")).status_code == 200
    assert client.get("/readyz").status_code == 200


def test_every_answer_has_the_security_headers(serve: Any) -> None:
    client = serve()
    inbox = client.get("/v1/notifications", headers=auth("provider"))
    assert inbox.status_code == 200
    assert_security_headers(inbox)
    problem = client.get("/v1/notifications", headers=BAD_TOKEN)
    assert problem.status_code == 401
    assert_security_headers(problem)
    docs = client.get("/redoc")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert_security_headers(docs)
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]
