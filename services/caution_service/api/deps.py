"""FastAPI dependencies: the application, the caller, role checks, If-Match and Idempotency-Key.

They do no blocking I/O, so they are `async def`: FastAPI then runs them on the event loop
instead of sending each one to the thread pool, which cost more than the work itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import StringConstraints, TypeAdapter, ValidationError

from shared.auth import Principal, Role
from shared.auth_deps import BEARER_SCHEME, allow, bearer_token, require_role, verify_bearer
from shared.problems import ProblemError

from ..application import CautionApplication
from ..consultations import Seen
from ..domain.caution import Caution
from ..domain.errors import CautionNotFound, require_same_force
from .execution import CommandContext


async def get_application(request: Request) -> CautionApplication:
    return request.app.state.cautions


async def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


AppDep = Annotated[CautionApplication, Depends(get_application)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
PurposeDep = Annotated[str | None, Header(
    alias="X-Purpose", max_length=200,
    description="Why you are consulting this record: kept with your id in the consultation log (DPA 2018 s.62).")]


# What If-Match accepts, documented so generated clients (and schemathesis) send well-formed values.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"*[0-9]+"*)\s*$'
IF_MATCH_MAX, IDEMPOTENCY_KEY_MAX = 100, 200

_if_match_text = TypeAdapter(Annotated[str, StringConstraints(max_length=IF_MATCH_MAX)])
_key_text = TypeAdapter(Annotated[str, StringConstraints(max_length=IDEMPOTENCY_KEY_MAX)])


def _header(request: Request, name: str, text: TypeAdapter[str], max_length: int) -> str | None:
    """A header checked as FastAPI checks a declared `Header(max_length=...)`, with the same 422 when too long.

    Only a header over the limit goes through pydantic, for its error: a validation costs more than
    the length check, on every command."""
    value = request.headers.get(name)
    if value is None or len(value) <= max_length:
        return value
    try:
        return text.validate_python(value)
    except ValidationError as e:
        raise RequestValidationError([{**err, "loc": ("header", name)} for err in e.errors()]) from None


def expected_version(if_match: str | None) -> int | None:
    """Reads `If-Match: "<version>"`; absent or `*` means the caller does not insist on a version."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()):  # str.isdigit() alone admits "²", which int() refuses
        raise ProblemError(400, "bad-if-match", "Malformed If-Match",
                           'Send the ETag you were given, e.g. If-Match: "3".')
    return int(tag)


def idempotency_key(key: str | None) -> str | None:
    if key is not None and not key.strip():
        raise ProblemError(400, "bad-idempotency-key", "Empty Idempotency-Key")
    return key


def command_context(*roles: Role, versioned: bool = True) -> Callable[..., Awaitable[CommandContext]]:
    """Everything a command route needs (caller, role check, Idempotency-Key, If-Match) as one dependency.

    FastAPI's cost per request grows with every dependency and declared header it solves, and on the
    command path that cost was a large share of the whole request. So this reads the headers itself,
    checking them exactly as the declared parameters did, and `command_docs` documents them.
    """

    async def context(request: Request) -> CommandContext:
        principal = require_role(verify_bearer(request, bearer_token(request)), roles)
        key = idempotency_key(_header(request, "Idempotency-Key", _key_text, IDEMPOTENCY_KEY_MAX))
        expected = expected_version(_header(request, "If-Match", _if_match_text, IF_MATCH_MAX)) if versioned else None
        state = request.app.state
        return CommandContext(state.cautions, state.writer, principal, state.clock, key, expected)

    return context


def command_docs(versioned: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a command route: the headers and the bearer scheme `command_context` reads."""
    parameters = [_header_doc("Idempotency-Key", IDEMPOTENCY_KEY_MAX, r"\S")]
    if versioned:
        parameters.append(_header_doc("If-Match", IF_MATCH_MAX, IF_MATCH_PATTERN))
    return {"parameters": parameters, "security": [{BEARER_SCHEME: []}]}


def _header_doc(name: str, max_length: int, pattern: str) -> dict[str, Any]:
    return {"in": "header", "name": name, "required": False,
            "schema": {"maxLength": max_length, "pattern": pattern, "title": name, "type": "string"}}


def log_consultation(request: Request, principal: Principal | None, caution_id: UUID | str, what: Seen,
                     purpose: str | None, detail: str | None = None) -> None:
    """Before the answer leaves: a consultation the log missed must be one the caller never received.

    The entry names the route by its template ("GET /v1/cautions/{caution_id}"), never by the values sent."""
    state = request.state
    route = request.scope.get("route")
    template = f"{request.method} {getattr(route, 'path', request.url.path)}"
    request.app.state.consultations.record(principal, caution_id, what, purpose,
                                           getattr(state, "server_request_id", None),
                                           getattr(state, "caller_request_id", None), template, detail)


def log_denied(request: Request, principal: Principal | None, status: int, slug: str) -> None:
    """A read of personal data refused: who asked (when known) on which route, for which caution, and the answer.

    Only what identifies the request: no body, no query values. The caution is the path's, when it names one."""
    given = request.path_params.get("caution_id")
    try:
        caution_id = str(UUID(str(given))) if given is not None else "*"
    except ValueError:
        caution_id = "*"
    purpose = request.headers.get("x-purpose")
    log_consultation(request, principal, caution_id, Seen.DENIED, purpose[:200] if purpose else None,
                     f"{status} {slug}")


def readable_caution(request: Request, app: CautionApplication, caution_id: UUID, principal: Principal) -> Caution:
    """The caution as it stands if it is the caller's force's; else 404, logged as a denied read. (A past state is
    time_axes.py's: the force is checked on the caution as it stands, so a caution not yet recorded then is still
    told apart from another force's.)

    The log, like the answer, does not say whether the caution is another force's or does not exist."""
    try:
        caution = app.get_caution(caution_id)
        require_same_force(caution.force, principal.force, caution_id)
    except CautionNotFound:
        log_denied(request, principal, 404, "not-found")
        raise
    return caution


async def _log_refusal(request: Request, principal: Principal | None, refusal: ProblemError) -> None:
    await run_in_threadpool(log_denied, request, principal, refusal.status, refusal.slug)


def personal_data_reader(*roles: Role, national: bool = False) -> Callable[..., Awaitable[Principal]]:
    """`allow(*roles)` for a route that shows personal data: every caller it refuses is logged as denied."""
    return allow(*roles, on_refusal=_log_refusal, national=national)
