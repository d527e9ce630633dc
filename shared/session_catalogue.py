"""The catalogue of workshop-session events: what the feed publishes of each (and what it withholds, and why).

The session counterpart of shared/catalogue.py, in the same `EventSpec` shape, so the feed, the AsyncAPI document and
the notification service read both alike. A session names its cautions by id only and holds no offender's data, but
some of its fields are free text (a group override's reason, a release's or cancellation's detail) or name staff
(the facilitators): those stay home, as free text does in the caution catalogue. A test fails when a session event
has no entry here or an entry no event (tests/caution_service/unit/test_session_catalogue.py).

Types are `uk.cara.workshop-session.<kebab-name>.v<major>`; the subject is the session id; every payload carries
`SESSION_COMMON_FIELDS` (shared/events.py `SessionEventData`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from .catalogue import TYPE_PREFIX as CAUTION_TYPE_PREFIX
from .catalogue import Details, EventSpec, UnknownEvent, type_for

SESSION_TYPE_PREFIX = "uk.cara.workshop-session."
SESSION_COMMON_FIELDS = ("session_id", "version", "force", "occurred_at", "recorded_at", "recorded_by")

_FREE_TEXT = "free text that may name a person"
_FACILITATORS = "staff names: subscribers act on the session, not on who runs it"


@dataclass(frozen=True)
class SessionEventSpec(EventSpec):
    @property
    def type(self) -> str:
        return SESSION_TYPE_PREFIX + type_for(self.name, self.major).removeprefix(CAUTION_TYPE_PREFIX)


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")


def _planned(d: Details) -> str:
    return (f"Workshop {d['workshop']} session planned at {d['venue_name']} from {_when(d['starts_at'])} to "
            f"{_when(d['ends_at'])}, {d['capacity']} places ({d['group']}).")


SESSION_CATALOGUE: Mapping[str, SessionEventSpec] = MappingProxyType({spec.name: spec for spec in (
    SessionEventSpec(
        "WorkshopSessionPlanned", "The provider planned a workshop session at one of its venues.", _planned,
        fields={"provider": str, "workshop": str, "venue_id": str, "venue_name": str, "starts_at": datetime,
                "ends_at": datetime, "capacity": int, "group": str},
        withheld={"facilitators": _FACILITATORS, "bank_holiday_reason": _FREE_TEXT},
    ),
    SessionEventSpec(
        "SessionPlaceBooked", "A caution took a place in the session.",
        lambda d: f"Caution {d['booking']['caution_id']} booked into the session.",
        fields={"booking": ("caution_id",)},
        withheld={"booking.group_override": "why the offender is in this group: " + _FREE_TEXT},
    ),
    SessionEventSpec(
        "SessionPlaceReleased", "A caution's place in the session became free again (moved, or its booking ended).",
        lambda d: f"Caution {d['caution_id']}'s place released.",
        fields={"caution_id": str}, withheld={"reason": _FREE_TEXT},
    ),
    SessionEventSpec(
        "SessionRegisterRecorded", "The provider recorded (or corrected) the session's register: one outcome for each "
                                   "caution booked.",
        lambda d: ("Register corrected." if d["correction"] else "Register recorded."),
        fields={"lines": list, "correction": bool},
    ),
    SessionEventSpec(
        "WorkshopSessionCancelled", "The provider cancelled the session; the cautions booked lose their booking, "
                                    "which counts against none of them.",
        lambda d: f"Session cancelled ({d['reason'].replace('_', ' ')}).",
        fields={"reason": str, "cautions": list}, withheld={"detail": _FREE_TEXT},
    ),
)})

SESSION_EVENT_TYPES: Mapping[str, str] = MappingProxyType({name: s.type for name, s in SESSION_CATALOGUE.items()})
SESSION_SPECS_BY_TYPE: Mapping[str, SessionEventSpec] = MappingProxyType(
    {s.type: s for s in SESSION_CATALOGUE.values()})


def session_spec(name: str) -> SessionEventSpec:
    try:
        return SESSION_CATALOGUE[name]
    except KeyError:
        raise UnknownEvent(f"{name} has no entry in the session catalogue (shared/session_catalogue.py)") from None
