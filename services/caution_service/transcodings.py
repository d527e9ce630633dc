"""Transcodings for every value that goes into a Caution event or snapshot.

Names are the classes' own names, not module paths, so stored events survive a
module being moved.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from .domain import values
from .domain.errors import StoreHoldsClearText


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_cls: type[Enum]) -> None:
        self.type = enum_cls
        self.name = enum_cls.__name__
        self._members = enum_cls._value2member_map_  # calling the enum costs more than decoding the rest of an event

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        try:
            return self._members[data]
        except (KeyError, TypeError):
            return self.type(data)  # aliases, _missing_, or the error for a value that is not a member


class DataclassAsDict(Transcoding):
    """Shallow: nested values are passed back to the transcoder, which encodes them in turn."""

    def __init__(self, cls: type) -> None:
        self.type = cls
        self.name = cls.__name__
        self._fields = [f.name for f in dataclasses.fields(cls)]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class OffenderAsDict(DataclassAsDict):
    """Refuses an offender recorded before identities were sealed (a name in clear), naming why."""

    def decode(self, data: dict[str, Any]) -> Any:
        if "name" in data:
            raise StoreHoldsClearText("an offender recorded with their name in clear")
        return super().decode(data)


class RecordedByAsDict(DataclassAsDict):
    """Leaves out the display fields (name, rank, collar number) that are absent, so an event recorded without them
    is stored exactly as it was before they existed; an event stored before then decodes with them absent."""

    def encode(self, obj: Any) -> dict[str, Any]:
        return obj.as_dict()


class BookingAsDict(DataclassAsDict):
    """Leaves `session_id` out when there is none (issue 18): a booking made with a free-text venue is stored exactly
    as bookings were before workshop sessions existed, and one stored then decodes with no session."""

    def encode(self, obj: Any) -> dict[str, Any]:
        encoded = super().encode(obj)
        if encoded["session_id"] is None:
            del encoded["session_id"]
        return encoded


def _members(kind: type) -> list[type]:
    found = []
    for obj in vars(values).values():
        if isinstance(obj, type) and obj is not kind and issubclass(obj, kind):
            found.append(obj)
    return found


def register_caution_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for enum_cls in _members(Enum):
        transcoder.register(EnumAsValue(enum_cls))
    for obj in vars(values).values():
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            transcoder.register(_transcoding_for(obj))


def _transcoding_for(cls: type) -> DataclassAsDict:
    if cls is values.Offender:
        return OffenderAsDict(cls)
    if cls is values.RecordedBy:
        return RecordedByAsDict(cls)
    if cls is values.Booking:
        return BookingAsDict(cls)
    return DataclassAsDict(cls)
