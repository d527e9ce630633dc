"""The session side of the notification rules (sessions.py): facts, reminders and what is owed when they fall due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notification_service.rules import ReminderPlan
from services.notification_service.sessions import (
    CANCELLED,
    FILL_CHECK,
    PLACE_BOOKED,
    PLACE_RELEASED,
    PLANNED,
    REGISTER_OVERDUE,
    REGISTER_RECORDED,
    SESSION_RULES,
    SessionFacts,
    SessionPolicy,
    due_reminder_notice,
    is_session_type,
    react_to_session,
    session_event_name,
    session_facts_after,
)
from tests.notification_service.session_events import booked, cancelled, planned, registered, released

STARTS, ENDS = datetime(2026, 4, 14, 17, 0, tzinfo=UTC), datetime(2026, 4, 14, 19, 0, tzinfo=UTC)
POLICY = SessionPolicy()


def data(event: dict[str, Any]) -> dict[str, Any]:
    return event["data"]


def plan(capacity: int = 12) -> SessionFacts:
    facts = session_facts_after(PLANNED, "s-1", data(planned("s-1", 1, starts_at=STARTS.isoformat(),
                                                             ends_at=ENDS.isoformat(), capacity=capacity)), None)
    assert facts is not None
    return facts


def with_booked(n: int, capacity: int = 12) -> SessionFacts:
    facts: SessionFacts | None = plan(capacity)
    for i in range(n):
        facts = session_facts_after(PLACE_BOOKED, "s-1", data(booked("s-1", i + 2, i + 2, f"c-{i}")), facts)
    assert facts is not None
    return facts


@pytest.mark.parametrize("event_type,name", [
    ("uk.cara.workshop-session.workshop-session-planned.v1", PLANNED),
    ("uk.cara.workshop-session.session-place-booked.v1", PLACE_BOOKED),
    ("uk.cara.workshop-session.session-moved.v1", "session-moved"),  # named, though no rule knows it
    ("uk.cara.workshop-session.session-place-booked.v2", None),  # another contract
    ("uk.cara.caution.workshop-a-attended.v1", None),
])
def test_session_types_are_recognised_by_their_prefix(event_type: str, name: str | None) -> None:
    assert session_event_name(event_type) == name
    assert is_session_type(event_type) == event_type.startswith("uk.cara.workshop-session.")
    assert not is_session_type(None)


def test_every_published_session_event_is_decided() -> None:
    assert set(SESSION_RULES) == {PLANNED, PLACE_BOOKED, PLACE_RELEASED, REGISTER_RECORDED, CANCELLED}


def test_planning_opens_the_facts_and_bookings_count() -> None:
    facts = plan()
    assert (facts.force, facts.provider, facts.workshop, facts.venue_name) == ("CAMBS", "Safer Futures", "A",
                                                                               "Riverside Hub")
    assert (facts.starts_at, facts.ends_at, facts.capacity, facts.booked, facts.status) == (STARTS, ENDS, 12, 0,
                                                                                            "planned")
    three = with_booked(3)
    after = session_facts_after(PLACE_RELEASED, "s-1", data(released("s-1", 5, 5, "c-0")), three)
    assert three.booked == 3 and after is not None and after.booked == 2
    held = session_facts_after(REGISTER_RECORDED, "s-1", data(registered("s-1", 6, 6, [("c-1", "attended")])), after)
    assert held is not None and held.register_recorded and held.status == "held"
    gone = session_facts_after(CANCELLED, "s-1", data(cancelled("s-1", 6, 6, ["c-1", "c-2"])), after)
    assert gone is not None and gone.status == "cancelled" and gone.booked == 0


def test_an_event_for_a_session_never_seen_planned_has_no_facts() -> None:
    assert session_facts_after(PLACE_BOOKED, "s-2", data(booked("s-2", 2, 2, "c-1")), None) is None


@pytest.mark.parametrize("name,payload", [
    (PLANNED, {"force": "CAMBS"}),
    (PLANNED, {**data(planned("s-1", 1, starts_at="2026-04-14T17:00:00", ends_at="2026-04-14T19:00:00+00:00"))}),
    (PLACE_BOOKED, {"booking": {}}),
    (REGISTER_RECORDED, {"lines": "all attended"}),
])
def test_a_garbled_payload_is_refused_not_guessed(name: str, payload: dict[str, Any]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        session_facts_after(name, "s-1", payload, plan())


PLANNED_EARLY = {"recorded_at": (STARTS - timedelta(days=30)).isoformat()}


def test_planning_schedules_the_fill_check_and_the_register_reminder_by_the_policy() -> None:
    r = react_to_session(PLANNED, PLANNED_EARLY, plan(), POLICY)
    assert [(p.kind, p.due_at) for p in r.schedule] == [(FILL_CHECK, STARTS - timedelta(days=7)),
                                                        (REGISTER_OVERDUE, ENDS + timedelta(days=1))]
    other = react_to_session(PLANNED, PLANNED_EARLY, plan(),
                             SessionPolicy(fill_check_days=10, register_overdue_days=2))
    assert [p.due_at for p in other.schedule] == [STARTS - timedelta(days=10), ENDS + timedelta(days=2)]
    assert r.notices == [] and r.cancel == []


def test_a_session_planned_inside_the_fill_check_days_is_checked_half_way_to_its_start_not_at_once() -> None:
    """Checked at once it would be under-filled before the provider had booked anyone."""
    planned_at = STARTS - timedelta(days=2)
    r = react_to_session(PLANNED, {"recorded_at": planned_at.isoformat()}, plan(), POLICY)
    assert r.schedule[0] == ReminderPlan(FILL_CHECK, STARTS - timedelta(days=1))


def test_a_session_planned_exactly_at_the_check_is_checked_then() -> None:
    at_the_check = STARTS - timedelta(days=7)
    r = react_to_session(PLANNED, {"recorded_at": at_the_check.isoformat()}, plan(), POLICY)
    assert r.schedule[0].due_at == at_the_check


def test_a_register_cancels_the_register_reminder() -> None:
    r = react_to_session(REGISTER_RECORDED, {}, plan(), POLICY)
    assert r.cancel == [REGISTER_OVERDUE] and r.notices == []


def test_bookings_and_releases_tell_nobody() -> None:
    assert react_to_session(PLACE_BOOKED, {}, plan(), POLICY).notices == []
    assert react_to_session(PLACE_RELEASED, {}, plan(), POLICY).notices == []


def test_a_cancelled_session_tells_the_provider_without_its_free_text_and_cancels_its_reminders() -> None:
    payload = data(cancelled("s-1", 4, 4, ["c-1", "c-2"], detail="Facilitator Jane Doe is ill"))
    r = react_to_session(CANCELLED, payload, plan(), POLICY)
    assert [(n.recipient_role, n.kind) for n in r.notices] == [("provider", "session_cancelled")]
    notice = r.notices[0]
    assert "Riverside Hub" in notice.title and "14 April 2026, 18:00 BST" in notice.title
    assert "facilitator unavailable" in notice.body and "2 booking(s)" in notice.body
    assert "Jane Doe" not in notice.title + notice.body
    assert set(r.cancel) == {FILL_CHECK, REGISTER_OVERDUE}


@pytest.mark.parametrize("booked_count,capacity,kind", [
    (3, 12, "session_under_filled"), (7, 12, "session_under_filled"), (8, 12, None), (12, 12, None),
    (3, 2, "session_over_capacity"),
])
def test_the_fill_check_is_owed_only_under_the_minimum_or_over_capacity(booked_count: int, capacity: int,
                                                                         kind: str | None) -> None:
    notice = due_reminder_notice(FILL_CHECK, with_booked(booked_count, capacity), POLICY)
    assert (notice.kind if notice else None) == kind
    if notice:
        assert notice.recipient_role == "provider" and f"{booked_count} booked" in notice.body


def test_the_minimum_fill_is_the_policys() -> None:
    assert due_reminder_notice(FILL_CHECK, with_booked(5), SessionPolicy(minimum_fill=5)) is None
    assert due_reminder_notice(FILL_CHECK, with_booked(5), SessionPolicy(minimum_fill=6)) is not None


def test_the_register_reminder_is_owed_only_while_the_register_is_missing() -> None:
    notice = due_reminder_notice(REGISTER_OVERDUE, with_booked(9), POLICY)
    assert notice is not None and notice.kind == "register_overdue" and "Riverside Hub" in notice.title
    held = session_facts_after(REGISTER_RECORDED, "s-1", data(registered("s-1", 9, 9, [])), with_booked(9))
    assert held is not None and due_reminder_notice(REGISTER_OVERDUE, held, POLICY) is None


def test_a_cancelled_session_is_owed_no_reminder() -> None:
    gone = session_facts_after(CANCELLED, "s-1", data(cancelled("s-1", 3, 3, [])), with_booked(1))
    assert gone is not None
    assert due_reminder_notice(FILL_CHECK, gone, POLICY) is None
    assert due_reminder_notice(REGISTER_OVERDUE, gone, POLICY) is None
