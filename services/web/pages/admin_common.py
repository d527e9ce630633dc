"""What the admin pages share: the role check, the services, and rendering with the one-off success message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from shared.auth import Role

from ..people import Person, role

Admin = Annotated[Person, Depends(role(Role.ADMIN))]


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    return request.app.state.pages.render(request, template, context or {}, status=status)


