"""Compliance-history entries: each event in plain words (its catalogue sentence), its details (personal data
only sealed), and its hash.

The hash covers the entry's canonical content and the previous entry's hash, so
the last hash (the digest) changes if any earlier entry is altered. The method is shared/history_verifier.py's
(docs/verifying-a-compliance-history.md).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from shared.catalogue import spec
from shared.history_verifier import GENESIS as GENESIS
from shared.history_verifier import entry_hash as entry_hash

from ..domain.caution import event_name
from ..domain.values import RecordedBy

# The hash method (GENESIS, the canonical JSON, `entry_hash`) is the offline verifier's (shared/history_verifier.py),
# imported rather than copied: what is hashed here and what anyone recomputes from an export cannot differ.
_HIDDEN = {
    "originator_id", "originator_version", "originator_topic", "timestamp", "occurred_at", "recorded_at", "recorded_by"
}
# The stored `details` column: json.dumps(details, sort_keys=True).
details_json = json.JSONEncoder(sort_keys=True).encode


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
        optional = getattr(kind, "OMITTED_WHEN_NONE", ())
        if optional:  # fields added later: left out when absent, so what entries said before (and hashed) stands
            return lambda value: {name: plain(v) for name in names
                                  if (v := getattr(value, name)) is not None or name not in optional}
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


_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    str: _unchanged, int: _unchanged, bool: _unchanged, type(None): _unchanged,
    # Display fields (name, rank, collar number) only when given: an entry recorded without them keeps the content,
    # and so the hash, it was recorded with.
    RecordedBy: RecordedBy.as_dict,
}


def details_of(event: Any) -> dict[str, Any]:
    """Everything the event says except bookkeeping. Personal data is here only as the event holds it, sealed
    under its person's key, so the chain covers it and still verifies once that key is destroyed."""
    return {key: plain(value) for key, value in vars(event).items() if key not in _HIDDEN}


def entry_content(event: Any) -> dict[str, Any]:
    """The event's entry as it is hashed and stored: what `entry_from_row(row).content()` gives back."""
    details = details_of(event)
    kind = event_name(event)
    occurred = getattr(event, "occurred_at", None) or event.recorded_at
    return {
        "caution_id": str(event.originator_id),
        "entry": event.originator_version,
        "event_type": kind,
        "summary": spec(kind).sentence(details),  # the court's sentence, from the event catalogue
        "occurred_at": occurred.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "recorded_by": plain(event.recorded_by),
        "details": details,
        "corrects_entry": details.get("corrects_version"),
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
        recorded_by=recorded_by_of(row),
        details=json.loads(row.details),
        corrects_entry=row.corrects_entry,
    )


def recorded_by_of(row: Any) -> dict[str, str]:
    """Who recorded the entry, as its content holds it: a display field only when it was recorded."""
    return RecordedBy(row.recorded_by_id, row.recorded_by_role, row.recorded_by_force, row.recorded_by_name,
                      row.recorded_by_rank, row.recorded_by_collar_number).as_dict()
