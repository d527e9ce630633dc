"""Compliance-history entries: each event in plain words, its details without victim data, and its hash.

The hash covers the entry's canonical content and the previous entry's hash, so
the last hash (the digest) changes if any earlier entry is altered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

GENESIS = "0" * 64
_HIDDEN = {"originator_id", "originator_version", "originator_topic", "timestamp", "occurred_at", "recorded_at", "recorded_by"}
# Built once: json.dumps builds a new encoder on every call that passes options.
_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
details_json = json.JSONEncoder(sort_keys=True).encode  # the stored `details` column: json.dumps(details, sort_keys=True)


@dataclass(frozen=True)
class Entry:
    caution_id: str
    entry: int
    event_type: str
    summary: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: dict[str, str]
    details: dict[str, Any]
    corrects_entry: int | None

    def content(self) -> dict[str, Any]:
        return {
            "caution_id": self.caution_id,
            "entry": self.entry,
            "event_type": self.event_type,
            "summary": self.summary,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "details": self.details,
            "corrects_entry": self.corrects_entry,
        }


def entry_hash(content: dict[str, Any], previous_hash: str) -> str:
    return hashlib.sha256((previous_hash + _canonical_json(content)).encode()).hexdigest()


def plain(value: Any) -> Any:
    """The value as JSON-ready data: enums by value, dates as ISO text, dataclasses as dicts of their fields."""
    kind = type(value)
    try:
        convert = _CONVERTERS[kind]
    except KeyError:
        convert = _CONVERTERS[kind] = _converter_for(kind)
    return convert(value)


def _converter_for(kind: type) -> Callable[[Any], Any]:
    """How `plain` treats every value of this type, worked out once per type (the checks only look at the type)."""
    if issubclass(kind, Enum):
        return _enum_value
    if issubclass(kind, (datetime, date)):
        return kind.isoformat
    if dataclasses.is_dataclass(kind) and not issubclass(kind, type):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda value: {name: plain(getattr(value, name)) for name in names}
    if issubclass(kind, dict):
        return lambda value: {k: plain(v) for k, v in value.items()}
    if issubclass(kind, (list, tuple)):
        return lambda value: [plain(v) for v in value]
    return _unchanged


def _enum_value(value: Enum) -> Any:
    return value.value


def _unchanged(value: Any) -> Any:
    return value


_CONVERTERS: dict[type, Callable[[Any], Any]] = {str: _unchanged, int: _unchanged, bool: _unchanged, type(None): _unchanged}


def event_type(event: Any) -> str:
    name = type(event).__name__
    return "CautionIssued" if name == "Issued" else name


def details_of(event: Any) -> dict[str, Any]:
    """Everything the event says except bookkeeping and sealed (victim) fields."""
    return {
        key: plain(value)
        for key, value in vars(event).items()
        if key not in _HIDDEN and not key.endswith("_sealed")
    }


def entry_content(event: Any) -> dict[str, Any]:
    """The event's entry as it is hashed and stored: what `entry_from_row(row).content()` gives back."""
    details = details_of(event)
    kind = event_type(event)
    occurred = getattr(event, "occurred_at", None) or event.recorded_at
    return {
        "caution_id": str(event.originator_id),
        "entry": event.originator_version,
        "event_type": kind,
        "summary": describe(kind, details),
        "occurred_at": occurred.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "recorded_by": plain(event.recorded_by),
        "details": details,
        "corrects_entry": details.get("corrects_version"),
    }


def _when(iso: str | None) -> str:
    if not iso:
        return "?"
    return datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")


def describe(kind: str, d: dict[str, Any]) -> str:
    """One sentence a lay reader can follow."""
    words = _DESCRIBERS.get(kind)
    return words(d) if words else kind


def _issued(d: dict[str, Any]) -> str:
    officer, offence = d["issuing_officer"], d["offence"]
    basis = d["legal_basis"].replace("_", " ")
    return (
        f"{basis.capitalize()} issued by {officer['name']} ({officer['rank'].replace('_', ' ')}) for "
        f"{offence['category'].replace('_', ' ')} committed on {offence['committed_on']}; "
        f"caution period {d['conditions']['caution_period_days']} days."
    )


def _missed(d: dict[str, Any]) -> str:
    why = {"did_not_attend": "did not attend", "arrived_late": "arrived late (late entry is refused)",
           "left_early": "left early"}[d["reason"]]
    return f"Workshop {d['workshop']} missed: {why}. {d['note']}"


def _excuse(d: dict[str, Any]) -> str:
    if d["accepted"]:
        return f"Reasonable excuse for missing workshop {d['workshop']} accepted: {d['reason']}. Both workshops to be attended again."
    return f"Excuse for missing workshop {d['workshop']} rejected: {d['reason']}. Referred for a breach decision."


_DESCRIBERS = {
    "CautionIssued": _issued,
    "WorkshopScheduled": lambda d: f"Workshop {d['workshop']} booked for {_when(d['booking']['session_at'])} at {d['booking']['venue']}.",
    "WorkshopRescheduled": lambda d: (
        f"Workshop {d['workshop']} moved from {_when(d['previous']['session_at'])} to "
        f"{_when(d['booking']['session_at'])} at {d['booking']['venue']}: {d['reason']}"
    ),
    "WorkshopAAttended": lambda d: "Attended workshop A in full.",
    "WorkshopBAttended": lambda d: "Attended workshop B in full.",
    "WorkshopMissed": _missed,
    "ExcuseDecided": _excuse,
    "VictimContacted": lambda d: (
        f"Victim contact {'after workshop A' if d['stage'] == 'after_workshop_a' else 'on completion'} recorded "
        f"(outcome: {d['outcome'].replace('_', ' ')})."
    ),
    "ConditionsVaried": lambda d: (
        f"Caution period end changed from {d['previous_period_ends_on']} to {d['period_ends_on']}, "
        f"authorised by {d['authorised_by']}: {d['reason']}"
    ),
    "ComplianceDeadlinePassed": lambda d: f"The caution period ended on {d['period_ended_on']} without completion.",
    "Breached": lambda d: f"Breach decided ({d['outcome'].replace('_', ' ')}): {d['reason']}",
    "Completed": lambda d: "All conditions met; caution completed.",
    "Withdrawn": lambda d: f"Caution withdrawn: {d['reason']}",
    "EntryCorrected": lambda d: (
        f"Correction to entry {d['corrects_version']} ({d['corrected_type']}): {d['reason'].rstrip('.')}."
        + (f" Corrected time: {_when(d['corrected_occurred_at'])}." if d.get("corrected_occurred_at") else "")
    ),
}


def entry_from_row(row: Any) -> Entry:
    """The entry as the read model holds it, to re-hash and compare with the event store."""
    return Entry(
        caution_id=row.caution_id,
        entry=row.entry,
        event_type=row.event_type,
        summary=row.summary,
        occurred_at=datetime.fromisoformat(row.occurred_at),
        recorded_at=datetime.fromisoformat(row.recorded_at),
        recorded_by={"id": row.recorded_by_id, "role": row.recorded_by_role, "force": row.recorded_by_force},
        details=json.loads(row.details),
        corrects_entry=row.corrects_entry,
    )
