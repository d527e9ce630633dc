"""A client that sends half a request and stops is cut off (shared/request_head_timeout.py), on a real socket.

Without the deadline uvicorn waits for the rest of the head for ever: these fail on the code before it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import pytest
import uvicorn

from shared.request_head_timeout import H11HeadDeadline, protocol_with_head_timeout
from shared.serve import ServeOptions
from tests.service_processes import free_port, wait_until

HEAD_SECONDS = 0.5
BOUND = HEAD_SECONDS + 1.5  # the deadline, and room for a busy two-core machine


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/slow":  # a long answer is not the client's fault: never cut by the head deadline
        await asyncio.sleep(HEAD_SECONDS * 3)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _httptools() -> type[asyncio.Protocol]:
    return protocol_with_head_timeout(HEAD_SECONDS)


def _h11() -> type[asyncio.Protocol]:
    return type("H11Test", (H11HeadDeadline,), {"head_seconds": HEAD_SECONDS})


@pytest.fixture(params=[_httptools, _h11], ids=["httptools", "h11"])
def server(request: pytest.FixtureRequest) -> Any:
    port = free_port()
    config = uvicorn.Config(hello, host="127.0.0.1", port=port, log_level="warning", http=request.param(),
                            timeout_keep_alive=30)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    wait_until(lambda: running.started, what="uvicorn to start")
    yield port
    running.should_exit = True
    thread.join(10)


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection (EOF or reset), or None if it stayed open."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(1024):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_half_a_request_line_is_cut_off_within_the_deadline(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /v1/cau")
        closed_after = _closed_within(sock, BOUND + 2)
    assert closed_after is not None, "the server kept a half-sent request open"
    assert HEAD_SECONDS * 0.8 <= closed_after <= BOUND


def test_headers_that_never_finish_are_cut_off_even_when_trickled(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        sock.settimeout(0.1)
        closed = False
        while time.monotonic() - started < BOUND + 2 and not closed:
            try:
                sock.sendall(b"X-Slow: a\r\n")  # one header at a time, never the blank line
                closed = sock.recv(1) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        assert closed and time.monotonic() - started <= BOUND


def test_a_whole_request_on_a_kept_alive_connection_is_answered_however_slowly(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(5)
        for path in (b"/", b"/slow", b"/"):
            sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"ok"):
                answer += sock.recv(1024)
            assert answer.startswith(b"HTTP/1.1 200")
            time.sleep(HEAD_SECONDS * 1.5)  # idle between requests is the keep-alive timeout's to judge


def test_both_services_are_served_with_the_deadline() -> None:
    config = ServeOptions("services.caution_service.main:create_app").uvicorn_config()
    assert config.http is protocol_with_head_timeout(ServeOptions.request_head_seconds)
