"""Webhooks cannot reach inside the network, their errors tell recipients nothing about it, and one force's
hanging receiver delays only itself. Real receivers on this machine, real HTTP, a real database."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from services.notification_service.config import Settings
from services.notification_service.delivery.dispatcher import Dispatcher
from services.notification_service.main import create_app
from services.notification_service.store import utc
from services.notification_service.tables import deliveries, subscriptions
from tests.notification_service.integration.test_notify_delivery import (
    SECRET,
    apply,
    delivery_log,
    detail,
    dispatcher,
    inbox,
    subscribe,
)
from tests.service_processes import WebhookReceiver, issued_event
from tests.support import FakeClock, app_state, auth


def _app(tmp_path: Any, clock: FakeClock, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3",
                                          run_workers=False, **settings), clock))


@pytest.fixture
def strict(tmp_path: Any, clock: FakeClock) -> Iterator[TestClient]:
    """No allow-list: what a deployment does by default."""
    with _app(tmp_path, clock) as client:
        yield client


@pytest.mark.parametrize(("url", "rule"), [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://127.0.0.1:8000/hook", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://100.64.1.1/", "shared"),
    ("http://2130706433/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://224.0.0.251/", "multicast"),
    ("http://metadata.google.internal/computeMetadata/v1/", "local-name"),
    ("http://localhost:5432/", "local-name"),
    ("https://user:pass@93.184.215.14/hook", "credentials"),
])
def test_internal_targets_are_refused_when_subscribing(strict: TestClient, url: str, rule: str) -> None:
    response = strict.post("/v1/subscriptions", json={"url": url}, headers=auth("admin"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "/problems/webhook-target-refused" and problem["rule"] == rule
    assert strict.get("/v1/subscriptions", headers=auth("admin")).json()["items"] == []


def test_production_takes_https_webhooks_only(tmp_path: Any, clock: FakeClock) -> None:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False)
    with TestClient(create_app(settings, clock)) as client:
        app_state(client).settings = settings.model_copy(update={"environment": "production"})
        refused = client.post("/v1/subscriptions", json={"url": "http://93.184.215.14/hook"}, headers=auth("admin"))
        assert refused.status_code == 422 and refused.json()["rule"] == "https-required"
        created = client.post("/v1/subscriptions", json={"url": "https://93.184.215.14/hook"}, headers=auth("admin"))
        assert created.status_code == 201


def _stored_subscription(client: TestClient, url: str) -> str:
    """As if it had passed the check when made: the name resolved elsewhere then."""
    sub_id = str(uuid.uuid4())
    with app_state(client).store.engine.begin() as conn:
        conn.execute(insert(subscriptions).values(
            id=sub_id, url=url, force="CAMBS", event_types="[]", active=True, created_at=FakeClock().now,
            secret=app_state(client).webhook_secrets.seal(SECRET)))
    return sub_id


def test_a_name_that_resolves_inside_at_delivery_time_is_refused_then(strict: TestClient) -> None:
    receiver = WebhookReceiver()
    try:
        sub_id = _stored_subscription(strict, f"http://rebind.example:{receiver.server.server_address[1]}/hook")
        dispatcher(strict).resolver = lambda host, port: ["127.0.0.1"]  # what DNS answers now
        apply(strict, issued_event(str(uuid.uuid4()), 1))
        dispatcher(strict).run_once()
        assert receiver.received == []
        (logged,) = delivery_log(strict, sub_id)
        assert logged["status"] == "pending" and logged["attempts"][0]["error"] == "refused_target"
    finally:
        receiver.stop()


def test_the_connection_goes_to_the_checked_address_under_the_subscribed_name(tmp_path: Any,
                                                                            clock: FakeClock) -> None:
    receiver = WebhookReceiver()
    port = receiver.server.server_address[1]
    try:
        with _app(tmp_path, clock, webhook_allowed_networks=["127.0.0.1"]) as client:
            sub_id = _stored_subscription(client, f"http://receiver.example:{port}/hook")
            asked: list[str] = []

            def dns(host: str, port: int) -> list[str]:
                asked.append(host)
                return ["127.0.0.1"]

            dispatcher(client).resolver = dns
            apply(client, issued_event(str(uuid.uuid4()), 1))
            dispatcher(client).run_once()
            assert delivery_log(client, sub_id)[0]["status"] == "delivered"
        assert asked == ["receiver.example"]  # resolved by the check, not again by the HTTP client
        (hook,) = receiver.received
        assert hook.headers["host"] == f"receiver.example:{port}"
    finally:
        receiver.stop()


def test_recipients_never_see_why_a_delivery_failed_the_admin_sees_a_category(
        tmp_path: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    receiver = WebhookReceiver()
    url = receiver.url
    receiver.stop()  # nothing listens on its port now: connection refused
    with _app(tmp_path, clock, webhook_allowed_networks=["127.0.0.1"]) as client:
        sub = subscribe(client, url)
        apply(client, issued_event(str(uuid.uuid4()), 1))
        with caplog.at_level(logging.WARNING, logger="cara.notify.dispatch"):
            dispatcher(client).run_once()
        (note,) = inbox(client, "provider")
        shown = client.get(f"/v1/notifications/{note['id']}", headers=auth("provider")).text
        for leak in ("ConnectError", "Errno", "refused", "127.0.0.1", str(url.split(":")[2].split("/")[0])):
            assert leak not in shown, leak
        (webhook,) = [d for d in detail(client, "provider", note["id"])["deliveries"] if d["channel"] == "webhook"]
        assert webhook["status"] == "pending" and [a["outcome"] for a in webhook["attempts"]] == ["failed"]
        (logged,) = delivery_log(client, sub["id"])
        assert logged["last_error"] == "connection_refused"
        assert logged["attempts"][0]["error"] == "connection_refused"
        for role, force in (("police", "CAMBS"), ("provider", "CAMBS"), ("admin", "NORFOLK")):
            refused = client.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=auth(role, force))
            assert refused.status_code in (403, 404), role
    assert any("ConnectError" in r.getMessage() for r in caplog.records)  # the operator still has the text


class HangingReceiver:
    """A listening socket nobody accepts from: the connection opens, the request is sent, no answer ever comes."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/hook"

    def close(self) -> None:
        self.socket.close()


