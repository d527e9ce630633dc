"""FastAPI dependencies: the application, the caller, role checks, If-Match and Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import InvalidToken, Principal, Role, TokenVerifier
from shared.problems import ProblemError

from ..application import CautionApplication

_bearer = HTTPBearer(auto_error=False, description="A JWT from the force's identity provider (`make token` locally).")


def get_application(request: Request) -> CautionApplication:
    return request.app.state.cautions


def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


def get_principal(
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


AppDep = Annotated[CautionApplication, Depends(get_application)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ProblemError(403, "forbidden", "Not allowed for this role", f"This needs one of: {allowed}.")
        return principal

    return check


# What `expected_version` accepts, documented so generated clients (and schemathesis) send well-formed values.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"*[0-9]+"*)\s*$'


def expected_version(
    if_match: Annotated[
        str | None, Header(alias="If-Match", max_length=100, json_schema_extra={"pattern": IF_MATCH_PATTERN})
    ] = None,
) -> int | None:
    """Reads `If-Match: "<version>"`; absent or `*` means the caller does not insist on a version."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()):  # str.isdigit() alone admits "²", which int() refuses
        raise ProblemError(400, "bad-if-match", "Malformed If-Match", 'Send the ETag you were given, e.g. If-Match: "3".')
    return int(tag)


def idempotency_key(
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=200, json_schema_extra={"pattern": r"\S"})
    ] = None,
) -> str | None:
    if key is not None and not key.strip():
        raise ProblemError(400, "bad-idempotency-key", "Empty Idempotency-Key")
    return key


IfMatchDep = Annotated[int | None, Depends(expected_version)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]
