"""Dates and times as the API contract spells them, and nothing else.

Pydantic would also read a number as a Unix time (`due_before=0` as 1970-01-01),
which no caller means; a court record should say exactly what the caller sent.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

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
