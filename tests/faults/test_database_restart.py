"""The production shape's background processes outlive their database: PostgreSQL (a server of the test's own)
is stopped and started again, or frozen and thawed, under load from clients issuing commands over HTTP, and
the projection leader is SIGKILLed. The notification service keeps its tables on the same server and reads
the relay's stream, so it meets the outage twice: in its own database and as holes in the positions (the
numbers of transactions that the outage rolled back).

Nothing restarts a process here, as nothing would in production until a liveness probe gives up: both
projection workers (leader and standby) and the NATS relay must still be running afterwards, the read models
must reach the store's head within seconds of the database's return and equal a rebuild, and the relay's
stream must hold every stored event exactly once, and the notification service must make every notification
exactly once. Each prints its counts (`pytest -s` shows them)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, func, select

from services.caution_service.application import CautionApplication
from services.caution_service.event_store import engine_of, events_table
from shared.leadership import psycopg_conninfo
from tests.faults.background import Background, delete_stream, messages_in, projection_worker, relay, stop_together
from tests.faults.checks import (
    assert_each_acknowledged_command_stored_once,
    assert_read_models_equal_the_store,
    projected_position,
    seconds_until,
    store_of,
)
from tests.faults.load import Load
from tests.faults.notifications import consumer_position, event_notifications, reference_notifications, skipped
from tests.faults.own_postgres import OwnPostgres, own_postgres  # noqa: F401 (the fixture)
from tests.service_processes import CautionProcess, NotifyProcess

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
OUTAGE_SECONDS = 5.0
RECOVERY_SECONDS = 10.0  # the workers retry every 2 s at most: the read models should be back well within this
CLIENTS = 8
EMBEDDED_RECOVERY_SECONDS = 4.0  # a retry at most 2 s after the return, then a batch or two
DEADLINE_SECONDS = 2.0  # the API's request deadline here: no answer may take much longer, frozen database or not


@dataclass
class Shape:
    """The caution API (not projecting), two projection workers and the relay, all on `database`."""

    database: OwnPostgres
    api: CautionProcess
    leader: Background
    standby: Background
    relay: Background
    notify: NotifyProcess
    notify_url: str
    nats_url: str
    stream: str

    @property
    def background(self) -> list[Background]:  # the notification service is checked by what it made
        return [self.leader, self.standby, self.relay]

    def assert_running(self, when: str) -> None:
        assert all(p.running() for p in self.background), \
            f"{when}: " + "; ".join(p.describe() for p in self.background) + "\n" + self.relay.log()[-3000:]


@pytest.fixture
def shape(own_postgres: OwnPostgres, nats_url: str, tmp_path: Path) -> Iterator[Shape]:  # noqa: F811
    url = own_postgres.url
    api = CautionProcess({"CARA_DATABASE_URL": url, "CARA_ENVIRONMENT": "test", "CARA_RUN_PROJECTIONS": "false",
                          "CARA_REQUEST_DEADLINE_SECONDS": str(DEADLINE_SECONDS)}, tmp_path / "api.log")
    tag = uuid.uuid4().hex[:10]
    stream = f"CARA_FAULT_{tag}"
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as connection:
        connection.execute("CREATE SCHEMA notify")
    notify_url = f"{url}?options=-csearch_path%3Dnotify"
    notify = NotifyProcess({
        "CARA_NOTIFY_ENVIRONMENT": "test", "CARA_NOTIFY_DATABASE_URL": notify_url, "CARA_NOTIFY_SOURCE": "nats",
        "CARA_NOTIFY_NATS_URL": nats_url, "CARA_NOTIFY_NATS_STREAM": stream,
        "CARA_NOTIFY_NATS_SUBJECT_PREFIX": f"fault.{tag}.", "CARA_NOTIFY_NATS_DURABLE": f"notify-{tag}",
        "CARA_NOTIFY_REMINDER_POLL_SECONDS": "3600"}, tmp_path / "notify.log")
    made = Shape(own_postgres, api, projection_worker(url, tmp_path / "leader.log"),
                 projection_worker(url, tmp_path / "standby.log"),
                 relay(url, tmp_path / "relay.log", nats_url, stream, f"fault.{tag}."), notify, notify_url,
                 nats_url, stream)
    try:
        api.start()  # it migrates the tables before the workers look for them
        notify.env["CARA_NOTIFY_CAUTION_FEED_URL"] = api.url
        made.leader.start()
        seconds_until(lambda: made.leader.said("leading cara-projector"), 30, "the first worker to lead")
        # The relay's lock is not the projectors': it starts beside the standby rather than after it.
        made.standby.start()
        made.relay.start()
        seconds_until(lambda: made.standby.said("another process leads cara-projector"), 30, "the standby")
        # A process still starting gives up after a few tries (shared/startup.py): the faults here are later.
        seconds_until(lambda: made.relay.said("leading cara-relay"), 30, "the relay to lead")
        notify.start()
        yield made
    finally:
        stop_together(made.background)
        notify.kill()
        api.kill()
        delete_stream(nats_url, stream)


def _stored_events(app: CautionApplication) -> int:
    with engine_of(app).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events_table(app))).scalar_one())


def _head(app: CautionApplication) -> int:
    with engine_of(app).connect() as connection:
        return int(connection.execute(select(func.max(events_table(app).c.id))).scalar() or 0)


def _survives(shape: Shape, fault: Callable[[], None], recover: Callable[[], None], what: str) -> None:
    load = Load(shape.api.url, clients=CLIENTS).start()
    with store_of(shape.database.url) as app:
        load.wait_for(100)
        head_before = _head(app)
        engine_of(app).dispose()  # its pooled connections would not outlive the fault
        fault()
        time.sleep(OUTAGE_SECONDS)
        recover()
        returned = time.monotonic()
        load.wait_for(50, timeout=60)
        first_commands = time.monotonic() - returned
        head_after = _head(app)  # includes commands recorded since the database returned
        seconds_until(lambda: projected_position(app) >= head_after, 60, "the read models to catch up")
        caught_up_after_return = time.monotonic() - returned
        shape.assert_running(f"after {what}")
        load.stop()
        stopped = time.monotonic()
        head = assert_each_acknowledged_command_stored_once(app, load)
        events = _stored_events(app)
        caught_up = seconds_until(lambda: projected_position(app) == head, 30, "the read models to reach the head")
        streamed = seconds_until(lambda: messages_in(shape.nats_url, shape.stream) >= events, 30,
                                 "the relay to publish every event")
        time.sleep(0.5)  # a duplicate would arrive after the last original
        in_stream = messages_in(shape.nats_url, shape.stream)
        notify_engine = create_engine(shape.notify_url)
        try:
            notified = seconds_until(lambda: consumer_position(notify_engine) == head, 30,
                                     "the notification service to reach the head")
            made, left_out = event_notifications(notify_engine), skipped(notify_engine)
        finally:
            notify_engine.dispose()
        expected = reference_notifications(shape.api.url, shape.database.directory / "reference.sqlite3", head)
        shape.assert_running("at the end")
        print(f"\n{what}: {load.summary()}; {events} events stored (head {head}), {in_stream} in the stream; "
              f"50 more commands acknowledged {first_commands:.1f}s after the database returned, read models "
              f"had them (head {head_after}, {head_before} before the fault) {caught_up_after_return:.1f}s after "
              f"it returned; after the load stopped, read models "
              f"at the head in {caught_up:.1f}s, stream complete in {max(streamed, caught_up):.1f}s "
              f"({time.monotonic() - stopped:.1f}s in all); {len(expected)} notifications expected, {len(made)} "
              f"made, the notification service at the head in {notified:.1f}s")
        assert caught_up_after_return < RECOVERY_SECONDS
        assert in_stream == events, "the stream must hold every stored event exactly once"
        assert left_out == [] and sorted(made) == sorted(expected), "every notification made exactly once"
        load.assert_clean()  # every command answered for good, and a database fault is 503, never 500
        assert load.slowest < DEADLINE_SECONDS + 2.0, f"an answer took {load.slowest:.1f}s"
        assert load.replay_mismatches(shape.api.url) == []
        stop_together(shape.background)
        assert_read_models_equal_the_store(app, head)


def test_postgresql_stopped_for_seconds_under_load(shape: Shape) -> None:
    _survives(shape, shape.database.stop, shape.database.start, "PostgreSQL stopped for 5 s")


def test_postgresql_frozen_for_seconds_under_load(shape: Shape) -> None:
    _survives(shape, shape.database.freeze, shape.database.thaw, "PostgreSQL frozen (SIGSTOP) for 5 s")


def test_the_standby_takes_over_when_the_leader_is_killed_under_load(shape: Shape) -> None:
    load = Load(shape.api.url, clients=CLIENTS).start()
    with store_of(shape.database.url) as app:
        load.wait_for(100)
        shape.leader.kill()
        killed = time.monotonic()
        seconds_until(lambda: shape.standby.said("leading cara-projector"), 15, "the standby to take over")
        took_over = time.monotonic() - killed
        load.wait_for(100)
        load.stop()
        head = assert_each_acknowledged_command_stored_once(app, load)
        caught_up = seconds_until(lambda: projected_position(app) == head, 30, "the read models to reach the head")
        assert shape.standby.running() and shape.relay.running()
        load.assert_clean()
        assert load.replay_mismatches(shape.api.url) == []
        print(f"\nprojection leader SIGKILLed: {load.summary()}; the standby led {took_over:.1f}s after the kill, "
              f"read models at the head {head} {caught_up:.1f}s after the load stopped")
        stop_together(shape.background)
        assert_read_models_equal_the_store(app, head)


def test_the_embedded_projector_catches_up_within_seconds_of_a_ten_second_outage(
    own_postgres: OwnPostgres, tmp_path: Path,  # noqa: F811
) -> None:
    """The one-process shape: its projector thread doubled its back-off to 30 s, and read models were still 20 s
    behind after a 10 s outage; the back-off is now capped (CARA_RETRY_CAP_SECONDS, 2 s)."""
    api = CautionProcess({"CARA_DATABASE_URL": own_postgres.url, "CARA_ENVIRONMENT": "test",
                          "CARA_REQUEST_DEADLINE_SECONDS": str(DEADLINE_SECONDS)}, tmp_path / "api.log").start()
    load = Load(api.url, clients=CLIENTS).start()
    try:
        with store_of(own_postgres.url) as app:
            load.wait_for(100)
            engine_of(app).dispose()
            own_postgres.stop()
            time.sleep(2 * OUTAGE_SECONDS)
            own_postgres.start()
            returned = time.monotonic()
            load.wait_for(50, timeout=60)
            head_after = _head(app)
            seconds_until(lambda: projected_position(app) >= head_after, 60, "the read models to catch up")
            caught_up = time.monotonic() - returned
            load.stop()
            head = assert_each_acknowledged_command_stored_once(app, load)
            seconds_until(lambda: projected_position(app) == head, 30, "the read models to reach the head")
            print(f"\nPostgreSQL stopped for 10 s under one process: {load.summary()}; read models had the commands "
                  f"recorded since it returned {caught_up:.1f}s after it returned")
            load.assert_clean()
            assert load.replay_mismatches(api.url) == []
            assert caught_up < EMBEDDED_RECOVERY_SECONDS, "the old doubling back-off left them 5 s behind here"
            api.stop()
            assert_read_models_equal_the_store(app, head)
    finally:
        load.stop()
        api.kill()
