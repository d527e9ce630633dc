"""The way from a recorded event to a notification, killed under load: on the NATS path the relay and the
notification service are each SIGKILLed twice, turn about; on the HTTP feed the notification service is.

What the notification service made is compared, notification by notification, with what a reference consumer
makes by reading the whole feed once with nothing failing: every notification made exactly once, no event set
aside, the consumer at the store's head, without anyone's help but a supervisor restarting what was killed.
Each run prints its counts (`pytest -s`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from tests.faults.background import relay as relay_process
from tests.faults.checks import (
    assert_each_acknowledged_command_stored_once,
    assert_read_models_equal_the_store,
    projected_position,
    seconds_until,
    store_of,
)
from tests.faults.load import Load
from tests.faults.notifications import consumer_position, event_notifications, reference_notifications, skipped
from tests.faults.own_nats import OwnNats
from tests.service_processes import CautionProcess, NotifyProcess

pytestmark = pytest.mark.slow
BETWEEN_KILLS = 120  # commands acknowledged before each kill, and after the last restart


@pytest.fixture
def own_nats() -> Iterator[OwnNats]:
    server = OwnNats().start()
    yield server
    server.close()


def kill_while_catching_up(notify: NotifyProcess, engine: Engine, load: Load) -> None:
    """Down while commands go on, so a backlog waits; then killed again as soon as it is catching up, when it
    is most likely to hold events it has fetched and not yet applied."""
    load.wait_for(BETWEEN_KILLS)
    notify.kill()
    load.wait_for(BETWEEN_KILLS * 2)
    before = consumer_position(engine)
    notify.start()
    seconds_until(lambda: consumer_position(engine) > before, 30, "the notification service to start catching up",
                  interval=0.01)
    notify.kill()
    notify.start()


@pytest.mark.parametrize("source", ["nats", "http"])
def test_every_notification_is_made_once_when_the_relay_and_the_notification_service_are_killed(
    source: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    caution_url = f"sqlite:///{tmp_path / 'cautions.sqlite3'}"
    caution = CautionProcess({"CARA_DATABASE_URL": caution_url, "CARA_ENVIRONMENT": "test"},
                             tmp_path / "caution.log").start()
    env = {"CARA_NOTIFY_ENVIRONMENT": "test", "CARA_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'notify.sqlite3'}",
           "CARA_NOTIFY_SOURCE": source, "CARA_NOTIFY_CAUTION_FEED_URL": caution.url,
           "CARA_NOTIFY_FEED_WAIT_SECONDS": "1", "CARA_NOTIFY_REMINDER_POLL_SECONDS": "3600"}
    relay = None
    if source == "nats":
        nats = request.getfixturevalue("own_nats")
        env["CARA_NOTIFY_NATS_URL"] = nats.url
        relay = relay_process(caution_url, tmp_path / "relay.log", nats.url).start()
    notify = NotifyProcess(env, tmp_path / "notify.log").start()
    notify_engine = create_engine(env["CARA_NOTIFY_DATABASE_URL"])
    try:
        load = Load(lambda: caution.url, clients=16).start()
        kills = 0
        for _ in range(2):
            if relay is not None:
                load.wait_for(BETWEEN_KILLS)
                relay.kill()
                time.sleep(0.3)
                relay.start()
                kills += 1
            kill_while_catching_up(notify, notify_engine, load)
            kills += 1
        load.wait_for(BETWEEN_KILLS)
        load.stop()
        load.assert_clean()
        assert load.replay_mismatches(caution.url) == []
        with store_of(caution_url) as app:
            head = assert_each_acknowledged_command_stored_once(app, load)
            seconds_until(lambda: projected_position(app) == head, 30, "the read models to reach the head")
        caught_up = seconds_until(lambda: consumer_position(notify_engine) == head, 90,
                                  "the notification service to reach the store's head")
        made = event_notifications(notify_engine)
        expected = reference_notifications(caution.url, tmp_path / "reference.sqlite3", head)
        print(f"\n{source}: {load.summary()}; {kills} kills; {len(expected)} notifications expected, "
              f"{len(made)} made, {len(expected - set(made))} missing, {len(set(made) - expected)} unexpected; "
              f"consumer at the head {caught_up:.1f}s after the load stopped")
        assert skipped(notify_engine) == []
        assert len(made) == len(set(made))
        assert set(made) == expected
        if relay is not None:
            assert relay.running(), relay.log()[-2000:]
        caution.stop()  # its projector must not race the rebuild
        with store_of(caution_url) as app:
            assert_read_models_equal_the_store(app, head)
    finally:
        notify_engine.dispose()
        notify.kill()
        if relay is not None:
            relay.kill()
        caution.kill()
