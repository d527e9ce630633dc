"""A bound on how long any request waits for an answer: past it, `503` with `Retry-After`.

Timeouts on the database bound what the server enforces (a statement that runs long, a connection that
cannot be opened), but a server that stops answering mid-query (a frozen host, a network partition that
drops no connection) holds a request for as long as it lasts: the client's bytes are acknowledged by the
kernel, so neither side's TCP notices, and psycopg has no deadline of its own. So each request gets a
deadline. When it passes before the answer has begun, the caller is told 503 at once and the work goes on,
its answer dropped: a command it was recording is recorded or not, and the caller's
retry with the same Idempotency-Key finds out which. An answer already begun is left to finish.

A long-poll's deadline is extended by the `wait` it asked for; streams are answered at once, so they never
meet it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem_response

log = logging.getLogger("cara.deadline")
RETRY_AFTER_SECONDS = 5


def asked_wait(scope: Scope) -> float:
    """The seconds a long-poll asked to wait (`?wait=`), which its deadline allows on top; 0 if none."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("wait", [])
    try:
        return max(0.0, min(float(values[-1]), 3600.0)) if values else 0.0
    except ValueError:
        return 0.0  # validation answers it, at once


class RequestDeadline:
    def __init__(self, app: ASGIApp, seconds: float, extra: Callable[[Scope], float] = asked_wait) -> None:
        self.app, self.seconds, self.extra = app, seconds, extra
        self.expired = 0  # for /metrics and tests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        # A timer, not a task of its own per request: this runs for every request, and the deadline almost never
        # passes (a task and a wait per request cost SQLite's busiest case about 5% of its commands per second).
        state = {"started": False, "abandoned": False}
        told: list[asyncio.Task[None]] = []  # the 503, once the deadline has passed
        loop = asyncio.get_running_loop()

        async def guarded(message: Message) -> None:
            if state["abandoned"]:
                return  # the caller has had its 503; the work's own answer goes nowhere
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        def expire() -> None:
            if state["started"]:
                return  # an answer under way is left to finish
            state["abandoned"] = True
            self.expired += 1
            log.warning("%s %s: no answer within %.0f s; answered 503", scope.get("method"), _template(scope),
                        self.seconds)
            answer = problem_response(
                503, "deadline-passed", "No answer in time",
                "A dependency did not answer in time. Try again; a command sent with an Idempotency-Key is "
                "answered as first recorded.", instance=scope.get("path"),
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            telling = loop.create_task(answer(scope, receive, send))
            telling.add_done_callback(_quietly)
            told.append(telling)

        timer = loop.call_later(self.seconds + self.extra(scope), expire)
        try:
            await self.app(scope, receive, guarded)  # the work goes on after a 503, and ends when it ends
        finally:
            timer.cancel()
            if told:
                # Work that ends just after its deadline must not return before its 503 is sent: the server would
                # find a request that never answered and say 500 ("returned without starting response").
                with contextlib.suppress(Exception):
                    await told[0]


def _template(scope: Scope) -> str:
    route: Any = scope.get("route")
    return str(getattr(route, "path", "(unrouted)"))  # never the path's values: they may identify someone


def _quietly(task: asyncio.Future[None]) -> None:
    with contextlib.suppress(BaseException):
        task.exception()  # retrieved, so a late failure of abandoned work is not reported as lost
