"""Issue 15: a notification service killed with a fetched batch unacknowledged must not lose that batch.

JetStream hands the unacknowledged messages back only after the durable's ack wait; the restarted consumer
meanwhile fetches the ones after them. Against the real NATS server and a real feed over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.notification_service.config import Settings
from services.notification_service.feed_gap import FeedGapReader
from services.notification_service.main import build_store, create_app
from services.notification_service.nats_consumer import NatsConsumer
from services.notification_service.store import NotificationStore
from services.notification_service.tables import notifications
from shared.nats_stream import FOLLOWS_HEADER, ensure_stream
from tests.json_server import Answer, Asked, JsonServer
from tests.service_processes import free_port, issued_event, wait_until
from tests.support import FakeClock, auth

EVENTS = 12
DIED_HOLDING = 5  # the first consumer fetched 1..5 and was killed before acknowledging them


@pytest.fixture
def stream(nats_url: str) -> Iterator[tuple[str, str, str]]:
    """A stream, subject prefix and durable of this test's own, with events 1..EVENTS published."""
    tag = uuid.uuid4().hex[:10]
    name, prefix = f"CARA_GAP_{tag}", f"gap.{tag}."

    async def publish() -> None:
        import nats

        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await ensure_stream(js, name, prefix)
        for event in FEED:
            await js.publish(prefix + "caution-issued.v1", json.dumps(event).encode(), stream=name,
                             headers={"Nats-Msg-Id": event["id"]})
        await nc.close()

    async def drop() -> None:
        import nats

        nc = await nats.connect(nats_url)
        await nc.jetstream().delete_stream(name)
        await nc.close()

    asyncio.run(publish())
    yield name, prefix, f"notify-{tag}"
    asyncio.run(drop())


FEED = [issued_event(str(uuid.UUID(int=n)), n, reference=f"CC-GAP-{n}") for n in range(1, EVENTS + 1)]


def _die_holding_a_batch(nats_url: str, name: str, prefix: str, durable: str) -> None:
    """What a SIGKILLed notification service leaves: a fetched batch the durable still counts as pending."""

    async def fetch_and_vanish() -> None:
        import nats

        nc = await nats.connect(nats_url)
        subscription = await nc.jetstream().pull_subscribe(prefix + ">", durable=durable, stream=name)
        held = await subscription.fetch(batch=DIED_HOLDING, timeout=5)
        assert [json.loads(m.data)["position"] for m in held] == list(range(1, DIED_HOLDING + 1))
        await nc.close()

    asyncio.run(fetch_and_vanish())


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[NotificationStore]:
    built = build_store(Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3"), clock)
    yield built
    built.engine.dispose()


def _notified_cautions(store: NotificationStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count(func.distinct(notifications.c.caution_id)))).scalar_one()


def _feed_answer(asked: Asked) -> Answer:
    query = parse_qs(urlparse(asked.path).query)
    after, limit = int(query["after"][0]), int(query["limit"][0])
    if not asked.headers.get("authorization", "").startswith("Bearer "):
        return 401, {"title": "no token"}
    items = [e for e in FEED if e["position"] > after][:limit]
    return 200, {"items": items, "next_after": items[-1]["position"] if items else after, "head": EVENTS}


class Running:
    def __init__(self, consumer: NatsConsumer) -> None:
        self.stop = threading.Event()
        self.thread = consumer.run_in_thread(self.stop)

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(10)


def test_a_restarted_consumer_fills_what_its_killed_predecessor_held_from_the_feed_at_once(
    nats_url: str, stream: tuple[str, str, str], store: NotificationStore
) -> None:
    name, prefix, durable = stream
    feed = JsonServer(_feed_answer)
    try:
        _die_holding_a_batch(nats_url, name, prefix, durable)
        consumer = NatsConsumer(store, nats_url, name, prefix, durable, lambda: None,
                                feed=FeedGapReader(feed.url(""), lambda: "a-token"))
        started = time.monotonic()
        with Running(consumer):
            while _notified_cautions(store) < EVENTS:
                assert time.monotonic() - started < 8, f"{_notified_cautions(store)} of {EVENTS} notified"
                time.sleep(0.05)
    finally:
        feed.stop()
    state = store.consumer()
    assert state["position"] == EVENTS and state["skipped"] == []
    assert (state["gaps"], state["gap_after"], state["gap_before"], state["gap_filled_by"]) == (
        1, 0, DIED_HOLDING + 1, "feed")


