"""Retention in the notification service, on SQLite and PostgreSQL: with the clock moved forward, finished
deliveries with their attempts, and notifications with what remains of theirs, are erased exactly once under
their force's periods; a pending delivery and its notification are kept; a run cut short is finished by the
next; the leading replica runs it and /metrics reports it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.utils import floatToGoString
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from services.notification_service.config import Settings
from services.notification_service.main import build_store, create_app
from services.notification_service.retention import ATTEMPTS, DELIVERIES, NOTIFICATIONS, TABLES, build_retention
from services.notification_service.tables import attempts, deliveries, notifications
from shared.retention import RetentionConfig
from shared.retention_job import Run
from tests.service_processes import free_port, wait_until
from tests.support import FakeClock

KENT_KEEPS_A_MONTH = RetentionConfig.parse('{"forces": {"KENT": {"notifications_days": 30}}}')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/notify.sqlite3"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def engine(database_url: str, clock: FakeClock) -> Iterator[Engine]:
    store = build_store(Settings(environment="test", database_url=database_url, run_workers=False), clock)
    yield store.engine
    store.engine.dispose()


def notified(engine: Engine, now: datetime, force: str, days_ago: int, delivery: str | None = "delivered",
             attempts_made: int = 2) -> str:
    """A notification `days_ago` old with, unless None, one delivery in that state, attempted when it was made."""
    made = now - timedelta(days=days_ago)
    nid = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(insert(notifications).values(
            id=nid, caution_id=str(uuid.uuid4()), force=force, recipient_role="police", kind="breach_decision",
            title="t", body="b", created_at=made))
        if delivery is not None:
            did = str(uuid.uuid4())
            connection.execute(insert(deliveries).values(
                id=did, notification_id=nid, channel="webhook", target="s-1", status=delivery,
                attempts=attempts_made, next_attempt_at=made))
            for n in range(1, attempts_made + 1):
                connection.execute(insert(attempts).values(delivery_id=did, attempt=n, at=made, outcome="failed"))
    return nid


def held(engine: Engine) -> tuple[set[str], int, int]:
    """Notification ids, how many deliveries, how many attempts."""
    with engine.connect() as connection:
        ids = set(connection.execute(select(notifications.c.id)).scalars())
        count = len(connection.execute(select(deliveries.c.id)).all())
        tried = len(connection.execute(select(attempts.c.delivery_id)).all())
    return ids, count, tried


def totals(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {item: n for item, n in connection.execute(select(TABLES.totals.c.item, TABLES.totals.c.deleted))}


def test_with_the_clock_moved_forward_each_expired_item_is_erased_once(engine: Engine, clock: FakeClock) -> None:
    now = clock.now
    old = notified(engine, now, "CAMBS", 400)  # all of it goes
    recent = notified(engine, now, "CAMBS", 100)  # its delivery (over 90 days) goes, not the notification
    waiting = notified(engine, now, "CAMBS", 400, delivery="pending")  # the dispatcher may be sending it
    kent = notified(engine, now, "KENT", 40, delivery=None)  # KENT keeps notifications 30 days
    fresh = notified(engine, now, "CAMBS", 10)

    first = build_retention(engine, KENT_KEEPS_A_MONTH, clock).run_if_due()

    assert first == {NOTIFICATIONS: 2, DELIVERIES: 2, ATTEMPTS: 4}
    assert held(engine) == ({recent, waiting, fresh}, 2, 4)
    assert build_retention(engine, KENT_KEEPS_A_MONTH, clock).run_if_due() is None
    assert build_retention(engine, KENT_KEEPS_A_MONTH, clock).run() == {}
    assert old not in held(engine)[0] and kent not in held(engine)[0]

    clock.advance(days=300)  # `recent` is 400 days old, `fresh` 310 (its delivery goes)
    assert build_retention(engine, KENT_KEEPS_A_MONTH, clock).run_if_due() == {NOTIFICATIONS: 1, DELIVERIES: 1,
                                                                                ATTEMPTS: 2}
    assert held(engine) == ({waiting, fresh}, 1, 2)
    assert totals(engine) == {NOTIFICATIONS: 3, DELIVERIES: 3, ATTEMPTS: 6}


def test_a_run_cut_short_is_finished_by_the_next_without_counting_twice(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(5):
        notified(engine, clock.now, "CAMBS", 400)
    record, batches = Run.record, []

    def crash_in_the_second_batch_of_notifications(self: Run, connection: Connection, item: str, scope: str,
                                                   cutoff: datetime, deleted: int, detail: str | None = None) -> None:
        if item == NOTIFICATIONS and deleted:
            batches.append(deleted)
            if len(batches) == 2:  # what this transaction deleted is rolled back with it
                raise RuntimeError("killed mid-run")
        record(self, connection, item, scope, cutoff, deleted, detail)

    monkeypatch.setattr(Run, "record", crash_in_the_second_batch_of_notifications)
    with pytest.raises(RuntimeError):
        build_retention(engine, RetentionConfig(), clock, batch=2).run_if_due()
    # the deliveries step finished (5 and their attempts), then one batch of two notifications
    assert totals(engine) == {DELIVERIES: 5, ATTEMPTS: 10, NOTIFICATIONS: 2}
    assert len(held(engine)[0]) == 3

    monkeypatch.setattr(Run, "record", record)
    assert build_retention(engine, RetentionConfig(), clock, batch=2).run_if_due() == {NOTIFICATIONS: 3}
    assert held(engine) == (set(), 0, 0)
    assert totals(engine) == {DELIVERIES: 5, ATTEMPTS: 10, NOTIFICATIONS: 5}


def test_the_leading_replica_runs_it_and_metrics_report_it(database_url: str, clock: FakeClock) -> None:
    settings = Settings(environment="test", database_url=database_url, run_workers=True, leader_retry_seconds=0.1,
                        caution_feed_url=f"http://127.0.0.1:{free_port()}", feed_wait_seconds=0.2)  # no feed
    app = create_app(settings, clock)
    notified(app.state.store.engine, clock.now, "CAMBS", 400)
    with TestClient(app) as client:
        wait_until(lambda: "cara_retention_last_run_timestamp_seconds 0.0" not in client.get("/metrics").text, 20,
                   what="the leader's retention run")
        scraped = client.get("/metrics").text
    for item, n in ((NOTIFICATIONS, 1), (DELIVERIES, 1), (ATTEMPTS, 2)):
        assert f'cara_retention_deleted_total{{item="{item}"}} {n}.0' in scraped
    assert f"cara_retention_last_run_timestamp_seconds {floatToGoString(clock.now.timestamp())}" in scraped
