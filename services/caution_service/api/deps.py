"""FastAPI dependencies: the application, the caller, role checks, If-Match and Idempotency-Key.

They do no blocking I/O, so they are `async def`: FastAPI then runs them on the event loop
instead of sending each one to the thread pool, which cost more than the work itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.problems import ProblemError

from ..application import CautionApplication
from .execution import CommandContext


async def get_application(request: Request) -> CautionApplication:
    return request.app.state.cautions


async def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


AppDep = Annotated[CautionApplication, Depends(get_application)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


# What `expected_version` accepts, documented so generated clients (and schemathesis) send well-formed values.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"*[0-9]+"*)\s*$'


async def expected_version(
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


async def idempotency_key(
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=200, json_schema_extra={"pattern": r"\S"})
    ] = None,
) -> str | None:
    if key is not None and not key.strip():
        raise ProblemError(400, "bad-idempotency-key", "Empty Idempotency-Key")
    return key


IfMatchDep = Annotated[int | None, Depends(expected_version)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]


def command_context(*roles: Role) -> Callable[..., object]:
    """Everything a command route needs, as one dependency: fewer dependencies to solve per request."""
    allowed = allow(*roles)

    # A default rather than Annotated: postponed annotations cannot see the local `allowed`.
    async def context(request: Request, key: IdempotencyKeyDep, principal: Principal = Depends(allowed)) -> CommandContext:
        state = request.app.state
        return CommandContext(state.cautions, state.writer, principal, state.clock, key)

    return context