def test_without_the_feed_the_gap_is_reported_and_redelivery_fills_it(
    nats_url: str, stream: tuple[str, str, str], store: NotificationStore, tmp_path: Path, clock: FakeClock
) -> None:
    name, prefix, durable = stream
    _die_holding_a_batch(nats_url, name, prefix, durable)
    nowhere = FeedGapReader(f"http://127.0.0.1:{free_port()}", lambda: "a-token", timeout=1)
    consumer = NatsConsumer(store, nats_url, name, prefix, durable, lambda: None, feed=nowhere, ack_wait=2)
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False)
    with Running(consumer), TestClient(create_app(settings, clock)) as client:
        wait_until(lambda: store.consumer()["gap_before"] == DIED_HOLDING + 1, timeout=8, what="the gap to be seen")
        status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert status["position"] == 0 and status["status"] == "error"
        assert status["last_gap"]["missing"] == DIED_HOLDING and status["last_gap"]["filled_at"] is None
        assert any("events 1 to 5 have not arrived" in error for error in status["errors"])
        assert "cara_notify_consumer_gap_missing 5.0" in client.get("/metrics").text
        assert _notified_cautions(store) == 0  # nothing behind the gap was applied

        started = time.monotonic()
        wait_until(lambda: _notified_cautions(store) == EVENTS, timeout=40, what="redelivery to fill the gap")
        assert time.monotonic() - started < 10, "filled only after the durable's old ack wait (30 s), not the one set"
        wait_until(lambda: store.consumer()["last_error"] is None, timeout=8, what="the error to clear")
        status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert (status["status"], status["position"], status["gaps"], status["skipped_total"]) == (
            "ok", EVENTS, 1, 0)
        assert status["last_gap"]["filled_by"] == "redelivery"
        assert "cara_notify_consumer_gap_missing 0.0" in client.get("/metrics").text


HOLED = [issued_event(str(uuid.UUID(int=n)), n, reference=f"CC-HOLE-{n}") for n in (1, 2, 3, 5, 6, 9)]


def _publish_with_holes(nats_url: str, name: str, prefix: str, follows: bool) -> None:
    """Positions as PostgreSQL leaves them when transactions roll back after taking numbers from its sequence;
    with `follows`, each message says what it follows, as the relay does."""

    async def publish() -> None:
        import nats

        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        before = 0
        for event in HOLED:
            headers = {"Nats-Msg-Id": event["id"]} | ({FOLLOWS_HEADER: str(before)} if follows else {})
            await js.publish(prefix + "caution-issued.v1", json.dumps(event).encode(), stream=name, headers=headers)
            before = event["position"]
        await nc.close()

    asyncio.run(publish())


@pytest.fixture
def empty_stream(nats_url: str) -> Iterator[tuple[str, str, str]]:
    tag = uuid.uuid4().hex[:10]
    name, prefix = f"CARA_HOLE_{tag}", f"hole.{tag}."

    async def make(create: bool) -> None:
        import nats

        nc = await nats.connect(nats_url)
        if create:
            await ensure_stream(nc.jetstream(), name, prefix)
        else:
            await nc.jetstream().delete_stream(name)
        await nc.close()

    asyncio.run(make(True))
    yield name, prefix, f"notify-{tag}"
    asyncio.run(make(False))


def test_holes_in_the_positions_that_the_relay_vouches_for_hold_nothing_back_even_without_the_feed(
    nats_url: str, empty_stream: tuple[str, str, str], store: NotificationStore
) -> None:
    name, prefix, durable = empty_stream
    _publish_with_holes(nats_url, name, prefix, follows=True)
    nowhere = FeedGapReader(f"http://127.0.0.1:{free_port()}", lambda: "a-token", timeout=1)
    consumer = NatsConsumer(store, nats_url, name, prefix, durable, lambda: None, feed=nowhere, ack_wait=2)
    with Running(consumer):
        wait_until(lambda: _notified_cautions(store) == len(HOLED), timeout=8, what="every event to be applied")
    state = store.consumer()
    assert (state["position"], state["gaps"], state["skipped"], state["last_error"]) == (9, 0, [], None)


def test_a_hole_the_feed_confirms_is_passed_when_the_messages_do_not_say_what_they_follow(
    nats_url: str, empty_stream: tuple[str, str, str], store: NotificationStore
) -> None:
    name, prefix, durable = empty_stream
    _publish_with_holes(nats_url, name, prefix, follows=False)

    def feed(asked: Asked) -> Answer:
        query = parse_qs(urlparse(asked.path).query)
        after, limit = int(query["after"][0]), int(query["limit"][0])
        items = [e for e in HOLED if e["position"] > after][:limit]
        return 200, {"items": items, "next_after": items[-1]["position"] if items else after, "head": 9}

    server = JsonServer(feed)
    try:
        consumer = NatsConsumer(store, nats_url, name, prefix, durable, lambda: None,
                                feed=FeedGapReader(server.url(""), lambda: "a-token"))
        with Running(consumer):
            wait_until(lambda: _notified_cautions(store) == len(HOLED), timeout=8, what="every event to be applied")
    finally:
        server.stop()
    state = store.consumer()
    assert (state["position"], state["skipped"], state["last_error"]) == (9, [], None)
