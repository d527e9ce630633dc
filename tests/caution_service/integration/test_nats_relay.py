"""The NATS JetStream path, against the real server: relay, de-duplication, and the notification consumer."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.caution_service import relay
from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.notification_service.config import Settings as NotifySettings
from services.notification_service.main import build_store
from services.notification_service.nats_consumer import NatsConsumer
from services.notification_service.store import NotificationStore
from services.notification_service.tables import notifications
from shared.nats_stream import ensure_stream
from tests.support import FakeClock, app_state, at, auth, caution_payload, iso


@pytest.fixture
def stream(nats_url: str) -> Iterator[tuple[str, str]]:
    """A stream and subject prefix of this test's own, removed afterwards."""
    tag = uuid.uuid4().hex[:10]
    name = f"CARA_TEST_{tag}"
    yield name, f"test.{tag}."

    async def drop() -> None:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(nats_url)
        try:
            await nc.jetstream().delete_stream(name)
        except NotFoundError:
            pass  # the test removed it already
        await nc.close()

    asyncio.run(drop())


@pytest.fixture
def cautions(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3", run_projections=False)
    with TestClient(create_app(settings, clock)) as client:
        yield client


def _lifecycle_start(client: TestClient, clock: FakeClock) -> str:
    caution_id = client.post("/v1/cautions", json=caution_payload(), headers=auth("police")).json()["id"]
    client.post(f"/v1/cautions/{caution_id}/workshops/A/schedule",
                json={"occurred_at": iso(at(0)), "session_at": iso(at(7)), "venue": "Hub"}, headers=auth("provider"))
    clock.advance(days=7)
    client.post(f"/v1/cautions/{caution_id}/workshops/A/attendance", json={"occurred_at": iso(at(7))},
                headers=auth("provider"))
    return caution_id


async def _relay_twice_and_read(
    app: CautionApplication, nats_url: str, stream: str, prefix: str
) -> tuple[int, int, list[dict[str, Any]]]:
    import nats

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream, prefix)
        where = relay.RelayPosition(app)
        first = await relay.relay_once(app, js, where, stream=stream, prefix=prefix)
        where.set(0)  # as if the relay crashed before storing its position
        await relay.relay_once(app, js, where, stream=stream, prefix=prefix)
        info = await js.stream_info(stream)
        sub = await js.pull_subscribe(prefix + ">", durable=f"reader-{uuid.uuid4().hex[:6]}", stream=stream)
        messages = await sub.fetch(batch=10, timeout=2)
        read = []
        for message in messages:
            msg_id = (message.headers or {}).get("Nats-Msg-Id")
            follows = (message.headers or {}).get("Cara-Follows")
            read.append({**json.loads(message.data), "nats_subject": message.subject, "msg_id": msg_id,
                         "follows": follows})
            await message.ack()
        return first, info.state.messages, read
    finally:
        await js.delete_stream(stream)
        await nc.close()


def test_relay_publishes_each_event_once_per_type_subject(
    cautions: TestClient, clock: FakeClock, nats_url: str, stream: tuple[str, str]
) -> None:
    caution_id = _lifecycle_start(cautions, clock)
    name, prefix = stream
    first, stored, read = asyncio.run(_relay_twice_and_read(app_state(cautions).cautions, nats_url, name, prefix))
    assert first == 3
    assert stored == 3, "a re-published event must be dropped by JetStream's Nats-Msg-Id de-duplication"
    assert [m["nats_subject"] for m in read] == [f"{prefix}caution-issued.v1", f"{prefix}workshop-scheduled.v1",
                                           f"{prefix}workshop-a-attended.v1"]
    assert all(m["msg_id"] == m["id"] and m["nats_subject"] == prefix + m["type"].removeprefix("uk.cara.caution.")
               for m in read)
    assert all(m["data"]["caution_id"] == caution_id for m in read)
    assert [m["follows"] for m in read] == ["0"] + [str(m["position"]) for m in read[:-1]]
    assert "Sam Victim" not in json.dumps(read)


def _relay_into(app: CautionApplication, nats_url: str, name: str, prefix: str, garbage: bytes | None = None) -> None:
    """Relay the store into the test's stream, after an optional unparseable message."""

    async def publish() -> None:
        import nats

        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await ensure_stream(js, name, prefix)
        if garbage is not None:
            await js.publish(prefix + "caution-issued.v1", garbage, stream=name)
        await relay.relay_once(app, js, relay.RelayPosition(app), stream=name, prefix=prefix)
        await nc.close()

    asyncio.run(publish())


def _consume_until(
    store: NotificationStore, nats_url: str, name: str, prefix: str, durable: str, position: int
) -> None:
    consumer = NatsConsumer(store, nats_url, name, prefix, durable, lambda: None)
    stop = threading.Event()
    thread = consumer.run_in_thread(stop)
    deadline = time.monotonic() + 10
    while store.position() < position and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(10)


def _kinds(store: NotificationStore, caution_id: str) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(notifications.c.recipient_role, notifications.c.kind)
                            .where(notifications.c.caution_id == caution_id).order_by(notifications.c.kind)).all()
    return [(role, kind) for role, kind in rows]


EXPECTED = [("provider", "new_referral"), ("victim_contact", "victim_contact_due")]


