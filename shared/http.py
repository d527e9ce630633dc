"""ASGI middleware both services use: request ids with the access log, and a hard cap on request body size."""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
import uuid

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Every response carries X-Request-ID: the caller's, when it is safe to echo, or a new one.

    The service also makes an id of its own for every request (`server_request_id`): records that must be
    trusted, like the consultation log, name the request by it, with the caller's kept beside it.

    Outermost of the service's middleware, it also binds both ids to every log line written while the request
    is answered, and writes the access line: method, route template, status, duration and those ids. Never the
    path or query, which may hold an offender's reference or a name.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope["headers"]).get(REQUEST_ID.encode(), b"").decode("latin-1")
        server_id = uuid.uuid4().hex
        safe = bool(_SAFE_ID.match(given))
        request_id = given if safe else server_id
        state = scope.setdefault("state", {})
        state["request_id"], state["server_request_id"] = request_id, server_id
        state["caller_request_id"] = given if safe else None
        status = 500  # what the caller gets when the application raises before answering
        structlog.contextvars.clear_contextvars()  # this request's task may have inherited another's
        structlog.contextvars.bind_contextvars(request_id=server_id, **({"caller_request_id": given} if safe else {}))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_access(scope, status, time.perf_counter() - started)
            structlog.contextvars.clear_contextvars()


access_log = logging.getLogger("cara.access")


def route_template(scope: Scope) -> str:
    """The matched route's template (`/v1/cautions/{caution_id}`), as the request metrics label it."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    method, route, ms = scope["method"], route_template(scope), round(seconds * 1000, 1)
    access_log.info("%s %s %d %.1f ms", method, route, status, ms,
                    extra={"method": method, "route": route, "status": status, "duration_ms": ms})


def bind_principal(principal_id: str, role: str, force: str) -> None:
    """Names the caller on the rest of the request's log lines (and its access line): the token's subject, an
    opaque id, never a person's name."""
    structlog.contextvars.bind_contextvars(principal_id=principal_id, role=role, force=force)


def outgoing_request_id() -> str:
    """The X-Request-ID to send on a call this service makes: the request's own id while answering one, so the
    other service's lines name it, or a new one for background work (bind it to that work's log lines)."""
    bound = structlog.contextvars.get_contextvars().get("request_id")
    return str(bound) if bound else uuid.uuid4().hex


class BodyLimitMiddleware:
    """Refuses bodies over the limit with 413 before the application reads them into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, counted_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"type": "/problems/payload-too-large", "title": "Request body too large", "status": 413,
             "detail": f"The limit is {self.max_bytes} bytes."}
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing re-raises it (413) instead of answering 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The limit is {max_bytes} bytes.")


# Query parameters whose values are personal data: never written to our access log. The caution service takes no
# name or date of birth in a URL (POST /v1/cautions/search takes them in the body), but a caller may still send them.
PERSONAL_QUERY_PARAMETERS = frozenset({"name", "offender_name", "date_of_birth", "offender_date_of_birth"})
REDACTED = "redacted"


def redact_query(path_with_query: str, personal: frozenset[str] = PERSONAL_QUERY_PARAMETERS) -> str:
    """The path with the values of personal query parameters replaced (keys compared decoded and casefolded)."""
    path, sep, query = path_with_query.partition("?")
    if not sep:
        return path_with_query
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if not any(key.casefold() in personal for key, _ in pairs):
        return path_with_query
    kept = [(key, REDACTED if key.casefold() in personal else value) for key, value in pairs]
    return f"{path}?{urllib.parse.urlencode(kept)}"


class AccessLogRedaction(logging.Filter):
    """Rewrites uvicorn's access-log line (`client - "METHOD path?query HTTP/x" status`) with `redact_query`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], redact_query(args[2]), args[3], args[4])
        return True


def install_access_log_redaction(logger_name: str = "uvicorn.access") -> None:
    """Once per process: uvicorn's access logger keeps its filters when uvicorn configures logging again."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, AccessLogRedaction) for f in logger.filters):
        logger.addFilter(AccessLogRedaction())
