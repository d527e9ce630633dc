"""Who is signed in: read from the server-side session on every request; the pages each admit some roles."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from shared.auth import Role


class SignInNeeded(Exception):
    """No one is signed in (or their token has run out): the browser is sent to sign in."""


class WrongRole(Exception):
    """Signed in, but this page is for another role."""


@dataclass(frozen=True)
class Person:
    subject: str
    role: Role
    force: str
    name: str | None
    token: str  # the identity provider's access token: sent to the services, never to the browser

    def as_session(self, expires_at: float) -> dict[str, Any]:
        return {"subject": self.subject, "role": self.role.value, "force": self.force, "name": self.name,
                "token": self.token, "expires_at": expires_at}


def signed_in(request: Request) -> Person | None:
    stored = request.session.get("person")
    if not isinstance(stored, dict) or stored.get("expires_at", 0) <= time.time():
        return None
    return Person(stored["subject"], Role(stored["role"]), stored["force"], stored.get("name"), stored["token"])


def person(request: Request) -> Person:
    found = signed_in(request)
    if found is None:
        raise SignInNeeded()
    return found


def role(*roles: Role) -> Callable[[Request], Person]:
    """A dependency: the signed-in person, if theirs is one of `roles`."""

    def allowed(request: Request) -> Person:
        found = person(request)
        if found.role not in roles:
            raise WrongRole()
        return found

    return allowed
