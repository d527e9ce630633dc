"""Applies feed events to the notification database: each event's effects and the new position commit together.

Notification and delivery ids are derived from the event id, so even a replayed
event could never create a second copy; the position compare-and-set makes a
racing consumer fail instead of doubling anything.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from shared.catalogue import SPECS_BY_TYPE
from shared.events import CloudEvent

from . import session_store
from .facts import CautionFacts, changed, facts_after
from .inbox_state import DONE, OPEN, closes, closings
from .moments import utc as utc  # where the service's other modules have always found it
from .rules import (
    PERIOD_ENDING,
    REMINDER_TEXT,
    URGENT,
    WORKSHOP_B_WINDOW,
    Notice,
    Reaction,
    ReminderPolicy,
    escalation_notice,
    react,
)
from .sessions import (
    SESSION_RULES,
    SessionEvent,
    SessionFacts,
    SessionPolicy,
    due_reminder_notice,
    is_session_type,
    react_to_session,
    session_event_name,
    session_facts_after,
)
from .tables import (
    cautions,
    consumer_state,
    deliveries,
    notifications,
    reminders,
    safeguarding_concerns,
    skipped_events,
    subscriptions,
)

NOTIFY_NS = uuid.UUID("3f0f3c1e-8f4e-4b7b-9a0e-6c2b8f1d2a77")
FEED = "caution-feed"


class ConsumerConflict(Exception):
    """Another consumer moved the position first; this batch was rolled back."""


@dataclasses.dataclass(frozen=True)
class Progress:
    applied: int  # events new to this consumer
    position: int  # the stored position after the transaction
    held_at: int | None  # the first event past a hole, left unapplied; None when the run had no hole


def _position_or_first(raw: Any) -> int:
    at = raw.get("position") if isinstance(raw, dict) else None
    return at if isinstance(at, int) else 0  # unplaceable events go first: they are skipped, moving nothing


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NOTIFY_NS, "/".join(parts)))


class _Page:
    """What one transaction of the consumer reads once and writes at once.

    Per event, the store used to ask the database for the caution's facts and the force's subscriptions,
    and insert each notification and delivery on its own: about six round trips an event, which on
    PostgreSQL left the consumer seconds behind a busy caution service. Now a page reads its cautions'
    facts in one query and the subscriptions in another, and writes its notifications and deliveries in
    one statement each when it ends. Nothing in the page reads those two tables back, so holding their rows
    until then changes no answer.
    """

    CHUNK = 500  # ids in one IN list

    def __init__(self, conn: Connection, caution_ids: list[Any]) -> None:
        self.conn = conn
        self.known: dict[str, CautionFacts | None] = {}
        self.sessions: dict[str, SessionFacts | None] = {}
        self.notifications: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self._subscriptions: list[tuple[str, str, list[str]]] | None = None
        wanted = sorted({c for c in caution_ids if isinstance(c, str)})
        for start in range(0, len(wanted), self.CHUNK):
            chunk = wanted[start:start + self.CHUNK]
            self.known.update(dict.fromkeys(chunk))
            for row in conn.execute(select(cautions).where(cautions.c.caution_id.in_(chunk))):
                self.known[row.caution_id] = NotificationStore.facts_of(row)

    def facts(self, caution_id: str) -> CautionFacts | None:
        if caution_id not in self.known:
            self.known[caution_id] = NotificationStore.facts(self.conn, caution_id)
        return self.known[caution_id]

    def session(self, session_id: str) -> SessionFacts | None:
        if session_id not in self.sessions:
            self.sessions[session_id] = session_store.read(self.conn, session_id)
        return self.sessions[session_id]

    def subscriptions(self) -> list[tuple[str, str, list[str]]]:
        """Active subscriptions: (id, force, event types and kinds wanted; empty means all)."""
        if self._subscriptions is None:
            s = subscriptions.c
            self._subscriptions = [(row.id, row.force, json.loads(row.event_types)) for row in
                                   self.conn.execute(select(s.id, s.force, s.event_types).where(s.active.is_(True)))]
        return self._subscriptions

    def flush(self) -> None:
        if self.notifications:
            self.conn.execute(insert(notifications), self.notifications)
        if self.deliveries:
            self.conn.execute(insert(deliveries), self.deliveries)
        self.notifications, self.deliveries = [], []


class NotificationStore:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], policy: ReminderPolicy,
        email_recipients: dict[str, dict[str, list[str]]], session_policy: SessionPolicy | None = None,
        escalation_recipients: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy
        self.session_policy = session_policy or SessionPolicy()
        self.email_recipients = email_recipients  # the tables are made by migrations/, in build_store
        self.escalation_recipients = escalation_recipients or {}  # force -> who an unacknowledged concern reaches
        with engine.begin() as conn:
            if conn.execute(select(consumer_state.c.name).where(consumer_state.c.name == FEED)).first() is None:
                conn.execute(insert(consumer_state).values(name=FEED, position=0, head=0))

    # ----- consumer position -----------------------------------------------------------

    def consumer(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(consumer_state).where(consumer_state.c.name == FEED)).mappings().one()
            newest = select(skipped_events).order_by(skipped_events.c.id.desc()).limit(20)
            skipped = conn.execute(newest).mappings().all()
            skipped_total = conn.execute(select(func.count()).select_from(skipped_events)).scalar_one()
        return {**dict(row), "skipped": [{k: v for k, v in s.items() if k != "id"} for s in skipped],
                "skipped_total": skipped_total}

    def position(self) -> int:
        return self.consumer()["position"]

    def record_error(self, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(consumer_state).where(consumer_state.c.name == FEED).values(
                last_error=error, last_error_at=utc(self.clock()) if error else None))

    # ----- applying events ---------------------------------------------------------------

    def apply_page(self, events: list[dict[str, Any]], head: int, next_after: int | None = None) -> int:
        """Apply a page of the HTTP feed in one transaction; returns how many were new.

        The feed's pages are contiguous by construction and `next_after` is its own word for how far the page
        reaches, so this trusts the order it is given. A transport that can hand events over out of order or
        with holes (JetStream after a crash) uses `apply_contiguous` instead."""
        with self.engine.begin() as conn:
            old, _ = self._read_state(conn)
            position, applied, _ = self._apply_events(conn, events, old, None)
            if next_after is not None:
                position = max(position, next_after)
            self._move(conn, old, position, head)
        return applied

    def apply_contiguous(self, events: list[dict[str, Any]], head: int, filled_by: str,
                         follows: Mapping[int, int] | None = None) -> Progress:
        """Apply, in one transaction, only the events that continue the stored position without a hole.

        Events at or below the position were applied before and are passed over; then each event is applied
        if nothing unseen can lie between the stored position and it; the first one that cannot say so stops
        the run, and it and everything after are left for the caller to apply once the hole is filled.
        `follows` maps an event's position to the feed position before it, as whoever sent it knew (the relay
        says so in a header; a feed page by its order). Without it an event must be at position + 1. It
        matters on PostgreSQL, where positions have holes that no event will ever fill: a transaction rolled
        back after taking its numbers from the sequence. Events with no position cannot be placed: they are
        recorded as skipped without moving anything. When the run reaches past an open gap, the gap is
        marked filled, `filled_by` saying how."""
        ordered = sorted(events, key=_position_or_first)
        with self.engine.begin() as conn:
            old, gap = self._read_state(conn)
            position, applied, missing_before = self._apply_events(conn, ordered, old, follows or {})
            self._move(conn, old, position, head)
            if gap is not None and position >= gap[1] - 1:
                conn.execute(update(consumer_state).where(consumer_state.c.name == FEED).values(
                    gap_filled_at=utc(self.clock()), gap_filled_by=filled_by))
        return Progress(applied, position, missing_before)

    def _read_state(self, conn: Connection) -> tuple[int, tuple[int, int] | None]:
        """The position, and the open gap (after, before) if one is waiting to be filled."""
        c = consumer_state.c
        row = conn.execute(select(c.position, c.gap_after, c.gap_before, c.gap_filled_at)
                           .where(c.name == FEED)).one()
        gap = (row.gap_after, row.gap_before) if row.gap_before is not None and row.gap_filled_at is None else None
        return row.position, gap

    def _apply_events(self, conn: Connection, events: list[dict[str, Any]], position: int,
                      follows: Mapping[int, int] | None) -> tuple[int, int, int | None]:
        """Returns the new position, how many events were applied, and where a hole stopped it (or None).
        With `follows` None the order given is trusted (a feed page); otherwise see apply_contiguous."""
        applied = 0
        page = _Page(conn, [raw.get("subject") for raw in events
                            if isinstance(raw, dict) and not is_session_type(raw.get("type"))])
        for raw in events:
            at = raw.get("position") if isinstance(raw, dict) else None
            if isinstance(at, int) and at <= position:
                continue  # already applied: at-least-once transports may repeat
            if follows is not None and isinstance(at, int) and follows.get(at, at - 1) > position:
                page.flush()
                return position, applied, at
            position = self._apply_one(conn, page, raw, position)
            applied += 1
        page.flush()
        return position, applied, None

    def _move(self, conn: Connection, old: int, position: int, head: int) -> None:
        moved = conn.execute(
            update(consumer_state)
            .where(consumer_state.c.name == FEED, consumer_state.c.position == old)
            .values(position=position, head=max(head, position), updated_at=utc(self.clock()))
        )
        if moved.rowcount != 1:
            raise ConsumerConflict("the feed position moved under this consumer")

    def record_gap(self, after: int, before: int) -> None:
        """A hole after `after` held back the event at `before`. Counted once per hole, however many batches
        it holds back: an open gap is only widened or narrowed here, never counted again."""
        c = consumer_state.c
        now = utc(self.clock())
        with self.engine.begin() as conn:
            if self._read_state(conn)[1] is None:
                conn.execute(update(consumer_state).where(c.name == FEED).values(
                    gaps=c.gaps + 1, gap_after=after, gap_before=before, gap_found_at=now, gap_filled_at=None,
                    gap_filled_by=None))
            else:
                conn.execute(update(consumer_state).where(c.name == FEED).values(gap_after=after, gap_before=before))

    def _apply_one(self, conn: Connection, page: _Page, raw: Any, position: int) -> int:
        if isinstance(raw, dict) and is_session_type(raw.get("type")):
            return self._apply_session_event(conn, page, raw, position)
        try:
            event = CloudEvent.model_validate(raw)
        except ValidationError as e:
            at = raw.get("position") if isinstance(raw, dict) and isinstance(raw.get("position"), int) else None
            errors = e.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            why = errors[0]["msg"] if errors else str(e)
            self._skip(conn, at, raw, f"malformed event: {where} {why}".strip())
            return max(position, at or position)
        entry = SPECS_BY_TYPE.get(event.type)
        if entry is None:  # a newer caution service's event: recorded as skipped, never guessed at
            self._skip(conn, event.position, raw, f"unknown event type {event.type}")
            return event.position
        data = event.data.model_dump(mode="json")
        known = None if entry.opens_facts else page.facts(event.subject)
        try:  # read and react before writing, so a payload the rules cannot read is skipped, never a poison pill
            facts = facts_after(entry, event.subject, event.force, data, known)
            reaction = react(entry.name, data, facts, self.policy) if facts is not None else None
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            self._skip(conn, event.position, raw, f"malformed {event.type} payload: {type(e).__name__} {e}")
            return event.position
        if facts is None or reaction is None:
            self._skip(conn, event.position, raw, "event for a caution whose issue this consumer never saw")
            return event.position
        self._remember(conn, page, known, facts)
        self._close(conn, page, facts.caution_id, entry.name, data)
        self._keep_concerns(conn, facts, reaction, data)
        for notice in reaction.notices:
            notice_id = stable_id(event.id, notice.rule, notice.recipient_role)
            self._notify(page, notice_id, facts.force, notice, event.id, event.type, event.position,
                         caution_id=facts.caution_id)
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

    def _close(self, conn: Connection, page: _Page, caution_id: str, event: str, data: Mapping[str, Any]) -> None:
        """Marks the caution's open notices this event completes (or makes no longer owed): inbox_state.py. Before
        this event's own notices are added, so a caution's closing leaves the notices it makes itself open."""
        found = closings(event, data)
        if not found:
            return
        n = notifications.c
        stored = [dict(row) for row in conn.execute(select(n.id, n.kind, n.topic).where(
            n.caution_id == caution_id, n.state == OPEN)).mappings()]
        waiting = [row for row in page.notifications if row["caution_id"] == caution_id and row["state"] == OPEN]
        at = utc(datetime.fromisoformat(str(data["recorded_at"])))
        for closing in found:
            column = "done_at" if closing.state == DONE else "superseded_at"
            ids = [row["id"] for row in stored if closes(closing, row["kind"], row["topic"])]
            if ids:
                conn.execute(update(notifications).where(n.id.in_(ids), n.state == OPEN)
                             .values(state=closing.state, **{column: at}))
                stored = [row for row in stored if row["id"] not in ids]
            for row in waiting:  # made earlier in this page: not written yet
                if row["state"] == OPEN and closes(closing, row["kind"], row["topic"]):
                    row.update(state=closing.state, **{column: at})

    def _keep_concerns(self, conn: Connection, facts: CautionFacts, reaction: Reaction,
                       data: Mapping[str, Any]) -> None:
        """A concern is kept until acknowledged; its row is also its escalation's reminder (fire_due_reminders)."""
        s = safeguarding_concerns.c
        for plan in reaction.concerns:
            concern_id = stable_id(facts.caution_id, "safeguarding-concern", str(plan.concern))
            if conn.execute(select(s.id).where(s.id == concern_id)).first() is None:
                conn.execute(insert(safeguarding_concerns).values(
                    id=concern_id, caution_id=facts.caution_id, concern=plan.concern, force=facts.force,
                    category=plan.category, urgency=plan.urgency, source=plan.source,
                    raised_at=utc(plan.raised_at), escalate_at=utc(plan.escalate_at)))
        if reaction.acknowledged:
            at = utc(datetime.fromisoformat(str(data["recorded_at"])))
            conn.execute(update(safeguarding_concerns).where(
                s.caution_id == facts.caution_id, s.concern.in_(reaction.acknowledged), s.acknowledged_at.is_(None))
                .values(acknowledged_at=at))

    def _apply_session_event(self, conn: Connection, page: _Page, raw: dict[str, Any], position: int) -> int:
        """A workshop session's event (sessions.py): its facts, notices and reminders, in this page's transaction."""
        try:
            event = SessionEvent.model_validate(raw)
        except ValidationError as e:
            at = raw.get("position") if isinstance(raw.get("position"), int) else None
            errors = e.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            self._skip(conn, at, raw, f"malformed session event: {where} {errors[0]['msg'] if errors else e}".strip())
            return max(position, at or position)
        name = session_event_name(event.type)
        if name is None or name not in SESSION_RULES:  # a newer caution service's session event: never guessed at
            self._skip(conn, event.position, raw, f"unknown event type {event.type}")
            return event.position
        data = event.data.model_dump(mode="json")
        known = page.session(event.subject)
        try:
            facts = session_facts_after(name, event.subject, data, known)
            reaction = react_to_session(name, data, facts, self.session_policy) if facts is not None else None
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            self._skip(conn, event.position, raw, f"malformed {event.type} payload: {type(e).__name__} {e}")
            return event.position
        if facts is None or reaction is None:
            self._skip(conn, event.position, raw, "event for a session whose planning this consumer never saw")
            return event.position
        page.sessions[facts.session_id] = facts
        session_store.remember(conn, known, facts)
        for notice in reaction.notices:
            self._notify(page, stable_id(event.id, notice.rule, notice.recipient_role), facts.force, notice, event.id,
                         event.type, event.position, session_id=facts.session_id)
        for plan in reaction.schedule:
            session_store.schedule(conn, stable_id(facts.session_id, plan.kind), facts.session_id, plan.kind,
                                   plan.due_at)
        if reaction.cancel:
            session_store.cancel(conn, facts.session_id, reaction.cancel)
        return event.position

    def _skip(self, conn: Connection, at: int | None, raw: Any, reason: str) -> None:
        event_id = raw.get("id") if isinstance(raw, dict) else None
        event_type = raw.get("type") if isinstance(raw, dict) else None
        conn.execute(insert(skipped_events).values(
            position=at, event_id=str(event_id)[:64] if event_id else None,
            event_type=str(event_type)[:200] if event_type else None, reason=reason[:2000],
            skipped_at=utc(self.clock())))

    def _remember(self, conn: Connection, page: _Page, before: CautionFacts | None, after: CautionFacts) -> None:
        page.known[after.caution_id] = after
        if before is None:
            conn.execute(insert(cautions).values(**dataclasses.asdict(after)))
            return
        updates = changed(before, after)
        if updates:
            conn.execute(update(cautions).where(cautions.c.caution_id == after.caution_id).values(**updates))

    @staticmethod
    def facts(conn: Connection, caution_id: str) -> CautionFacts | None:
        row = conn.execute(select(cautions).where(cautions.c.caution_id == caution_id)).first()
        return NotificationStore.facts_of(row) if row else None

    @staticmethod
    def facts_of(row: Any) -> CautionFacts:
        return CautionFacts(row.caution_id, row.force, row.police_reference, row.period_ends_on, row.workshop_gap_days)

    def _notify(self, page: _Page, notice_id: str, force: str, notice: Notice, event_id: str | None,
                event_type: str | None, position: int | None, *, caution_id: str | None = None,
                session_id: str | None = None, also_email: Sequence[str] = ()) -> None:
        now = utc(self.clock())
        page.notifications.append(dict(
            id=notice_id, caution_id=caution_id, session_id=session_id, force=force,
            recipient_role=notice.recipient_role, kind=notice.kind, title=notice.title, body=notice.body,
            event_id=event_id, event_type=event_type, position=position, created_at=now, priority=notice.priority,
            due_on=notice.due_on, state=OPEN, done_at=None, superseded_at=None, topic=notice.topic))
        targets = self._targets(page, force, notice.recipient_role, event_type, notice.kind)
        targets += [("email", address) for address in also_email if ("email", address) not in targets]
        for channel, target in targets:
            page.deliveries.append(dict(
                id=stable_id(notice_id, channel, target), notification_id=notice_id, channel=channel, target=target,
                status="pending", attempts=0, next_attempt_at=now, urgent=notice.priority == URGENT))

    def _targets(self, page: _Page, force: str, role: str, event_type: str | None, kind: str) -> list[tuple[str, str]]:
        found = [("webhook", sub_id) for sub_id, sub_force, wanted in page.subscriptions()
                 # Only the force's own: a "*" subscription stored before national scope became a grant (issue 16)
                 # receives nothing; no subscription is national now.
                 if sub_force == force and (not wanted or event_type in wanted or kind in wanted)]
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
            page = _Page(conn, [reminder.caution_id for reminder in due])
            for reminder in due:
                facts = page.facts(reminder.caution_id)
                role, title, body = REMINDER_TEXT[reminder.kind]
                fmt = {"ref": facts.police_reference, "end": facts.period_ends_on} if facts else {}
                by = facts.period_ends_on if facts and reminder.kind in (PERIOD_ENDING, WORKSHOP_B_WINDOW) else None
                notice = Notice(reminder.kind, role, reminder.kind, title.format(**fmt), body.format(**fmt),
                                due_on=by)
                notice_id = stable_id(reminder.id, utc(reminder.due_at).isoformat())
                # a reminder re-armed for the same moment (e.g. workshop A attended again) was already sent once
                already = conn.execute(select(notifications.c.id).where(notifications.c.id == notice_id)).first()
                if facts is not None and already is None:
                    self._notify(page, notice_id, facts.force, notice, None, None, None, caution_id=facts.caution_id)
                moved = conn.execute(update(reminders).where(r.id == reminder.id, r.status == "scheduled")
                                     .values(status="fired"))
                fired += moved.rowcount
            fired += self._fire_session_reminders(conn, page, now)
            fired += self._escalate_unacknowledged_concerns(conn, page, now)
            page.flush()
        return fired

    def _escalate_unacknowledged_concerns(self, conn: Connection, page: _Page, now: datetime) -> int:
        """A concern still unacknowledged at its escalation time reaches the force's escalation list by email, and
        the police inbox as an urgent notice, once: the conditional update makes a second run, or another
        replica, find nothing to do, and a restart finds the row as it was left."""
        s = safeguarding_concerns.c
        due = conn.execute(select(safeguarding_concerns).where(
            s.acknowledged_at.is_(None), s.escalated_at.is_(None), s.escalate_at <= now)).all()
        fired = 0
        for concern in due:
            moved = conn.execute(update(safeguarding_concerns).where(
                s.id == concern.id, s.escalated_at.is_(None), s.acknowledged_at.is_(None)).values(escalated_at=now))
            facts = page.facts(concern.caution_id)
            if not moved.rowcount or facts is None:
                continue
            raised = utc(concern.raised_at)
            notice = escalation_notice(facts.police_reference, concern.concern, concern.category, concern.urgency,
                                       concern.source, raised, now - raised)
            self._notify(page, stable_id(concern.id, "escalated"), concern.force, notice, None, None, None,
                         caution_id=concern.caution_id, also_email=self._escalation_addresses(concern.force))
            fired += 1
        return fired

    def _escalation_addresses(self, force: str) -> list[str]:
        listed = [*self.escalation_recipients.get(force, []), *self.escalation_recipients.get("*", [])]
        return list(dict.fromkeys(listed))

    def _fire_session_reminders(self, conn: Connection, page: _Page, now: datetime) -> int:
        """Each is judged on the session as it stands when it comes due: a session filled since it was planned,
        or whose register came in, is owed nothing, and the reminder is spent all the same."""
        fired = 0
        for reminder in session_store.due(conn, now):
            facts = page.session(reminder.session_id)
            notice = due_reminder_notice(reminder.kind, facts, self.session_policy) if facts else None
            notice_id = stable_id(reminder.id, utc(reminder.due_at).isoformat())
            already = conn.execute(select(notifications.c.id).where(notifications.c.id == notice_id)).first()
            if facts is not None and notice is not None and already is None:
                self._notify(page, notice_id, facts.force, notice, None, None, None, session_id=facts.session_id)
            fired += session_store.mark_fired(conn, reminder.id)
        return fired

    # ----- reads -----------------------------------------------------------------------------

    def due_deliveries(self, limit: int = 50) -> Sequence[Any]:
        now = utc(self.clock())
        d = deliveries.c
        with self.engine.connect() as conn:
            return conn.execute(select(deliveries).where(and_(d.status == "pending", d.next_attempt_at <= now))
                                .order_by(d.urgent.desc(), d.next_attempt_at).limit(limit)).all()