def test_notification_service_consumes_from_jetstream_exactly_once(
    cautions: TestClient, clock: FakeClock, nats_url: str, stream: tuple[str, str], tmp_path: Path
) -> None:
    caution_id = _lifecycle_start(cautions, clock)
    _relay_into(app_state(cautions).cautions, nats_url, *stream)
    store = build_store(NotifySettings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3"), clock)
    durable = f"notify-{uuid.uuid4().hex[:6]}"
    for _ in range(2):  # a restarted consumer resumes from its durable position and adds nothing
        _consume_until(store, nats_url, *stream, durable, position=3)
    assert _kinds(store, caution_id) == EXPECTED
    assert store.consumer()["last_error"] is None


def test_a_garbage_message_on_the_stream_is_recorded_and_skipped(
    cautions: TestClient, clock: FakeClock, nats_url: str, stream: tuple[str, str], tmp_path: Path
) -> None:
    caution_id = _lifecycle_start(cautions, clock)
    _relay_into(app_state(cautions).cautions, nats_url, *stream, garbage=b"{not json")
    store = build_store(NotifySettings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3"), clock)
    _consume_until(store, nats_url, *stream, f"notify-{uuid.uuid4().hex[:6]}", position=3)
    status = store.consumer()
    assert status["position"] == 3
    assert [s["reason"].startswith("malformed event") for s in status["skipped"]] == [True]
    assert _kinds(store, caution_id) == EXPECTED


@pytest.mark.alone
def test_a_lone_event_is_notified_at_once_not_when_a_batch_fills(
    cautions: TestClient, clock: FakeClock, nats_url: str, stream: tuple[str, str], tmp_path: Path
) -> None:
    """Sparse traffic is the real load (about 1,500 cautions a year): a lone message must not wait in the
    consumer for a batch to fill or a fetch to time out (measured here: 1-7 ms from publish to notification)."""
    name, prefix = stream
    store = build_store(NotifySettings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3"), clock)
    consumer = NatsConsumer(store, nats_url, name, prefix, f"notify-{uuid.uuid4().hex[:6]}", lambda: None)
    _relay_into(app_state(cautions).cautions, nats_url, name, prefix)  # the stream exists before the consumer starts
    stop = threading.Event()
    thread = consumer.run_in_thread(stop)
    try:
        delays: list[float] = []
        for count in range(1, 6):
            time.sleep(0.35)  # the consumer is waiting in a fetch begun some time ago
            cautions.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
            _relay_into(app_state(cautions).cautions, nats_url, name, prefix)
            published = time.monotonic()
            while store.position() < count:
                assert time.monotonic() - published < 5, "the event was not notified"
                time.sleep(0.005)
            delays.append(time.monotonic() - published)
        assert max(delays) < 0.3, delays
    finally:
        stop.set()
        thread.join(10)


class RunningRelay:
    """`relay.run` in a thread of its own, as `make relay` runs it; `stop()` asks it to end, as SIGTERM does."""

    def __init__(self, settings: Settings, nats_url: str, name: str, prefix: str, poll_seconds: float) -> None:
        self.ready = threading.Event()
        self.errors: list[BaseException] = []

        async def main() -> None:
            self.loop, self.halt = asyncio.get_running_loop(), asyncio.Event()
            self.ready.set()
            await relay.run(settings, nats_url, self.halt, poll_seconds=poll_seconds, stream=name, prefix=prefix)

        def thread() -> None:
            try:
                asyncio.run(main())
            except BaseException as e:  # surfaced by stop()
                self.errors.append(e)

        self.thread = threading.Thread(target=thread, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.halt.set)
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the relay did not stop"
        assert not self.errors, self.errors


def _stored_messages(nats_url: str, name: str) -> int:
    async def count() -> int:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(nats_url)
        try:
            return (await nc.jetstream().stream_info(name)).state.messages
        except NotFoundError:
            return 0
        finally:
            await nc.close()

    return asyncio.run(count())


def _wait_for_messages(nats_url: str, name: str, count: int, timeout: float) -> float:
    started = time.monotonic()
    while _stored_messages(nats_url, name) < count:
        assert time.monotonic() - started < timeout, f"fewer than {count} messages in the stream after {timeout}s"
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_relay_publishes_what_is_recorded_at_once_not_at_its_next_poll(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock, nats_url: str,
    stream: tuple[str, str],
) -> None:
    url = f"sqlite:///{tmp_path}/c.sqlite3" if backend == "sqlite" else request.getfixturevalue("postgres_schema_url")
    settings = Settings(environment="test", database_url=url, run_projections=False)
    name, prefix = stream
    with TestClient(create_app(settings, clock)) as client:
        client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
        running = RunningRelay(settings, nats_url, name, prefix, poll_seconds=30)  # only a wake-up explains speed
        try:
            _wait_for_messages(nats_url, name, 1, timeout=15)  # what was there when it started
            for expected in (2, 3):
                time.sleep(0.3)  # the relay is asleep again
                client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
                assert _wait_for_messages(nats_url, name, expected, timeout=5) < 5
        finally:
            running.stop()


@pytest.mark.postgres
def test_one_relay_leads_per_database_and_a_standby_takes_over(
    postgres_schema_url: str, clock: FakeClock, nats_url: str, stream: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cara.leadership")
    settings = Settings(environment="test", database_url=postgres_schema_url, run_projections=False)
    name, prefix = stream

    def said(words: str) -> int:
        return sum(words in r.getMessage() for r in caplog.records)

    with TestClient(create_app(settings, clock)) as client:
        client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
        first = RunningRelay(settings, nats_url, name, prefix, poll_seconds=30)
        _wait_for_messages(nats_url, name, 1, timeout=15)
        second = RunningRelay(settings, nats_url, name, prefix, poll_seconds=30)
        try:
            deadline = time.monotonic() + 10
            while not said("another process leads cara-relay"):
                assert time.monotonic() < deadline, "the second relay did not stand by"
                time.sleep(0.05)
            assert said("leading cara-relay") == 1
            first.stop()
            client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
            _wait_for_messages(nats_url, name, 2, timeout=15)  # the standby tries the lock every 2 s
            assert said("leading cara-relay") == 2
        finally:
            second.stop()
