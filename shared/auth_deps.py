"""FastAPI dependencies for bearer-token callers, used by both services (app.state.verifier verifies).

Verifying a signature is quick CPU work, so these are `async def` and skip the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .auth import InvalidToken, Principal, Role, TokenVerifier
from .problems import ProblemError

_bearer = HTTPBearer(auto_error=False, description="A JWT from the force's identity provider (`make token` locally).")


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    challenge = {"WWW-Authenticate": 'Bearer realm="cara"'}
    if credentials is None:
        raise ProblemError(401, "unauthorized", "Authentication required", "Send a bearer token.", headers=challenge)
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as e:
        raise ProblemError(401, "unauthorized", "Authentication required", f"The token was refused: {e}", headers=challenge) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ProblemError(403, "forbidden", "Not allowed for this role", f"This needs one of: {allowed}.")
        return principal

    return check
