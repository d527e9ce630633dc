"""What the workshop-session events on the feed mean to the notification service. Pure: no I/O.

Session events are a kind of their own on the feed (CloudEvents type `uk.cara.workshop-session.<kebab>.v<major>`,
subject = the session id) and the service reads them by that prefix, with the field names the feed publishes,
not through the caution catalogue: a session is no caution, has no police reference and none of a caution's
facts. Everything a session notice says is its workshop, venue and time, never a person.

A type under the prefix that `SESSION_RULES` does not name (a newer caution service's event) is recorded as
skipped by the store, never guessed at. Which cautions need a new booking after a cancellation is told per
caution, by the caution's own `WorkshopBookingCancelled` (rules.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.uk_time import uk_time_text

from .rules import Notice, Reaction, ReminderPlan

SESSION_TYPE_PREFIX = "uk.cara.workshop-session."
_TYPE = re.compile(rf"^{re.escape(SESSION_TYPE_PREFIX)}(?P<name>[a-z0-9-]+)\.v(?P<major>[0-9]+)$")

PLANNED = "workshop-session-planned"
PLACE_BOOKED = "session-place-booked"
PLACE_RELEASED = "session-place-released"
REGISTER_RECORDED = "session-register-recorded"
CANCELLED = "workshop-session-cancelled"

FILL_CHECK = "session_fill_check"
REGISTER_OVERDUE = "session_register_overdue"


class SessionData(BaseModel):
    model_config = ConfigDict(extra="allow")
    session_id: str
    force: str


class SessionEvent(BaseModel):
    """The envelope of a session event; its own fields stay in `data` and are read by name below."""

    model_config = ConfigDict(extra="allow")
    id: str
    type: str
    subject: str
    position: int
    force: str
    data: SessionData


def is_session_type(event_type: Any) -> bool:
    return isinstance(event_type, str) and event_type.startswith(SESSION_TYPE_PREFIX)


def session_event_name(event_type: str) -> str | None:
    """The kebab name of a session event type (major 1 only: a later major is another contract)."""
    found = _TYPE.match(event_type)
    return found["name"] if found and found["major"] == "1" else None


@dataclass(frozen=True)
class SessionPolicy:
    fill_check_days: int = 7  # the fill is checked this many days before the session starts
    minimum_fill: int = 8  # fewer booked than this at the check is under-filled
    register_overdue_days: int = 1  # the register is overdue this many days after the session ends


@dataclass(frozen=True)
class SessionFacts:
    session_id: str
    force: str
    provider: str
    workshop: str
    venue_name: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int = 0
    status: str = "planned"  # planned | held | cancelled
    register_recorded: bool = False


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 time, got {type(value).__name__}")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"a session time without its offset: {value}")
    return moment


def _planned(subject: str, d: Mapping[str, Any], known: SessionFacts | None) -> SessionFacts:
    return SessionFacts(session_id=subject, force=str(d["force"]), provider=str(d["provider"]),
                        workshop=str(d["workshop"]), venue_name=str(d["venue_name"]),
                        starts_at=_moment(d["starts_at"]), ends_at=_moment(d["ends_at"]), capacity=int(d["capacity"]))


def _booked(subject: str, d: Mapping[str, Any], known: SessionFacts | None) -> SessionFacts | None:
    str(d["booking"]["caution_id"])  # a booking without its caution is garbled: refused, not counted
    return None if known is None else dataclasses.replace(known, booked=known.booked + 1)


def _released(subject: str, d: Mapping[str, Any], known: SessionFacts | None) -> SessionFacts | None:
    str(d["caution_id"])
    return None if known is None else dataclasses.replace(known, booked=max(known.booked - 1, 0))


def _registered(subject: str, d: Mapping[str, Any], known: SessionFacts | None) -> SessionFacts | None:
    if not isinstance(d["lines"], list):
        raise TypeError("a register's lines are a list")
    return None if known is None else dataclasses.replace(known, status="held", register_recorded=True)


def _cancelled(subject: str, d: Mapping[str, Any], known: SessionFacts | None) -> SessionFacts | None:
    return None if known is None else dataclasses.replace(known, status="cancelled", booked=0)


FactsChange = Callable[[str, Mapping[str, Any], SessionFacts | None], SessionFacts | None]
FACTS: Mapping[str, FactsChange] = {PLANNED: _planned, PLACE_BOOKED: _booked, PLACE_RELEASED: _released,
                                    REGISTER_RECORDED: _registered, CANCELLED: _cancelled}


def session_facts_after(name: str, subject: str, data: Mapping[str, Any],
                        known: SessionFacts | None) -> SessionFacts | None:
    """The session's facts after this event; None while the service never saw it planned.

    Raises KeyError, TypeError or ValueError on a payload that lacks or garbles a field it needs."""
    return FACTS[name](subject, data, known)


def _when(s: SessionFacts) -> str:
    return uk_time_text(s.starts_at)


def _what(s: SessionFacts) -> str:
    return f"workshop {s.workshop} session at {s.venue_name} on {_when(s)}"


SessionRule = Callable[[Mapping[str, Any], SessionFacts, SessionPolicy], Reaction]


def when_session_planned_schedule_fill_check_and_register_reminder(
        d: Mapping[str, Any], s: SessionFacts, p: SessionPolicy) -> Reaction:
    return Reaction(schedule=[ReminderPlan(FILL_CHECK, fill_check_at(s, _moment(d["recorded_at"]), p)),
                              ReminderPlan(REGISTER_OVERDUE, s.ends_at + timedelta(days=p.register_overdue_days))])


def fill_check_at(s: SessionFacts, planned_at: datetime, p: SessionPolicy) -> datetime:
    """The fill-check days before the start; for a session planned later than that, half-way from its planning to
    its start: checked at once, it would be under-filled before the provider had booked anyone."""
    usual = s.starts_at - timedelta(days=p.fill_check_days)
    return usual if planned_at <= usual else planned_at + (s.starts_at - planned_at) / 2


def when_register_recorded_cancel_register_reminder(
        d: Mapping[str, Any], s: SessionFacts, p: SessionPolicy) -> Reaction:
    return Reaction(cancel=[REGISTER_OVERDUE])


def when_session_cancelled_tell_provider(d: Mapping[str, Any], s: SessionFacts, p: SessionPolicy) -> Reaction:
    released = len(d.get("cautions") or [])
    # the free-text detail may say why in a person's terms (who fell ill): only the coded reason is repeated
    return Reaction(
        notices=[Notice("session_cancelled", "provider", "session_cancelled",
                        f"Session cancelled: workshop {s.workshop}, {s.venue_name}, {_when(s)}",
                        f"The {_what(s)} was cancelled ({str(d['reason']).replace('_', ' ')}). "
                        f"{released} booking(s) were released without counting against anyone; each caution that "
                        "now needs a new session, and the latest date it can be on, comes in its own notice.")],
        cancel=[FILL_CHECK, REGISTER_OVERDUE])


SESSION_RULES: Mapping[str, list[SessionRule]] = {  # by the kebab name in the event type
    PLANNED: [when_session_planned_schedule_fill_check_and_register_reminder],
    # The fill is judged once, at the check: each booking on its own says nothing the provider did not do itself.
    PLACE_BOOKED: [],
    PLACE_RELEASED: [],
    REGISTER_RECORDED: [when_register_recorded_cancel_register_reminder],
    CANCELLED: [when_session_cancelled_tell_provider],
}


def react_to_session(name: str, data: Mapping[str, Any], facts: SessionFacts, policy: SessionPolicy) -> Reaction:
    combined = Reaction()
    for rule in SESSION_RULES[name]:
        reaction = rule(data, facts, policy)
        combined.notices += reaction.notices
        combined.schedule += reaction.schedule
        combined.cancel += reaction.cancel
    return combined


def due_reminder_notice(kind: str, s: SessionFacts, policy: SessionPolicy) -> Notice | None:
    """What a session reminder that has come due says, judged on the session as it stands; None when nothing is
    owed (filled within bounds, register recorded, session cancelled)."""
    if s.status == "cancelled":
        return None
    if kind == FILL_CHECK:
        if s.booked > s.capacity:
            return Notice(kind, "provider", "session_over_capacity",
                          f"Session over capacity: workshop {s.workshop}, {s.venue_name}, {_when(s)}",
                          f"The {_what(s)} has {s.booked} booked for {s.capacity} places.")
        if s.booked < policy.minimum_fill:
            return Notice(kind, "provider", "session_under_filled",
                          f"Session under-filled: workshop {s.workshop}, {s.venue_name}, {_when(s)}",
                          f"The {_what(s)} has {s.booked} booked of {s.capacity} places; "
                          f"a group needs at least {policy.minimum_fill}.")
        return None
    if kind == REGISTER_OVERDUE and not s.register_recorded:
        return Notice(kind, "provider", "register_overdue",
                      f"Register not recorded: workshop {s.workshop}, {s.venue_name}, {_when(s)}",
                      f"The {_what(s)} ended at {uk_time_text(s.ends_at)} and its register has not been "
                      "recorded.")
    return None
