"""What the notification service knows of a caution once an event is applied. Pure: no I/O.

The rules need a caution's police reference and the end of its period; those reach the service
only through the events that set them. Which events those are, and which payload field sets which
fact, is the event catalogue's to say (`EventSpec.facts`, `EventSpec.opens_facts`): this module
only applies what an entry declares.

One fact sits inside an object the catalogue publishes whole: the gap the conditions set between the
two workshops (CautionIssued's `conditions`), which the booking deadlines of workshop A need. It is
read here from whichever event publishes that object, and is unknown (None) for a caution remembered
before the service kept it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, get_type_hints

from shared.catalogue import EventSpec


@dataclass(frozen=True)
class CautionFacts:
    caution_id: str
    force: str
    police_reference: str
    period_ends_on: date
    workshop_gap_days: int | None = None


# Facts inside a published object: fact -> (the payload field holding the object, the key within it).
WITHIN: Mapping[str, tuple[str, str]] = {"workshop_gap_days": ("conditions", "min_days_between_workshops")}

# The facts a catalogue entry can set (the others come from the envelope or WITHIN), and how each is read from JSON.
_READERS: dict[type, Callable[[Any], Any]] = {str: str, date: date.fromisoformat}
SETTABLE: Mapping[str, Callable[[Any], Any]] = {
    name: _READERS[kind] for name, kind in get_type_hints(CautionFacts).items()
    if name not in ("caution_id", "force", *WITHIN)
}


def _within(entry: EventSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    found = {}
    for fact, (outer, key) in WITHIN.items():
        if outer in entry.fields and isinstance(data.get(outer), Mapping) and data[outer].get(key) is not None:
            found[fact] = int(data[outer][key])
    return found


def facts_after(entry: EventSpec, subject: str, force: str, data: Mapping[str, Any],
                known: CautionFacts | None) -> CautionFacts | None:
    """The caution's facts after this event; None while the service never saw it issued.

    Raises KeyError, TypeError or ValueError on a payload that lacks or garbles a fact it should set.
    """
    changes = {fact: SETTABLE[fact](data[field]) for fact, field in entry.facts.items()} | _within(entry, data)
    if entry.opens_facts:
        return CautionFacts(caution_id=subject, force=force, **changes)
    if known is None or not changes:
        return known
    return dataclasses.replace(known, **changes)


def changed(before: CautionFacts, after: CautionFacts) -> dict[str, Any]:
    """The facts that differ, by name (what the store has to write)."""
    return {name: value for name, value in dataclasses.asdict(after).items() if getattr(before, name) != value}
