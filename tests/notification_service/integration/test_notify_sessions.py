"""Workshop-session events through the consumer: a feed page of CloudEvents read over HTTP by FeedConsumer, the
provider's inbox, and the session reminders as rows that fire once, across a restart, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.notification_service.config import Settings
from services.notification_service.consumer import FeedConsumer
from services.notification_service.main import build_store, create_app
from services.notification_service.store import NotificationStore
from services.notification_service.tables import notifications, reminders, session_reminders
from tests.json_server import Answer, Asked, JsonServer
from tests.notification_service.session_events import (
    booked,
    cancelled,
    planned,
    registered,
    released,
    session_event,
)
from tests.service_processes import cloud_event, issued_event
from tests.support import FakeClock, at, auth, iso


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def notify_settings(request: pytest.FixtureRequest, tmp_path: Any) -> Settings:
    url = (f"sqlite:///{tmp_path}/notify.sqlite3" if request.param == "sqlite"
           else str(request.getfixturevalue("postgres_schema_url")))
    return Settings(environment="test", database_url=url, run_workers=False, feed_wait_seconds=0.2)


@pytest.fixture
def store(notify_settings: Settings, clock: FakeClock) -> Iterator[NotificationStore]:
    built = build_store(notify_settings, clock)
    yield built
    built.engine.dispose()


class Feed:
    """The caution service's /v1/events as a real HTTP server answering from a list of CloudEvents dicts."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.server = JsonServer(self.answer)

    def answer(self, asked: Asked) -> Answer:
        query = parse_qs(urlparse(asked.path).query)
        after, limit = int(query["after"][0]), int(query["limit"][0])
        items = [e for e in self.events if e["position"] > after][:limit]
        return 200, {"items": items, "next_after": items[-1]["position"] if items else after,
                     "head": self.events[-1]["position"]}

    def read_into(self, store: NotificationStore) -> int:
        return FeedConsumer(store, self.server.url(""), lambda: "a-token", 0.2).poll_once(wait=0)


@pytest.fixture
def feed() -> Iterator[Feed]:
    served = Feed([])
    yield served
    served.server.stop()


def inbox(settings: Settings, clock: FakeClock, role: str, force: str = "CAMBS", **query: str) -> list[dict[str, Any]]:
    with TestClient(create_app(settings, clock)) as client:
        response = client.get("/v1/notifications", params=query, headers=auth(role, force))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def session_reminder_states(store: NotificationStore) -> dict[tuple[str, str], str]:
    r = session_reminders.c
    with store.engine.connect() as conn:
        return {(row.session_id, row.kind): row.status for row in conn.execute(select(r.session_id, r.kind, r.status))}


