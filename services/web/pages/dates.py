"""GOV.UK date inputs (day, month, year fields) read into dates, and times of day typed as people type them, with
the Design System's error messages; a UK day and time as the moment the services take."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from shared.uk_time import UK

from ..forms import FieldErrors

_PARTS = ("day", "month", "year")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?([ap]\.?m\.?)?$")
_NAMED_TIMES = {"midday": time(12), "noon": time(12), "12noon": time(12), "12midday": time(12), "midnight": time(0)}


def parsed_date(values: dict[str, str], prefix: str, what: str, errors: FieldErrors, *,
                past: bool = False, today: date | None = None) -> date | None:
    """`values[f"{prefix}-day"]` and so on as a date; None, with an error against the day field, if not one."""
    parts = [values.get(f"{prefix}-{part}", "").strip() for part in _PARTS]
    field_id = f"{prefix}-day"
    if not any(parts):
        errors.add(field_id, f"Enter the {what}")
        return None
    if not all(parts):
        missing = [name for name, part in zip(_PARTS, parts, strict=True) if not part]
        errors.add(field_id, f"The {what} must include a {' and '.join(missing)}")
        return None
    try:
        day, month, year = (int(part) for part in parts)
        found = date(year, month, day)
    except ValueError:
        errors.add(field_id, f"The {what} must be a real date")
        return None
    if year < 1900:
        errors.add(field_id, f"The {what} must be after 1900")
        return None
    if past and found >= (today or date.today()):
        errors.add(field_id, f"The {what} must be in the past")
        return None
    return found


def date_fields(prefix: str, day: date | None) -> dict[str, str]:
    """A date input's three values, filled from a date (or empty)."""
    if day is None:
        return {f"{prefix}-{part}": "" for part in _PARTS}
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def parsed_time(value: str, field_id: str, what: str, errors: FieldErrors) -> time | None:
    """"14:30", "2:30pm", "2 p.m.", "2pm", "midday" as a time of day; None, with an error against the field, if not
    one."""
    text = value.strip().lower().replace(" ", "")
    if not text:
        errors.add(field_id, f"Enter the {what}")
        return None
    if text in _NAMED_TIMES:
        return _NAMED_TIMES[text]
    found = _TIME.match(text)
    hour = int(found[1]) if found else -1
    minute = int(found[2] or 0) if found else -1
    suffix = (found[3] or "").replace(".", "") if found else ""
    if suffix and 1 <= hour <= 12:
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif suffix:
        hour = -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        errors.add(field_id, f"The {what} must be a real time, like 2:30pm or 14:30")
        return None
    return time(hour, minute)


def uk_moment_of(day: date, at: time) -> datetime:
    """The moment a UK wall-clock day and time name (GMT or BST, whichever is in force then)."""
    return datetime.combine(day, at, tzinfo=UK)