def test_a_hanging_receiver_of_one_force_does_not_delay_another_forces_webhook(tmp_path: Any,
                                                                              clock: FakeClock) -> None:
    hanging, receiver = HangingReceiver(), WebhookReceiver()
    stop = threading.Event()
    try:
        with _app(tmp_path, clock, webhook_allowed_networks=["127.0.0.1"], webhook_timeout_seconds=5) as client:
            subscribe(client, hanging.url, force="NORFOLK")
            subscribe(client, receiver.url, force="CAMBS")
            for position in range(1, 4):  # NORFOLK's deliveries are older, so first in line
                apply(client, issued_event(str(uuid.uuid4()), position, force="NORFOLK"))
            clock.advance(seconds=1)
            apply(client, issued_event(str(uuid.uuid4()), 4, force="CAMBS"))
            started = time.monotonic()
            dispatcher(client).run_in_thread(stop, poll_seconds=0.05)
            while not receiver.received and time.monotonic() - started < 20:
                time.sleep(0.01)
            latency = time.monotonic() - started
            print(f"\nforce A's webhook arrived {latency * 1000:.0f} ms after dispatch began, "
                  f"while force B's receiver hung (timeout 5 s)")
            assert receiver.received, "force A's webhook never arrived"
            assert latency < 2.0
            stop.set()
            dispatcher(client).wakeup.set()
    finally:
        stop.set()
        hanging.close()
        receiver.stop()


def test_an_open_circuit_holds_an_endpoints_deliveries_and_loses_none(tmp_path: Any, clock: FakeClock) -> None:
    receiver = WebhookReceiver()
    receiver.status = 500
    try:
        with _app(tmp_path, clock, webhook_allowed_networks=["127.0.0.1"], webhook_breaker_failures=2,
                  webhook_breaker_seconds=60, webhook_concurrency_per_endpoint=1, webhook_backoff_seconds=10,
                  webhook_max_attempts=6, email_recipients={}) as client:
            sub = subscribe(client, receiver.url)
            for position in range(1, 4):
                apply(client, issued_event(str(uuid.uuid4()), position))
            opened_at = clock.now
            assert dispatcher(client).run_once() == 3
            assert len(receiver.received) == 2  # the second failure in a row opened the circuit
            with app_state(client).store.engine.connect() as conn:
                waiting = conn.execute(select(deliveries.c.status, deliveries.c.next_attempt_at)).all()
            assert {status for status, _ in waiting} == {"pending"}
            assert {utc(at) for _, at in waiting} == {utc(opened_at) + timedelta(seconds=60)}  # moved, not lost
            clock.advance(seconds=30)  # past the deliveries' own backoff, not past the circuit
            assert dispatcher(client).run_once() == 0 and len(receiver.received) == 2
            receiver.status = 204
            clock.advance(seconds=30)
            assert dispatcher(client).run_once() == 3
            assert len(receiver.received) == 5
            log = delivery_log(client, sub["id"])
            assert sorted(d["status"] for d in log) == ["delivered"] * 3
            assert sorted(len(d["attempts"]) for d in log) == [1, 2, 2]
    finally:
        receiver.stop()


def test_two_dispatchers_never_send_the_same_delivery(tmp_path: Any, clock: FakeClock) -> None:
    receiver = WebhookReceiver()
    try:
        with _app(tmp_path, clock, webhook_allowed_networks=["127.0.0.1"], email_recipients={}) as client:
            subscribe(client, receiver.url)
            for position in range(1, 21):
                apply(client, issued_event(str(uuid.uuid4()), position))
            first = dispatcher(client)
            second = Dispatcher(first.engine, first.clock, smtp_host=None, smtp_port=25, email_from="x@localhost",
                                timeout=5, max_attempts=6, backoff_seconds=10, secrets=first.secrets,
                                allow=first.allow)
            runs = [threading.Thread(target=d.run_once) for d in (first, second)]
            for run in runs:
                run.start()
            for run in runs:
                run.join(timeout=30)
            sent = [hook.headers["x-cara-delivery-id"] for hook in receiver.received]
            assert len(sent) == 20 and len(set(sent)) == 20
            with first.engine.connect() as conn:
                assert {row.status for row in conn.execute(select(deliveries.c.status))} == {"delivered"}
    finally:
        receiver.stop()
