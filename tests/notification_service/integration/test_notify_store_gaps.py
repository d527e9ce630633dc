"""The store refuses to move past a missing position (issue 15), whatever the caller hands it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.notification_service.config import Settings
from services.notification_service.main import build_store, create_app
from services.notification_service.store import NotificationStore
from services.notification_service.tables import notifications
from tests.service_processes import cloud_event, issued_event
from tests.support import FakeClock, auth


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Any) -> Settings:
    url = f"sqlite:///{tmp_path}/n.sqlite3" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_schema_url")
    return Settings(environment="test", database_url=url, run_workers=False)


@pytest.fixture
def store(settings: Settings, clock: FakeClock) -> Iterator[NotificationStore]:
    built = build_store(settings, clock)
    yield built
    built.engine.dispose()


def issued(*positions: int) -> list[dict[str, Any]]:
    return [issued_event(str(uuid.UUID(int=p)), p, reference=f"CC-{p}") for p in positions]


def notified_positions(store: NotificationStore) -> list[int]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(notifications.c.position).distinct().order_by(notifications.c.position))
                    .scalars())


def test_events_past_a_missing_position_are_held_back_not_applied(store: NotificationStore) -> None:
    progress = store.apply_contiguous(issued(1, 2, 4, 5), head=5, filled_by="redelivery")
    assert (progress.applied, progress.position, progress.held_at) == (2, 2, 4)
    assert notified_positions(store) == [1, 2]
    assert store.consumer()["skipped_total"] == 0

    progress = store.apply_contiguous(issued(3, 4, 5), head=5, filled_by="redelivery")
    assert (progress.applied, progress.position, progress.held_at) == (3, 5, None)
    assert notified_positions(store) == [1, 2, 3, 4, 5]


def test_a_hole_that_what_the_events_follow_accounts_for_holds_nothing_back(store: NotificationStore) -> None:
    # PostgreSQL: 3 was taken by a transaction that rolled back; the relay says what each event follows.
    progress = store.apply_contiguous(issued(1, 2, 4, 5, 7), head=7, filled_by="redelivery",
                                      follows={1: 0, 2: 1, 4: 2, 5: 4, 7: 6})
    assert (progress.applied, progress.position, progress.held_at) == (4, 5, 7), "7 follows 6, not seen here"
    progress = store.apply_contiguous(issued(7), head=7, filled_by="redelivery", follows={7: 5})
    assert (progress.applied, progress.position, progress.held_at) == (1, 7, None)
    assert notified_positions(store) == [1, 2, 4, 5, 7]


def test_a_batch_out_of_order_and_with_repeats_is_applied_in_position_order_once(store: NotificationStore) -> None:
    cid = str(uuid.UUID(int=7))
    attended = cloud_event("WorkshopAAttended", cid, 2, 2)  # needs the issue at 1 applied first
    progress = store.apply_contiguous([attended, issued_event(cid, 1), attended], head=2, filled_by="redelivery")
    assert (progress.applied, progress.position, progress.held_at) == (2, 2, None)
    assert store.consumer()["skipped_total"] == 0


def test_a_new_database_behind_a_stream_that_starts_later_applies_nothing(store: NotificationStore) -> None:
    progress = store.apply_contiguous(issued(101, 102), head=102, filled_by="redelivery")
    assert (progress.applied, progress.position, progress.held_at) == (0, 0, 101)
    assert notified_positions(store) == []


def test_a_gap_is_counted_once_while_open_and_closed_by_what_fills_it(store: NotificationStore) -> None:
    store.apply_contiguous(issued(1), head=1, filled_by="redelivery")
    store.record_gap(1, 5)
    store.record_gap(1, 5)  # the same hole, seen by the next fetch
    state = store.consumer()
    assert (state["gaps"], state["gap_after"], state["gap_before"], state["gap_filled_at"]) == (1, 1, 5, None)

    store.apply_contiguous(issued(2, 3), head=3, filled_by="feed")  # not yet past the hole
    assert store.consumer()["gap_filled_at"] is None
    store.apply_contiguous(issued(4, 5), head=5, filled_by="feed")
    state = store.consumer()
    assert (state["gaps"], state["gap_filled_by"]) == (1, "feed") and state["gap_filled_at"] is not None

    store.record_gap(5, 9)  # a new hole counts again
    assert store.consumer()["gaps"] == 2


def test_the_http_feeds_pages_are_applied_as_before(store: NotificationStore) -> None:
    """The feed vouches for its pages with next_after (events of no interest may lie between)."""
    assert store.apply_page(issued(1, 2), head=10, next_after=4) == 2
    assert store.position() == 4


def test_an_open_gap_and_skipped_events_are_errors_on_the_status_and_in_metrics(
    store: NotificationStore, settings: Settings, clock: FakeClock
) -> None:
    store.apply_contiguous(issued(1), head=1, filled_by="redelivery")
    with TestClient(create_app(settings, clock)) as client:
        status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert (status["status"], status["errors"], status["gaps"], status["last_gap"]) == ("ok", [], 0, None)

        store.record_gap(1, 4)
        status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert status["status"] == "error" and status["errors"] == [
            "events 2 to 3 have not arrived; the events after them wait until they do"]
        assert status["last_gap"] | {"found_at": None} == {"after": 1, "before": 4, "missing": 2, "found_at": None,
                                                           "filled_at": None, "filled_by": None}
        metrics = client.get("/metrics").text
        assert "cara_notify_consumer_gaps_total 1.0" in metrics and "cara_notify_consumer_gap_missing 2.0" in metrics

        orphan = cloud_event("WorkshopAAttended", str(uuid.UUID(int=99)), 2, 2)  # its issue was never seen
        store.apply_contiguous([orphan, *issued(3, 4)], head=4, filled_by="redelivery")
        status = client.get("/v1/consumer", headers=auth("admin")).json()
        assert status["last_gap"]["filled_by"] == "redelivery" and status["skipped_total"] == 1
        assert status["status"] == "error" and status["errors"] == [
            "1 skipped event(s) made no notification; see skipped"]
        metrics = client.get("/metrics").text
        assert "cara_notify_consumer_gap_missing 0.0" in metrics and "cara_notify_skipped_events 1.0" in metrics

