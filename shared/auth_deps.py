"""FastAPI dependencies for bearer-token callers, used by both services (app.state.verifier verifies).

Verifying a signature is quick CPU work, so these are `async def` and skip the thread pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from .auth import NATIONAL, InvalidToken, Principal, Role, TokenVerifier
from .jwks import KeysUnavailable
from .problems import ProblemError

_bearer = HTTPBearer(auto_error=False, description="A JWT from the force's identity provider (`make token` locally).")
BEARER_SCHEME = _bearer.scheme_name  # the name routes that read the token themselves document it under


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    return refuse_national_scope(verify_bearer(request, credentials.credentials if credentials else None))


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, read as HTTPBearer reads it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


def verify_bearer(request: Request, token: str | None) -> Principal:
    challenge = {"WWW-Authenticate": 'Bearer realm="cara"'}
    if token is None:
        raise ProblemError(401, "unauthorized", "Authentication required", "Send a bearer token.", headers=challenge)
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.verify(token)
    except InvalidToken as e:
        raise ProblemError(401, "unauthorized", "Authentication required", f"The token was refused: {e}",
                           headers=challenge) from None
    except KeysUnavailable as e:  # our side: the token may be fine, retry shortly
        raise ProblemError(503, "keys-unavailable", "Cannot verify tokens yet", f"{str(e).capitalize()}.",
                           headers={"Retry-After": "5"}) from None


def require_role(principal: Principal, roles: tuple[Role, ...], national: bool = False) -> Principal:
    """The caller, if its role is one of `roles`; a token for force "*" only where `national` (the feed)."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ProblemError(403, "forbidden", "Not allowed for this role", f"This needs one of: {allowed}.")
    return refuse_national_scope(principal, national)


def refuse_national_scope(principal: Principal, national: bool = False) -> Principal:
    """Force "*" is refused unless the route reads every force (the feed, the outcomes report) and the caller holds
    the grant.

    Refused here, where every caller is admitted, rather than route by route: a route written later cannot forget
    it, and nothing can be issued, subscribed or read under "*"."""
    if principal.force != NATIONAL or (national and principal.national):
        return principal
    if national:
        detail = ("A token for every force (force \"*\") is accepted here only from a subscriber or commissioner "
                  "listed in the national subscribers or commissioners setting; ask for a token for your force, or "
                  "to be listed.")
    else:
        detail = ("A token for every force (force \"*\") is accepted only by the event feed and the outcomes "
                  "report; use a token for one force.")
    raise ProblemError(403, "national-scope", "National scope not granted", detail)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


Refusal = Callable[[Request, Principal | None, ProblemError], Awaitable[None]]


def allow(*roles: Role, on_refusal: Refusal | None = None,
          national: bool = False) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given roles; `on_refusal` hears of each caller it refuses (401 or 403),
    with the caller when its token was good, before the refusal is answered. `national`: the route also admits
    a granted national subscriber (force "*"); every other route refuses force "*"."""

    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        principal = None
        try:
            principal = verify_bearer(request, credentials.credentials if credentials else None)
            return require_role(principal, roles, national)
        except ProblemError as refusal:
            if on_refusal is not None and refusal.status in (401, 403):
                await on_refusal(request, principal, refusal)
            raise

    return check
