"""What the admin pages share: the role check, the services, and rendering with the one-off success message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from shared.auth import Role

from ..backend import backend_of
from ..people import Person, role

backend = backend_of  # the name this journey's pages use

Admin = Annotated[Person, Depends(role(Role.ADMIN))]


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    """The page, with the success message a redirect left for it (shown once: popped here)."""
    flash = request.session.pop("flash", None)
    return request.app.state.pages.render(request, template, {"flash": flash, **(context or {})}, status=status)


