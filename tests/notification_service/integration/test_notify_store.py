"""NotificationStore on SQLite and PostgreSQL: exactly-once pages, skipped events, atomic position, reminders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Row, event, func, insert, select

from services.notification_service.config import Settings
from services.notification_service.main import build_store, create_app
from services.notification_service.store import ConsumerConflict, NotificationStore
from services.notification_service.tables import (
    cautions,
    deliveries,
    notifications,
    reminders,
    skipped_events,
    subscriptions,
)
from tests.service_processes import cloud_event, issued_event
from tests.support import FakeClock, at, auth

RECIPIENTS = {"CAMBS": {"police": ["ops@cambs.example"], "victim_contact": ["vcs@cambs.example"]},
              "*": {"provider": ["referrals@provider.example"]}}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/notify.sqlite3"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def notify_settings(database_url: str) -> Settings:
    return Settings(environment="test", database_url=database_url, run_workers=False, email_recipients=RECIPIENTS)


@pytest.fixture
def store(notify_settings: Settings, clock: FakeClock) -> Iterator[NotificationStore]:
    built = build_store(notify_settings, clock)
    yield built
    built.engine.dispose()


def lifecycle(cid: str, start: int = 1, reference: str = "CC-TEST-1") -> list[dict[str, Any]]:
    """Issued, A booked and attended, victim contacted, B attended, completed: feed positions from `start`."""
    names = ["WorkshopScheduled", "WorkshopAAttended", "VictimContacted", "WorkshopBAttended", "Completed"]
    extra: dict[str, dict[str, Any]] = {"WorkshopScheduled": {"workshop": "A", "booking": {"venue": "Hub"}},
                                        "VictimContacted": {"stage": "after_workshop_a", "outcome": "contacted"}}
    events = [issued_event(cid, start, reference=reference)]
    for offset, name in enumerate(names, start=1):
        events.append(cloud_event(name, cid, offset + 1, start + offset, **extra.get(name, {})))
    return events


def contacted(cid: str, version: int, position: int) -> dict[str, Any]:
    """First contact made: the overdue-contact reminder a caution's issue arms is spent, leaving the others to test."""
    return cloud_event("FirstContactRecorded", cid, version, position, method="phone", outcome="contacted")


def count(store: NotificationStore, table: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def kinds(store: NotificationStore) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(notifications.c.recipient_role, notifications.c.kind)
                            .order_by(notifications.c.position, notifications.c.recipient_role)).all()
    return [(r.recipient_role, r.kind) for r in rows]


def reminder_states(store: NotificationStore) -> dict[str, str]:
    with store.engine.connect() as conn:
        return {r.kind: r.status for r in conn.execute(select(reminders.c.kind, reminders.c.status))}


EXPECTED = [("provider", "new_referral"), ("victim_contact", "victim_contact_due"),
            ("police", "caution_completed"), ("victim_contact", "completion_contact_due")]


def test_a_page_takes_effect_once_and_moves_the_position(store: NotificationStore) -> None:
    events = lifecycle(str(uuid.uuid4()))
    assert store.apply_page(events, head=6, next_after=6) == 6
    assert kinds(store) == EXPECTED
    state = store.consumer()
    assert (state["position"], state["head"]) == (6, 6)
    # police and victim contact have an email address in CAMBS; the provider one comes from the "*" entry
    assert count(store, deliveries) == 4


def _subscribe(store: NotificationStore, force: str, event_types: list[str], active: bool = True) -> str:
    subscription_id = str(uuid.uuid4())
    with store.engine.begin() as conn:
        conn.execute(insert(subscriptions).values(
            id=subscription_id, url=f"https://{force.lower()}.example/hook", force=force,
            event_types=json.dumps(event_types), secret="s" * 24, active=active, created_at=at(0)))
    return subscription_id


