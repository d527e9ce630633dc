"""bench/raw_http.py against real servers: uvicorn serving a small Starlette app, and scripted sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from bench.raw_http import Connection

PEERS: list[tuple[str, int]] = []  # the client address of every request the app saw, in order


def _peer(request: Request) -> tuple[str, int]:
    assert request.client is not None  # always known over TCP
    return request.client.host, request.client.port


async def echo(request: Request) -> Response:
    PEERS.append(_peer(request))
    body = await request.body()
    return JSONResponse(
        {"method": request.method, "path": request.url.path, "query": request.url.query,
         "content_type": request.headers.get("content-type"), "content_length": request.headers.get("content-length"),
         "x_test": request.headers.get("x-test"), "body": json.loads(body) if body else None},
        status_code=201, headers={"ETag": '"7"', "Location": "/v1/things/1"},
    )


async def chunked(request: Request) -> Response:
    PEERS.append(_peer(request))

    async def parts():
        for i in range(5):
            yield f"part {i};".encode()

    return StreamingResponse(parts(), media_type="text/plain")  # no length: uvicorn sends it chunked


async def closing(request: Request) -> Response:
    PEERS.append(_peer(request))
    return PlainTextResponse("bye", headers={"Connection": "close"})


async def missing(request: Request) -> Response:
    PEERS.append(_peer(request))
    return PlainTextResponse("no such thing", status_code=404)


APP = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/chunked", chunked),
                        Route("/close", closing), Route("/missing", missing)])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port
    srv.should_exit = True
    thread.join(10)


def run(test: Callable[[Connection], Awaitable[None]], port: int) -> Connection:
    async def main() -> Connection:
        conn = Connection(timeout=5)
        await conn.connect("127.0.0.1", port)
        try:
            await test(conn)
        finally:
            conn.close()
        return conn

    PEERS.clear()
    return asyncio.run(main())


def test_status_headers_and_json_body_round_trip(server: int) -> None:
    sent = {"name": "Alex Exämple", "n": [1, 2.5, None], "ok": True}

    async def test(conn: Connection) -> None:
        r = await conn.request("POST", "/echo?x=1", {"X-Test": "yes"}, json.dumps(sent).encode())
        assert r.status == 201
        assert r.headers["etag"] == '"7"' and r.headers["location"] == "/v1/things/1"
        assert r.headers["content-type"] == "application/json"
        assert int(r.headers["content-length"]) == len(r.body)
        got = r.json()
        assert got["body"] == sent
        assert got["method"] == "POST" and got["path"] == "/echo" and got["query"] == "x=1"
        assert got["content_type"] == "application/json" and got["x_test"] == "yes"
        assert got["content_length"] == str(len(json.dumps(sent).encode()))

        r = await conn.request("GET", "/missing", {})
        assert (r.status, r.text) == (404, "no such thing")

    run(test, server)


def test_a_get_has_no_body_headers(server: int) -> None:
    async def test(conn: Connection) -> None:
        got = (await conn.request("GET", "/echo", {})).json()
        assert got["method"] == "GET" and got["content_type"] is None and got["content_length"] is None

    run(test, server)


def test_many_requests_share_one_connection(server: int) -> None:
    async def test(conn: Connection) -> None:
        for i in range(50):
            r = await conn.request("POST", "/echo", {}, json.dumps({"i": i}).encode())
            assert r.status == 201 and r.json()["body"] == {"i": i}  # each answer belongs to its own request

    conn = run(test, server)
    assert len(PEERS) == 50
    assert len(set(PEERS)) == 1, "the server saw more than one connection"
    assert conn.opened == 1


def test_chunked_response(server: int) -> None:
    async def test(conn: Connection) -> None:
        r = await conn.request("GET", "/chunked", {})
        assert r.headers.get("transfer-encoding") == "chunked" and "content-length" not in r.headers
        assert r.body == b"part 0;part 1;part 2;part 3;part 4;"
        r = await conn.request("GET", "/echo", {})  # the connection is still in step after the chunks
        assert r.status == 201 and r.json()["path"] == "/echo"

    conn = run(test, server)
    assert len(set(PEERS)) == 1 and conn.opened == 1


def test_reconnects_after_connection_close(server: int) -> None:
    async def test(conn: Connection) -> None:
        assert (await conn.request("GET", "/echo", {})).status == 201
        r = await conn.request("GET", "/close", {})
        assert (r.status, r.text, r.headers["connection"]) == (200, "bye", "close")
        r = await conn.request("POST", "/echo", {}, b'{"after": "close"}')
        assert r.status == 201 and r.json()["body"] == {"after": "close"}

    conn = run(test, server)
    assert PEERS[0] == PEERS[1] != PEERS[2]
    assert conn.opened == 2


# ----- scripted servers: what uvicorn will not do on demand ---------------------------------------------

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
ReadRequest = Callable[[], Awaitable[bytes]]
Handler = Callable[[int, ReadRequest, asyncio.StreamWriter], Awaitable[None]]


async def scripted(handler: Handler, test: Callable[[Connection, list[bytes]], Awaitable[None]]) -> Connection:
    """A server whose n-th connection (from 0) is handler(n, read_request, writer); the test sees every request read."""
    count, requests = 0, []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        n, count = count, count + 1

        async def read_request() -> bytes:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            requests.append(head + await reader.readexactly(length))
            return requests[-1]

        try:
            await handler(n, read_request, writer)
        finally:
            writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    conn = Connection(timeout=5)
    try:
        await conn.connect("127.0.0.1", srv.sockets[0].getsockname()[1])
        await test(conn, requests)
    finally:
        conn.close()
        srv.close()
    return conn


def test_resends_when_a_reused_connection_ends_before_any_response_byte() -> None:
    async def handler(n: int, read: ReadRequest, writer: asyncio.StreamWriter) -> None:
        await read()
        writer.write(OK)
        if n == 0:
            await read()  # the second request arrives just as this server gives up on the connection
            return
        while True:
            await read()
            writer.write(OK)

    async def test(conn: Connection, requests: list[bytes]) -> None:
        assert (await conn.request("POST", "/a", {}, b"{}")).body == b"ok"
        r = await conn.request("POST", "/b", {"Idempotency-Key": "k"}, b'{"x":1}')
        assert (r.status, r.body) == (200, b"ok")
        assert [req.split(b" ")[1] for req in requests] == [b"/a", b"/b", b"/b"]  # /b sent again, once
        assert requests[1] == requests[2]

    conn = asyncio.run(scripted(handler, test))
    assert conn.opened == 2


def test_does_not_resend_after_part_of_a_response() -> None:
    async def handler(n: int, read: ReadRequest, writer: asyncio.StreamWriter) -> None:
        await read()
        writer.write(OK)
        await read()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Le")  # then the connection ends

    async def test(conn: Connection, requests: list[bytes]) -> None:
        await conn.request("POST", "/a", {}, b"{}")
        with pytest.raises(ConnectionError, match="inside a response head"):
            await conn.request("POST", "/b", {}, b"{}")
        assert len(requests) == 2  # the POST was not sent a second time

    conn = asyncio.run(scripted(handler, test))
    assert conn.opened == 1


def test_a_fresh_connection_closed_without_an_answer_is_an_error() -> None:
    async def handler(n: int, read: ReadRequest, writer: asyncio.StreamWriter) -> None:
        await read()

    async def test(conn: Connection, requests: list[bytes]) -> None:
        with pytest.raises(ConnectionError, match="without answering"):
            await conn.request("POST", "/a", {}, b"{}")
        assert len(requests) == 1

    asyncio.run(scripted(handler, test))


def test_body_to_end_of_connection_then_a_new_connection() -> None:
    async def handler(n: int, read: ReadRequest, writer: asyncio.StreamWriter) -> None:
        await read()  # no Content-Length and no chunking: the body runs to the end of the connection
        writer.write(b"HTTP/1.1 200 OK\r\nX-Conn: %d\r\nX-Multi: a\r\nX-Multi: b\r\n\r\nuntil the end" % n)

    async def test(conn: Connection, requests: list[bytes]) -> None:
        r = await conn.request("GET", "/a", {})
        assert (r.body, r.headers["x-conn"], r.headers["x-multi"]) == (b"until the end", "0", "a, b")
        r = await conn.request("GET", "/b", {})
        assert (r.body, r.headers["x-conn"]) == (b"until the end", "1")
        assert len(requests) == 2

    conn = asyncio.run(scripted(handler, test))
    assert conn.opened == 2
