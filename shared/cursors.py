"""Page cursors: base64url JSON of the last row's sort key, read back strictly.

A cursor comes back from the caller, so it is input like any other: whatever this service could not have given out
(a float, `Infinity`, an id past the database's integer range, a string the database cannot hold) is refused here as
a `BadCursor` (a 400 at the route), before it can reach a query and fail there as a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

MAX_ROW_ID = 2**63 - 1  # PostgreSQL's BIGINT, and SQLite's INTEGER


class BadCursor(ValueError):
    """A cursor this service did not give out."""


def _no_constant(name: str) -> Any:
    raise BadCursor(f"{name} is not a cursor value")


def unpack(cursor: str, fields: int) -> list[Any]:
    """The cursor's JSON array of exactly `fields` values."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")), parse_constant=_no_constant)
    except (ValueError, binascii.Error, UnicodeError) as e:
        raise BadCursor("The cursor is not one this service gave out.") from e
    if not isinstance(values, list) or len(values) != fields:
        raise BadCursor("The cursor is not one this service gave out.")
    return values


def moment(value: Any) -> datetime:
    """An RFC 3339 time with its offset, as the cursor was written."""
    if not isinstance(value, str) or len(value) > 40:
        raise BadCursor("The cursor is not one this service gave out.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise BadCursor("The cursor is not one this service gave out.") from e
    if parsed.tzinfo is None:
        raise BadCursor("The cursor is not one this service gave out.")
    return parsed


def day(value: Any) -> date:
    if not isinstance(value, str) or len(value) > 10:
        raise BadCursor("The cursor is not one this service gave out.")
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise BadCursor("The cursor is not one this service gave out.") from e


def row_id(value: Any) -> int:
    """A database row id: an integer (never a float or a bool) within the column's range."""
    if type(value) is not int or not 0 <= value <= MAX_ROW_ID:
        raise BadCursor("The cursor is not one this service gave out.")
    return value


def uuid_text(value: Any) -> str:
    """A UUID as the service writes them (lower case, hyphens)."""
    if not isinstance(value, str) or len(value) != 36:
        raise BadCursor("The cursor is not one this service gave out.")
    try:
        return str(UUID(value))
    except ValueError as e:
        raise BadCursor("The cursor is not one this service gave out.") from e