def test_a_page_reads_its_cautions_and_subscriptions_once_and_writes_each_table_once(
    store: NotificationStore,
) -> None:
    """Round trips per page, not per event: per event they left the consumer seconds behind on PostgreSQL."""
    left_over_national = _subscribe(store, "*", [])  # stored before "*" became a grant: it receives nothing
    everything = _subscribe(store, "CAMBS", [])
    referrals = _subscribe(store, "CAMBS", ["new_referral"])
    _subscribe(store, "CAMBS", [], active=False)
    _subscribe(store, "KENT", [])
    earlier = str(uuid.uuid4())
    store.apply_page(lifecycle(earlier)[:1], head=1, next_after=1)  # issued in an earlier page
    events = [cloud_event("WorkshopScheduled", earlier, 2, 2, workshop="A", booking={"venue": "Hub"})]
    for n in range(20):
        events += lifecycle(str(uuid.uuid4()), start=3 + 6 * n, reference=f"CC-PAGE-{n}")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert store.apply_page(events, head=events[-1]["position"]) == len(events)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)

    def count_of(prefix: str) -> int:
        return sum(s.startswith(prefix) for s in statements)

    assert count_of("select known_cautions.") == 1
    assert count_of("select subscriptions.") == 1
    assert count_of("insert into notifications") == 1
    assert count_of("insert into deliveries") == 1
    assert count(store, notifications) == 1 + 20 * 4  # the earlier page's referral, then four per lifecycle
    with store.engine.connect() as conn:
        webhooks = conn.execute(select(deliveries.c.target, func.count()).where(deliveries.c.channel == "webhook")
                                .group_by(deliveries.c.target)).all()
    # every notification to CAMBS's unfiltered subscription, the referrals to its filtered one, none to the rest
    assert {target: n for target, n in webhooks} == {everything: 1 + 20 * 4, referrals: 1 + 20}
    assert left_over_national not in {target for target, _ in webhooks}


def test_reapplying_the_same_page_creates_nothing(store: NotificationStore) -> None:
    events = lifecycle(str(uuid.uuid4()))
    store.apply_page(events, head=6, next_after=6)
    before = (count(store, notifications), count(store, deliveries), count(store, reminders))
    assert store.apply_page(events, head=6, next_after=6) == 0
    assert (count(store, notifications), count(store, deliveries), count(store, reminders)) == before
    assert store.position() == 6


def test_an_overlapping_page_applies_only_the_new_events(store: NotificationStore) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    events = lifecycle(first) + lifecycle(second, start=7, reference="CC-TEST-2")
    assert store.apply_page(events[:4], head=12, next_after=4) == 4
    assert store.apply_page(events[2:9], head=12, next_after=9) == 5  # positions 3 and 4 were already applied
    assert store.apply_page(events[6:], head=12, next_after=12) == 3
    assert kinds(store) == EXPECTED + EXPECTED
    assert count(store, notifications) == 8
    assert store.position() == 12


def test_malformed_and_unknown_events_are_skipped_recorded_and_passed(store: NotificationStore, clock: FakeClock,
                                                                       notify_settings: Settings) -> None:
    cid = str(uuid.uuid4())
    good = lifecycle(cid)
    malformed = {"specversion": "1.0", "id": "broken-1", "type": "uk.cara.caution.workshop-a-attended.v1",
                 "position": 2}
    unknown = cloud_event("WorkshopAAttended", cid, 2, 3) | {"type": "uk.cara.caution.something-new.v1"}
    bad_payload = issued_event(str(uuid.uuid4()), 4)
    del bad_payload["data"]["police_reference"]
    orphan = cloud_event("WorkshopAAttended", str(uuid.uuid4()), 2, 5)
    page = [good[0], malformed, unknown, bad_payload, orphan, {**good[2], "position": 6}]
    assert store.apply_page(page, head=6, next_after=6) == 6
    assert store.position() == 6
    assert kinds(store) == [("provider", "new_referral"), ("victim_contact", "victim_contact_due")]
    with TestClient(create_app(notify_settings, clock)) as client:
        status = client.get("/v1/consumer", headers=auth("admin")).json()
    assert status["position"] == 6 and status["lag"] == 0 and status["last_error"] is None
    by_position = {s["position"]: s for s in status["skipped"]}
    assert set(by_position) == {2, 3, 4, 5}
    assert by_position[2]["event_id"] == "broken-1" and by_position[2]["reason"].startswith("malformed event")
    assert by_position[3]["event_type"] == "uk.cara.caution.something-new.v1"
    assert "unknown event type" in by_position[3]["reason"]
    assert "police_reference" in by_position[4]["reason"]
    assert "never saw" in by_position[5]["reason"]
    with store.engine.connect() as conn:  # the caution with the unreadable issue was not half-remembered
        remembered = conn.execute(select(cautions.c.caution_id).where(cautions.c.caution_id == bad_payload["subject"]))
        assert remembered.first() is None
    assert count(store, skipped_events) == 4


