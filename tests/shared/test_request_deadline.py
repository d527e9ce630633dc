"""A request with no answer by its deadline is told 503 with Retry-After; what has begun to answer is left alone
(shared/request_deadline.py). Over a real uvicorn server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from shared.request_deadline import RequestDeadline
from tests.service_processes import ThreadedUvicorn

DEADLINE = 0.5


async def stalled(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params.get("for", "3")))
    return JSONResponse({"late": True})


def stalled_in_a_thread(request: Request) -> Response:
    time.sleep(1.5)
    return JSONResponse({"late": True})


async def trickle(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"."
            await asyncio.sleep(0.4)
    return StreamingResponse(body())


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedUvicorn]:
    app = Starlette(routes=[Route("/stalled", stalled), Route("/thread", stalled_in_a_thread),
                            Route("/trickle", trickle)])
    running = ThreadedUvicorn(RequestDeadline(app, DEADLINE)).start()
    yield running
    running.stop()


@pytest.mark.alone
def test_no_answer_by_the_deadline_is_a_503_with_retry_after_at_the_deadline(server: ThreadedUvicorn) -> None:
    for path in ("/stalled", "/thread"):
        started = time.monotonic()
        answer = httpx.get(server.url + path, timeout=10)
        took = time.monotonic() - started
        assert (answer.status_code, answer.headers["retry-after"], answer.json()["type"]) == (
            503, "5", "/problems/deadline-passed")
        assert DEADLINE <= took < DEADLINE + 0.5, took


def test_a_long_poll_has_its_wait_on_top_of_the_deadline(server: ThreadedUvicorn) -> None:
    answer = httpx.get(server.url + "/stalled", params={"wait": 2, "for": 1.5}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"late": True}


def test_an_answer_that_has_begun_is_not_cut(server: ThreadedUvicorn) -> None:
    answer = httpx.get(server.url + "/trickle", timeout=10)
    assert (answer.status_code, answer.content) == (200, b"...")


def test_the_connection_serves_the_next_request_after_a_503(server: ThreadedUvicorn) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/stalled").status_code == 503
        assert client.get("/stalled", params={"for": 0}).status_code == 200


def test_work_that_ends_just_after_its_deadline_still_sends_the_503_before_it_returns() -> None:
    """The deadline's timer and the work's own wake-up fall in one turn of the loop: the work, its answer dropped,
    returned before the task sending the 503 had run, and uvicorn answered 500 for a request that never started
    its answer (seen in tests/faults/test_database_restart.py)."""
    sent: list[dict[str, object]] = []

    async def work(scope: object, receive: object, send: object) -> None:
        while deadline.expired == 0:  # one turn of the loop at a time: it ends in the turn after the deadline's
            await asyncio.sleep(0)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def call() -> list[dict[str, object]]:
        scope = {"type": "http", "method": "POST", "path": "/v1/cautions", "query_string": b"", "headers": []}
        await deadline(scope, receive, send)  # type: ignore[arg-type]
        return list(sent)  # what the server has been sent when the application returns

    deadline = RequestDeadline(work, 0.05)
    when_returned = asyncio.run(call())

    assert [m["type"] for m in when_returned][:1] == ["http.response.start"], when_returned
    assert when_returned[0]["status"] == 503
