"""What the provider's pages share: who may open them, the backend call, a confirmation carried across a redirect,
the read model's position after a write, and the If-Match for the version a form was drawn from.

The caution service's lists and session views lag its writes by a moment. A page that redirects after a write
keeps the write's feed `position` in the session (never the address) and the next page asks the read model to
reach it (`min_position`), so the provider sees what they just recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.auth import Role
from shared.uk_time import uk_date

from ..forms import FieldErrors
from ..people import Person, role
from ..rendering import confirm

Provider = Annotated[Person, Depends(role(Role.PROVIDER))]
POSITION_KEY = "provider_position"
STALE = "This session changed since you opened the page: check it and try again"


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A provider page (no errors unless the context has some)."""
    response: HTMLResponse = request.app.state.pages.render(
        request, template, {"errors": FieldErrors(), **context}, status=status)
    return response


def done(request: Request, to: str, message: str, answer: dict[str, Any] | None = None) -> Response:
    """Post/Redirect/Get: the confirmation for the next page, and the write's position for its read."""
    confirm(request, message)
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


def has_begun(starts_at: str, skew: timedelta = timedelta(minutes=5)) -> bool:
    """Whether the caution service would take the session's register now (it allows five minutes' skew)."""
    return now() >= datetime.fromisoformat(starts_at) - skew