def test_a_failing_transaction_leaves_the_position_unmoved(store: NotificationStore,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events = lifecycle(str(uuid.uuid4()))
    real_notify = store._notify
    calls = {"n": 0}

    def failing_on_second(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real_notify(*args, **kwargs)

    monkeypatch.setattr(store, "_notify", failing_on_second)
    with pytest.raises(RuntimeError, match="disk full"):
        store.apply_page(events, head=6, next_after=6)
    assert store.position() == 0
    assert [count(store, t) for t in (notifications, deliveries, reminders, cautions)] == [0, 0, 0, 0]
    monkeypatch.undo()
    assert store.apply_page(events, head=6, next_after=6) == 6  # the retry applies everything, once
    assert kinds(store) == EXPECTED


def test_a_racing_consumer_is_refused_instead_of_doubling(store: NotificationStore, notify_settings: Settings,
                                                          clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    other = build_store(notify_settings, clock)  # a second consumer on the same database
    cid = str(uuid.uuid4())
    events = lifecycle(cid)
    store.apply_page(events[:1], head=6, next_after=1)
    real_apply = store._apply_one

    def overtaken(*args: Any) -> int:  # the other consumer commits the same page while this one is mid-page
        if other.position() == 1:
            other.apply_page(events[1:3], head=6, next_after=3)
        return real_apply(*args)

    monkeypatch.setattr(store, "_apply_one", overtaken)
    try:
        with pytest.raises(ConsumerConflict):
            store.apply_page(events[1:2], head=6, next_after=2)  # booking A: no notices, so only the position clashes
        assert store.position() == 3
        assert kinds(store) == EXPECTED[:2]
    finally:
        other.engine.dispose()


def test_reminders_fire_once_at_their_time(store: NotificationStore, clock: FakeClock) -> None:
    cid = str(uuid.uuid4())
    events = lifecycle(cid)
    store.apply_page(events[:3] + [contacted(cid, 4, 4)], head=4, next_after=4)  # issued, A booked and attended
    assert reminder_states(store) == {"caution_period_ending": "scheduled", "workshop_b_window_closing": "scheduled",
                                      "first_contact_overdue": "cancelled"}
    # the period ends on 2026-06-22: the B window reminder is due 21 days before at 09:00, the period one 14 days before
    clock.now = at(91, 8) + timedelta(minutes=59)  # 2026-06-01 08:59
    assert store.fire_due_reminders() == 0
    clock.now = at(91, 9)
    assert store.fire_due_reminders() == 1
    assert store.fire_due_reminders() == 0
    assert reminder_states(store) == {"caution_period_ending": "scheduled", "workshop_b_window_closing": "fired",
                                      "first_contact_overdue": "cancelled"}
    with store.engine.connect() as conn:
        query = select(notifications).where(notifications.c.kind == "workshop_b_window_closing")
        fired = conn.execute(query).mappings().one()
    assert fired["recipient_role"] == "provider" and "CC-TEST-1" in fired["title"] and "2026-06-22" in fired["body"]
    assert fired["event_id"] is None and fired["caution_id"] == cid
    clock.now = at(98, 9)
    assert store.fire_due_reminders() == 1
    assert store.fire_due_reminders() == 0
    assert reminder_states(store) == {"caution_period_ending": "fired", "workshop_b_window_closing": "fired",
                                      "first_contact_overdue": "cancelled"}
    assert [k for _, k in kinds(store)].count("caution_period_ending") == 1


def test_completion_cancels_reminders_before_they_fire(store: NotificationStore, clock: FakeClock) -> None:
    store.apply_page(lifecycle(str(uuid.uuid4())), head=6, next_after=6)
    assert reminder_states(store) == {"caution_period_ending": "cancelled", "workshop_b_window_closing": "cancelled",
                                      "first_contact_overdue": "cancelled"}  # never contacted, but closed
    clock.now = at(200)
    assert store.fire_due_reminders() == 0
    assert "caution_period_ending" not in [k for _, k in kinds(store)]


def test_workshop_b_attended_cancels_only_the_window_reminder(store: NotificationStore, clock: FakeClock) -> None:
    cid = str(uuid.uuid4())
    store.apply_page(lifecycle(cid)[:5] + [contacted(cid, 6, 6)], head=6, next_after=6)  # up to B attended
    assert reminder_states(store) == {"caution_period_ending": "scheduled", "workshop_b_window_closing": "cancelled",
                                      "first_contact_overdue": "cancelled"}
    clock.now = at(200)
    assert store.fire_due_reminders() == 1


def test_varied_conditions_move_the_period_reminder(store: NotificationStore, clock: FakeClock) -> None:
    cid = str(uuid.uuid4())
    store.apply_page([issued_event(cid, 1), cloud_event("ConditionsVaried", cid, 2, 2, period_ends_on="2026-07-20",
                                                          previous_period_ends_on="2026-06-22", reason="illness",
                                                          authorised_by="INSP-1"),
                      contacted(cid, 3, 3)], head=3, next_after=3)
    clock.now = at(98, 9)  # the old due time (2026-06-08 09:00) has passed, the new one (2026-07-06) has not
    assert store.fire_due_reminders() == 0
    clock.now = at(126, 9)
    assert store.fire_due_reminders() == 1
    with store.engine.connect() as conn:
        query = select(notifications.c.body).where(notifications.c.kind == "caution_period_ending")
        body = conn.execute(query).scalar_one()
    assert "2026-07-20" in body


def test_a_reminder_rearmed_for_the_same_time_is_not_sent_twice_and_does_not_block_others(
        store: NotificationStore, clock: FakeClock) -> None:
    cid, other = str(uuid.uuid4()), str(uuid.uuid4())
    store.apply_page([issued_event(cid, 1), cloud_event("WorkshopAAttended", cid, 2, 2), contacted(cid, 3, 3)],
                     head=3, next_after=3)
    clock.now = at(92)
    assert store.fire_due_reminders() == 1  # the workshop B window reminder
    # B missed, excuse accepted, so A is attended again: the same reminder is armed again for the same moment
    store.apply_page([
        cloud_event("WorkshopMissed", cid, 4, 4, workshop="B", reason="did_not_attend", note="bus"),
        cloud_event("ExcuseDecided", cid, 5, 5, workshop="B", accepted=True, reason="hospital"),
        cloud_event("WorkshopAAttended", cid, 6, 6),
        issued_event(other, 7, reference="CC-OTHER", period_ends_on="2026-06-10"),
        contacted(other, 2, 8),
    ], head=8, next_after=8)
    clock.now = at(100)
    assert store.fire_due_reminders() == 3  # the re-armed one (no second copy) and both of the other caution's
    assert [k for _, k in kinds(store)].count("workshop_b_window_closing") == 1
    assert [k for _, k in kinds(store)].count("caution_period_ending") == 2


def test_varied_conditions_move_a_scheduled_workshop_b_reminder(tmp_path: Path) -> None:
    """The B-window reminder follows a new period end while it is still pending."""
    from sqlalchemy import select as _select

    from services.notification_service.config import Settings as _Settings
    from services.notification_service.main import build_store as _build
    from services.notification_service.tables import reminders as _reminders
    from tests.service_processes import cloud_event, issued_event
    from tests.support import FakeClock

    clock = FakeClock()
    store = _build(_Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3"), clock)
    caution_id = "5d7c2f7e-0000-4000-8000-000000000001"
    first = issued_event(caution_id, 1)
    end = first["data"]["period_ends_on"]
    store.apply_page([first, cloud_event("WorkshopAAttended", caution_id, 2, 2)], 2)

    def b_reminder() -> Row[Any]:
        with store.engine.connect() as conn:
            return conn.execute(_select(_reminders.c.due_at, _reminders.c.status)
                                .where(_reminders.c.kind == "workshop_b_window_closing")).one()

    before = b_reminder()
    store.apply_page([cloud_event("ConditionsVaried", caution_id, 3, 3, period_ends_on="2026-07-20",
                                  previous_period_ends_on=end, reason="illness", authorised_by="INSP-1")], 3)
    after = b_reminder()
    assert after.status == "scheduled" and str(after.due_at).startswith("2026-06-29") and after.due_at != before.due_at
