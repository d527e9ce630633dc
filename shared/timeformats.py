"""Dates and times as the API contract spells them, and nothing else.

Pydantic would also read a number as a Unix time (`due_before=0` as 1970-01-01),
which no caller means; a court record should say exactly what the caller sent.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, PlainValidator, TypeAdapter, WithJsonSchema

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})")


def iso_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be an ISO date, YYYY-MM-DD")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 time with an offset, e.g. 2026-03-02T10:00:00+00:00")


IsoDate = Annotated[date, BeforeValidator(iso_date)]
Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]

_AWARE = TypeAdapter(AwareDatetime)


# The days a record can be asked about: wide enough for any caution, narrow enough that the day's end, its UK time
# and its UTC time all exist (0001-01-01T00:00Z lies before the calendar in UK time, and 9999-12-31T23:00-12:00
# after it in UTC).
FIRST_DAY_ASKED, LAST_DAY_ASKED = date(1900, 1, 1), date(9999, 12, 30)


def _day_or_moment(value: Any) -> date | datetime:
    """A day (`YYYY-MM-DD`) stays a `date`, an RFC 3339 time becomes an aware `datetime`; anything else, numbers
    and bare words included, is refused (pydantic's own union would read `0` as 1970 or a date as midnight UTC)."""
    if isinstance(value, datetime):
        return _within_the_record(_AWARE.validate_python(value))
    if isinstance(value, date):
        return _within_the_record(value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return _within_the_record(date.fromisoformat(value))
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return _within_the_record(_AWARE.validate_python(value))
    raise ValueError("must be a date, YYYY-MM-DD, or an RFC 3339 time with an offset, e.g. 2026-03-02T10:00:00Z")


def _within_the_record(value: date | datetime) -> date | datetime:
    day = value.replace(tzinfo=None).date() if isinstance(value, datetime) else value
    if not FIRST_DAY_ASKED <= day <= LAST_DAY_ASKED:
        raise ValueError(f"must fall between {FIRST_DAY_ASKED} and {LAST_DAY_ASKED}")
    return value


DayOrMoment = Annotated[
    date | datetime,
    PlainValidator(_day_or_moment),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}),
]
"""A day (meaning the moment it ends in the UK: shared/uk_time.end_of_uk_day) or an exact time."""
