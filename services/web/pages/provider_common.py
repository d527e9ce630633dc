"""What the provider's pages share: who may open them, the backend call, a confirmation carried across a redirect,
the read model's position after a write, and times typed into a form.

The caution service's lists and session views lag its writes by a moment. A page that redirects after a write
keeps the write's feed `position` in the session (never the address) and the next page asks the read model to
reach it (`min_position`), so the provider sees what they just recorded.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.auth import Role
from shared.uk_time import UK, uk_date

from ..backend import Backend
from ..forms import FieldErrors
from ..people import Person, role

Provider = Annotated[Person, Depends(role(Role.PROVIDER))]
POSITION_KEY = "provider_position"
FLASH_KEY = "flash"
STALE = "This session changed since you opened the page: check it and try again"
STALE_CAUTION = "This caution changed since you opened the page: check it and try again"
TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A provider page, with the confirmation the last write left (shown once)."""
    flash = request.session.pop(FLASH_KEY, None)
    response: HTMLResponse = request.app.state.pages.render(
        request, template, {"flash": flash, "errors": FieldErrors(), **context}, status=status)
    return response


def done(request: Request, to: str, message: str, answer: dict[str, Any] | None = None) -> Response:
    """Post/Redirect/Get: the confirmation for the next page, and the write's position for its read."""
    request.session[FLASH_KEY] = message
    position = (answer or {}).get("position")
    if isinstance(position, int):
        request.session[POSITION_KEY] = position
    return RedirectResponse(to, status_code=303)


def min_position(request: Request) -> dict[str, int]:
    """The `min_position` query parameter for the first read after a write (once: later reads need not wait)."""
    position = request.session.pop(POSITION_KEY, None)
    return {"min_position": position} if isinstance(position, int) else {}


def today() -> date:
    return uk_date(datetime.now(UTC))


def now() -> datetime:
    return datetime.now(UTC)


def parsed_time(value: str, field_id: str, what: str, errors: FieldErrors) -> time | None:
    """"2:30pm", "14:30", "9am" as a time of day; None, with an error against the field, if not one."""
    found = TIME.match(value.strip().lower().replace(" ", ""))
    if not value.strip():
        errors.add(field_id, f"Enter the {what}")
        return None
    if found is None:
        errors.add(field_id, f"Enter the {what} like 2:30pm or 14:30")
        return None
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), found.group(3)
    if half:
        if not 1 <= hour <= 12:
            errors.add(field_id, f"The {what} must be a real time, like 2:30pm")
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        errors.add(field_id, f"The {what} must be a real time, like 14:30")
        return None
    return time(hour, minute)


def uk_moment_of(day: date, at: time) -> datetime:
    """The moment a UK wall-clock day and time name (GMT or BST, whichever is in force then)."""
    return datetime.combine(day, at, tzinfo=UK)


def date_fields(prefix: str, day: date | None) -> dict[str, str]:
    """A date input's three values, filled from a date (or empty)."""
    if day is None:
        return {f"{prefix}-day": "", f"{prefix}-month": "", f"{prefix}-year": ""}
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def has_begun(starts_at: str, skew: timedelta = timedelta(minutes=5)) -> bool:
    """Whether the caution service would take the session's register now (it allows five minutes' skew)."""
    return now() >= datetime.fromisoformat(starts_at) - skew


def etag(version: Any) -> dict[str, str]:
    """If-Match for the version the page was rendered with; none when the form did not carry one."""
    text = str(version or "").strip()
    return {"If-Match": f'"{text}"'} if text.isdigit() else {}
