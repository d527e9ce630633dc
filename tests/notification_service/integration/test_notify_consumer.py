"""FeedConsumer against a real caution service (uvicorn in this process): follows the feed, survives it being down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings as CautionSettings
from services.caution_service.main import create_app as create_caution_app
from services.notification_service.config import Settings
from services.notification_service.consumer import FeedConsumer
from services.notification_service.main import build_store, create_app, feed_token
from services.notification_service.store import NotificationStore
from tests.service_processes import ThreadedUvicorn, free_port, wait_until
from tests.support import FakeClock, at, auth, caution_payload, iso


@pytest.fixture
def caution_app(tmp_path: Any, clock: FakeClock) -> Any:
    clock.now = at(0, 12)
    settings = CautionSettings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3")
    return create_caution_app(settings, clock)


@pytest.fixture
def caution_server(caution_app: Any) -> Iterator[ThreadedUvicorn]:
    server = ThreadedUvicorn(caution_app).start()
    yield server
    server.stop()


@pytest.fixture
def notify_settings(tmp_path: Any) -> Settings:
    return Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False,
                    feed_wait_seconds=0.5)


@pytest.fixture
def store(notify_settings: Settings, clock: FakeClock) -> Iterator[NotificationStore]:
    built = build_store(notify_settings, clock)
    yield built
    built.engine.dispose()


def consumer_for(store: NotificationStore, settings: Settings, url: str) -> FeedConsumer:
    return FeedConsumer(store, url, feed_token(settings), settings.feed_wait_seconds)


class Caution:
    """Drives one caution over real HTTP."""

    def __init__(self, url: str, force: str = "CAMBS") -> None:
        self.url, self.force = url, force
        response = httpx.post(f"{url}/v1/cautions", json=caution_payload(at(0)), headers=auth("police", force),
                              timeout=10)
        assert response.status_code == 201, response.text
        self.id = response.json()["id"]

    def post(self, path: str, body: dict[str, Any], role: str = "provider") -> None:
        response = httpx.post(f"{self.url}/v1/cautions/{self.id}/{path}", json=body, headers=auth(role, self.force),
                              timeout=10)
        assert response.status_code == 200, response.text

    def attend_a(self) -> None:
        self.post("workshops/A/schedule", {"occurred_at": iso(at(0, 11)), "session_at": iso(at(0, 11)), "venue": "Hub"})
        self.post("workshops/A/attendance", {"occurred_at": iso(at(0, 11))})


def kinds(client: TestClient, role: str, force: str = "CAMBS") -> list[str]:
    response = client.get("/v1/notifications", headers=auth(role, force))
    assert response.status_code == 200, response.text
    return sorted(item["kind"] for item in response.json()["items"])


def test_the_consumer_follows_the_feed_exactly_once(caution_server: ThreadedUvicorn, store: NotificationStore,
                                                     notify_settings: Settings, clock: FakeClock) -> None:
    consumer = consumer_for(store, notify_settings, caution_server.url)
    first = Caution(caution_server.url)
    first.attend_a()
    assert consumer.poll_once(wait=0) == 3
    assert consumer.poll_once(wait=0) == 0
    Caution(caution_server.url, "NORFOLK")  # the consumer's national token sees every force
    assert consumer.poll_once(wait=0) == 1
    state = store.consumer()
    assert state["position"] == state["head"] == 4
    with TestClient(create_app(notify_settings, clock)) as client:
        assert kinds(client, "provider") == ["new_referral"]
        assert kinds(client, "victim_contact") == ["victim_contact_due"]
        assert kinds(client, "provider", "NORFOLK") == ["new_referral"]
        status = client.get("/v1/consumer", headers=auth("admin")).json()
    assert (status["source"], status["position"], status["head"], status["lag"]) == ("http", 4, 4, 0)


def test_the_consumer_long_polls_and_wakes_on_a_new_event(caution_server: ThreadedUvicorn, store: NotificationStore,
                                                           notify_settings: Settings) -> None:
    consumer = consumer_for(store, notify_settings, caution_server.url)
    applied: list[int] = []
    poller = threading.Thread(target=lambda: applied.append(consumer.poll_once(wait=10)))
    poller.start()
    threading.Timer(0.3, lambda: Caution(caution_server.url)).start()
    poller.join(timeout=8)
    assert not poller.is_alive() and applied == [1]


def test_the_consumer_survives_the_caution_service_being_down(caution_app: Any, store: NotificationStore,
                                                              notify_settings: Settings, clock: FakeClock) -> None:
    port = free_port()
    woken = threading.Event()
    consumer = FeedConsumer(store, f"http://127.0.0.1:{port}", feed_token(notify_settings), 0.5, on_applied=woken.set)
    stop = threading.Event()
    thread = consumer.run_in_thread(stop)
    server = ThreadedUvicorn(caution_app, port=port)
    try:
        error = wait_until(lambda: store.consumer()["last_error"], timeout=10, what="the consumer to record the outage")
        assert "ConnectError" in error
        with TestClient(create_app(notify_settings, clock)) as client:
            status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert "ConnectError" in status["last_error"] and status["last_error_at"] and status["position"] == 0
        assert thread.is_alive()

        server.start()  # the caution service comes back on the same address
        caution = Caution(server.url)
        wait_until(lambda: store.position() == 1, timeout=15, what="the consumer to resume")
        wait_until(lambda: store.consumer()["last_error"] is None, timeout=5, what="the error to clear")
        assert woken.is_set()
        caution.attend_a()
        wait_until(lambda: store.position() == 3, timeout=10, what="the consumer to keep following")
        with TestClient(create_app(notify_settings, clock)) as client:
            assert kinds(client, "provider") == ["new_referral"]
            assert kinds(client, "victim_contact") == ["victim_contact_due"]
            status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert status["last_error"] is None and status["last_error_at"] is None and status["lag"] == 0
    finally:
        stop.set()
        thread.join(timeout=10)
        server.stop()
    assert not thread.is_alive()


def test_a_refused_token_is_reported_and_nothing_moves(caution_server: ThreadedUvicorn,
                                                       store: NotificationStore) -> None:
    Caution(caution_server.url)
    consumer = FeedConsumer(store, caution_server.url, lambda: "not-a-token", 0.2)
    stop = threading.Event()
    thread = consumer.run_in_thread(stop)
    try:
        error = wait_until(lambda: store.consumer()["last_error"], timeout=10, what="the refusal to be recorded")
        assert "401" in error
        assert store.position() == 0
    finally:
        stop.set()
        thread.join(timeout=10)