def test_session_events_reach_the_providers_inbox_and_their_reminders_fire_once(
        feed: Feed, store: NotificationStore, notify_settings: Settings, clock: FakeClock) -> None:
    thin, full, dropped, norfolk, unplanned = (str(uuid.uuid4()) for _ in range(5))
    # `thin` starts 22 March 17:00 with two booked; `full` a day later with eight; `dropped` is cancelled
    feed.events = [
        planned(thin, 1, starts_at=iso(at(20, 17)), ends_at=iso(at(20, 19))),
        booked(thin, 2, 2, "c-1"), booked(thin, 3, 3, "c-2"), booked(thin, 4, 4, "c-3"),
        released(thin, 5, 5, "c-3"),
        planned(full, 6, starts_at=iso(at(21, 17)), ends_at=iso(at(21, 19)), workshop="B"),
        *[booked(full, v, v + 5, f"c-full-{v}") for v in range(2, 10)],  # positions 7 to 14
        planned(dropped, 15, starts_at=iso(at(25, 17)), ends_at=iso(at(25, 19)), venue_name="Old Library"),
        booked(dropped, 2, 16, "c-9"),
        cancelled(dropped, 3, 17, ["c-9"], detail="Facilitator Jane Doe is ill"),
        session_event("session-moved", thin, 6, 18, to="elsewhere"),  # a newer service's event: passed over
        booked(unplanned, 2, 19, "c-5"),  # its planning never reached this consumer
        planned(norfolk, 20, starts_at=iso(at(20, 17)), ends_at=iso(at(20, 19)), force="NORFOLK"),
    ]
    assert feed.read_into(store) == 20
    assert store.position() == 20

    cancelled_notice, = inbox(notify_settings, clock, "provider")
    assert cancelled_notice["kind"] == "session_cancelled" and cancelled_notice["session_id"] == dropped
    assert cancelled_notice["caution_id"] is None and "Old Library" in cancelled_notice["title"]
    assert "Jane Doe" not in cancelled_notice["title"] + cancelled_notice["body"]
    assert cancelled_notice["event_type"] == "uk.cara.workshop-session.workshop-session-cancelled.v1"
    skipped = {s["position"]: s["reason"] for s in store.consumer()["skipped"]}
    assert "unknown event type" in skipped[18] and "never saw" in skipped[19] and set(skipped) == {18, 19}
    assert session_reminder_states(store) == {
        (thin, "session_fill_check"): "scheduled", (thin, "session_register_overdue"): "scheduled",
        (full, "session_fill_check"): "scheduled", (full, "session_register_overdue"): "scheduled",
        (dropped, "session_fill_check"): "cancelled", (dropped, "session_register_overdue"): "cancelled",
        (norfolk, "session_fill_check"): "scheduled", (norfolk, "session_register_overdue"): "scheduled",
    }

    clock.now = at(13, 16)  # before a week ahead of `thin`
    assert store.fire_due_reminders() == 0
    clock.now = at(13, 17)  # a week before `thin` (and `norfolk`): both under-filled
    assert store.fire_due_reminders() == 2
    clock.now = at(14, 17)  # a week before `full`: eight booked is enough, the check is spent and says nothing
    assert store.fire_due_reminders() == 1
    under, _ = inbox(notify_settings, clock, "provider")
    assert under["kind"] == "session_under_filled" and under["session_id"] == thin and "2 booked" in under["body"]
    assert [n["kind"] for n in inbox(notify_settings, clock, "provider", "NORFOLK")] == ["session_under_filled"]

    feed.events.append(registered(full, 10, 21, [(f"c-full-{v}", "attended") for v in range(2, 10)]))
    assert feed.read_into(store) == 1
    assert session_reminder_states(store)[(full, "session_register_overdue")] == "cancelled"
    store.engine.dispose()

    restarted = build_store(notify_settings, clock)  # the reminders are rows: a restart neither loses nor doubles
    try:
        clock.now = at(21, 19)  # a day after `thin` (and `norfolk`) ended, neither register recorded
        assert restarted.fire_due_reminders() == 2
        assert restarted.fire_due_reminders() == 0
        clock.now = at(40)
        assert restarted.fire_due_reminders() == 0
    finally:
        restarted.engine.dispose()
    kinds = [n["kind"] for n in inbox(notify_settings, clock, "provider")]
    assert sorted(kinds) == ["register_overdue", "session_cancelled", "session_under_filled"]
    about_thin = inbox(notify_settings, clock, "provider", session_id=thin)
    assert sorted(n["kind"] for n in about_thin) == ["register_overdue", "session_under_filled"]
    assert inbox(notify_settings, clock, "police") == []


def test_a_cancelled_sessions_cautions_each_need_a_new_booking_and_first_contact_is_followed(
        feed: Feed, store: NotificationStore, notify_settings: Settings, clock: FakeClock) -> None:
    """The caution side of issue 18, through the same consumer; needs the catalogue's FirstContactRecorded and
    WorkshopBookingCancelled entries."""
    declined, silent, session = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    feed.events = [
        issued_event(declined, 1, reference="CC-DECLINED"),
        issued_event(silent, 2, reference="CC-SILENT"),
        planned(session, 3, starts_at=iso(at(20, 17)), ends_at=iso(at(20, 19))),
        booked(session, 2, 4, declined),
        cloud_event("FirstContactRecorded", declined, 2, 5, method="phone", outcome="declined_to_engage"),
        cloud_event("FirstContactRecorded", silent, 2, 6, method="letter", outcome="no_response"),
        cancelled(session, 3, 7, [declined]),
        cloud_event("WorkshopBookingCancelled", declined, 3, 8, workshop="A", session_id=session,
                    reason="facilitator_unavailable"),
    ]
    assert feed.read_into(store) == 8
    provider = {n["kind"]: n for n in inbox(notify_settings, clock, "provider")}
    assert set(provider) == {"new_referral", "session_cancelled", "booking_needed"}
    rebook = provider["booking_needed"]
    assert "CC-DECLINED" in rebook["title"] and "by 2026-05-25" in rebook["body"]  # A: 22 June less the 28-day gap
    assert rebook["caution_id"] == declined and rebook["session_id"] is None
    police = inbox(notify_settings, clock, "police")
    assert [(n["kind"], n["caution_id"]) for n in police] == [("declined_to_engage", declined)]
    r = reminders.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(r.caution_id, r.status).where(r.kind == "first_contact_overdue"))
        overdue = {row.caution_id: row.status for row in rows}
    assert overdue == {declined: "cancelled", silent: "scheduled"}
    clock.now = at(15, 9)  # the morning after the 14th day: only the caution never reached is reminded of
    assert store.fire_due_reminders() == 1
    with store.engine.connect() as conn:
        fired = conn.execute(select(notifications.c.caution_id, notifications.c.recipient_role)
                             .where(notifications.c.kind == "first_contact_overdue")).all()
    assert [tuple(row) for row in fired] == [(silent, "provider")]
