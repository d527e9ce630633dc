"""Applies feed events to the notification database: each event's effects and the new position commit together.

Notification and delivery ids are derived from the event id, so even a replayed
event could never create a second copy; the position compare-and-set makes a
racing consumer fail instead of doubling anything.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from shared.events import NAMES_BY_TYPE, CloudEvent

from .rules import REMINDER_TEXT, CautionFacts, Notice, ReminderPolicy, react
from .tables import cautions, consumer_state, deliveries, metadata, notifications, reminders, skipped_events, subscriptions

NOTIFY_NS = uuid.UUID("3f0f3c1e-8f4e-4b7b-9a0e-6c2b8f1d2a77")
FEED = "caution-feed"


class ConsumerConflict(Exception):
    """Another consumer moved the position first; this batch was rolled back."""


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NOTIFY_NS, "/".join(parts)))


class NotificationStore:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], policy: ReminderPolicy,
        email_recipients: dict[str, dict[str, list[str]]],
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy
        self.email_recipients = email_recipients
        metadata.create_all(engine)
        with engine.begin() as conn:
            if conn.execute(select(consumer_state.c.name).where(consumer_state.c.name == FEED)).first() is None:
                conn.execute(insert(consumer_state).values(name=FEED, position=0, head=0))

    # ----- consumer position -----------------------------------------------------------

    def consumer(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(consumer_state).where(consumer_state.c.name == FEED)).mappings().one()
            skipped = conn.execute(select(skipped_events).order_by(skipped_events.c.id.desc()).limit(20)).mappings().all()
        return {**dict(row), "skipped": [{k: v for k, v in s.items() if k != "id"} for s in skipped]}

    def position(self) -> int:
        return self.consumer()["position"]

    def record_error(self, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(consumer_state).where(consumer_state.c.name == FEED).values(
                last_error=error, last_error_at=utc(self.clock()) if error else None))

    # ----- applying events ---------------------------------------------------------------

    def apply_page(self, events: list[dict[str, Any]], head: int, next_after: int | None = None) -> int:
        """Apply events in one transaction; returns how many were new."""
        applied = 0
        with self.engine.begin() as conn:
            old = conn.execute(select(consumer_state.c.position).where(consumer_state.c.name == FEED)).scalar_one()
            position = old
            for raw in events:
                at = raw.get("position") if isinstance(raw, dict) else None
                if isinstance(at, int) and at <= position:
                    continue  # already applied: at-least-once transports may repeat
                position = self._apply_one(conn, raw, position)
                applied += 1
            if next_after is not None:
                position = max(position, next_after)
            moved = conn.execute(
                update(consumer_state)
                .where(consumer_state.c.name == FEED, consumer_state.c.position == old)
                .values(position=position, head=max(head, position), updated_at=utc(self.clock()))
            )
            if moved.rowcount != 1:
                raise ConsumerConflict("the feed position moved under this consumer")
        return applied

    def _apply_one(self, conn: Connection, raw: Any, position: int) -> int:
        try:
            event = CloudEvent.model_validate(raw)
        except ValidationError as e:
            at = raw.get("position") if isinstance(raw, dict) and isinstance(raw.get("position"), int) else None
            first = e.errors()[0] if e.errors() else {}
            where = ".".join(str(p) for p in first.get("loc", ()))
            self._skip(conn, at, raw, f"malformed event: {where} {first.get('msg', e)}".strip())
            return max(position, at or position)
        if event.type not in NAMES_BY_TYPE:
            self._skip(conn, event.position, raw, f"unknown event type {event.type}")
            return event.position
        data = event.data.model_dump(mode="json")
        try:  # read and react before writing, so a payload the rules cannot read is skipped, never a poison pill
            facts = self._facts_after(conn, event, data)
            reaction = react(event.type, data, facts, self.policy) if facts is not None else None
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            self._skip(conn, event.position, raw, f"malformed {event.type} payload: {type(e).__name__} {e}")
            return event.position
        if facts is None or reaction is None:
            self._skip(conn, event.position, raw, "event for a caution whose issue this consumer never saw")
            return event.position
        self._remember(conn, event, facts)
        for notice in reaction.notices:
            notice_id = stable_id(event.id, notice.rule, notice.recipient_role)
            self._notify(conn, notice_id, facts, notice, event.id, event.type, event.position)
        for plan in reaction.schedule:
            self._schedule(conn, facts, plan.kind, plan.due_at)
        for plan in reaction.move:
            conn.execute(update(reminders).where(
                reminders.c.caution_id == facts.caution_id, reminders.c.kind == plan.kind,
                reminders.c.status == "scheduled").values(due_at=utc(plan.due_at)))
        if reaction.cancel:
            conn.execute(update(reminders).where(
                reminders.c.caution_id == facts.caution_id, reminders.c.kind.in_(reaction.cancel),
                reminders.c.status == "scheduled").values(status="cancelled"))
        return event.position

    def _skip(self, conn: Connection, at: int | None, raw: Any, reason: str) -> None:
        event_id = raw.get("id") if isinstance(raw, dict) else None
        event_type = raw.get("type") if isinstance(raw, dict) else None
        conn.execute(insert(skipped_events).values(
            position=at, event_id=str(event_id)[:64] if event_id else None,
            event_type=str(event_type)[:200] if event_type else None, reason=reason[:2000], skipped_at=utc(self.clock())))

    def _facts_after(self, conn: Connection, event: CloudEvent, data: dict[str, Any]) -> CautionFacts | None:
        """What the rules know about the caution once this event is applied (reads only; raises on a bad payload)."""
        if NAMES_BY_TYPE[event.type] == "CautionIssued":
            return CautionFacts(event.subject, event.force, str(data["police_reference"]),
                                date.fromisoformat(data["period_ends_on"]))
        facts = self.facts(conn, event.subject)
        if facts is not None and NAMES_BY_TYPE[event.type] == "ConditionsVaried":
            return dataclasses.replace(facts, period_ends_on=date.fromisoformat(data["period_ends_on"]))
        return facts

    def _remember(self, conn: Connection, event: CloudEvent, facts: CautionFacts) -> None:
        c = cautions.c
        if NAMES_BY_TYPE[event.type] == "CautionIssued":
            conn.execute(insert(cautions).values(
                caution_id=facts.caution_id, force=facts.force, police_reference=facts.police_reference,
                period_ends_on=facts.period_ends_on))
        elif NAMES_BY_TYPE[event.type] == "ConditionsVaried":
            conn.execute(update(cautions).where(c.caution_id == facts.caution_id).values(period_ends_on=facts.period_ends_on))

    @staticmethod
    def facts(conn: Connection, caution_id: str) -> CautionFacts | None:
        row = conn.execute(select(cautions).where(cautions.c.caution_id == caution_id)).first()
        return CautionFacts(row.caution_id, row.force, row.police_reference, row.period_ends_on) if row else None

    def _notify(self, conn: Connection, notice_id: str, facts: CautionFacts, notice: Notice,
                event_id: str | None, event_type: str | None, position: int | None) -> None:
        now = utc(self.clock())
        conn.execute(insert(notifications).values(
            id=notice_id, caution_id=facts.caution_id, force=facts.force, recipient_role=notice.recipient_role,
            kind=notice.kind, title=notice.title, body=notice.body, event_id=event_id, event_type=event_type,
            position=position, created_at=now))
        for channel, target in self._targets(conn, facts.force, notice.recipient_role, event_type, notice.kind):
            conn.execute(insert(deliveries).values(
                id=stable_id(notice_id, channel, target), notification_id=notice_id, channel=channel, target=target,
                status="pending", attempts=0, next_attempt_at=now))

    def _targets(self, conn: Connection, force: str, role: str, event_type: str | None, kind: str) -> list[tuple[str, str]]:
        found = []
        s = subscriptions.c
        for sub in conn.execute(select(s.id, s.event_types).where(s.active.is_(True), or_(s.force == force, s.force == "*"))):
            wanted = json.loads(sub.event_types)
            if not wanted or event_type in wanted or kind in wanted:
                found.append(("webhook", sub.id))
        by_role = {**self.email_recipients.get("*", {}), **self.email_recipients.get(force, {})}
        found += [("email", address) for address in by_role.get(role, [])]
        return found

    def _schedule(self, conn: Connection, facts: CautionFacts, kind: str, due_at: datetime) -> None:
        reminder_id = stable_id(facts.caution_id, kind)
        r = reminders.c
        existing = conn.execute(select(r.id).where(r.id == reminder_id)).first()
        if existing is None:
            conn.execute(insert(reminders).values(id=reminder_id, caution_id=facts.caution_id, kind=kind,
                                                  due_at=utc(due_at), status="scheduled"))
        else:
            conn.execute(update(reminders).where(r.id == reminder_id).values(due_at=utc(due_at), status="scheduled"))

    # ----- reminders -----------------------------------------------------------------------

    def fire_due_reminders(self) -> int:
        """Turn reminders that have come due into notifications, once each."""
        now = utc(self.clock())
        fired = 0
        with self.engine.begin() as conn:
            r = reminders.c
            due = conn.execute(select(reminders).where(r.status == "scheduled", r.due_at <= now)).all()
            for reminder in due:
                facts = self.facts(conn, reminder.caution_id)
                role, title, body = REMINDER_TEXT[reminder.kind]
                fmt = {"ref": facts.police_reference, "end": facts.period_ends_on} if facts else {}
                notice = Notice(reminder.kind, role, reminder.kind, title.format(**fmt), body.format(**fmt))
                notice_id = stable_id(reminder.id, utc(reminder.due_at).isoformat())
                # a reminder re-armed for the same moment (e.g. workshop A attended again) was already sent once
                already = conn.execute(select(notifications.c.id).where(notifications.c.id == notice_id)).first()
                if facts is not None and already is None:
                    self._notify(conn, notice_id, facts, notice, None, None, None)
                moved = conn.execute(update(reminders).where(r.id == reminder.id, r.status == "scheduled").values(status="fired"))
                fired += moved.rowcount
        return fired

    # ----- reads -----------------------------------------------------------------------------

    def due_deliveries(self, limit: int = 50) -> list[Any]:
        now = utc(self.clock())
        d = deliveries.c
        with self.engine.connect() as conn:
            return conn.execute(select(deliveries).where(and_(d.status == "pending", d.next_attempt_at <= now))
                                .order_by(d.next_attempt_at).limit(limit)).all()
