"""GOV.UK date inputs (day, month, year fields) read into dates, with the Design System's error messages."""

from __future__ import annotations

from datetime import date

from ..forms import FieldErrors


def parsed_date(values: dict[str, str], prefix: str, what: str, errors: FieldErrors, *,
                past: bool = False, today: date | None = None) -> date | None:
    """`values[f"{prefix}-day"]` and so on as a date; None, with an error against the day field, if not one."""
    parts = [values.get(f"{prefix}-{part}", "").strip() for part in ("day", "month", "year")]
    field_id = f"{prefix}-day"
    if not any(parts):
        errors.add(field_id, f"Enter the {what}")
        return None
    if not all(parts):
        missing = [name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part]
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
