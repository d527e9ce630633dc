"""A minimal asyncio HTTP/1.1 client for the load generators: one persistent connection per client.

httpx's AsyncClient spends about 2.6 ms of CPU per request on this machine, as much as the server
being measured, and both share the same two cores. This client builds the request bytes itself and
parses only what the benchmarks need (status, headers, a Content-Length or chunked body), so the
load generator's own cost stays small.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case; a repeated header's values joined with ", "
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NothingRead(Exception):
    """The connection ended before the first byte of the response."""


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time on it."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.opened = 0  # sockets opened so far, reconnects included
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._answered = 0  # responses read on the current socket

    async def connect(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._host = f"Host: {host}:{port}\r\n"
        await self._open()

    async def _open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._answered = 0
        self.opened += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> Response:
        head = [f"{method} {path} HTTP/1.1\r\n", self._host]
        has_type = False
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n")
            has_type = has_type or name.lower() == "content-type"
        if body is not None and not has_type:
            head.append("Content-Type: application/json\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1") + (body or b"")

        async with asyncio.timeout(self.timeout):
            # A server that closed an idle connection has usually told us so by now: no need to try it.
            if self._reader is None or self._reader.at_eof():
                await self._open()
            reused = self._answered > 0
            try:
                return await self._exchange(method, data)
            except _NothingRead:
                # The close raced with the request. Nothing of a response came back, so the server did
                # not answer it; sending it again is what browsers and httpx do, and every benchmark
                # command carries an Idempotency-Key besides. A fresh connection that fails is an error.
                if not reused:
                    raise ConnectionError(f"{self.host}:{self.port} closed the connection without answering") from None
                await self._open()
                return await self._exchange(method, data)

    async def _exchange(self, method: str, data: bytes) -> Response:
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        try:
            try:
                writer.write(data)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as e:
                if e.partial:
                    raise ConnectionError(f"connection closed inside a response head: {e.partial[:200]!r}") from e
                raise _NothingRead from e
            except (ConnectionResetError, BrokenPipeError) as e:
                # A reset before any head arrived: the server had dropped the connection (what it
                # answers when written to after closing).
                raise _NothingRead from e
            lines = head[:-4].split(b"\r\n")
            version, status_text = lines[0].split(b" ", 2)[:2]
            status = int(status_text)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                key, text = name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            keep_alive = "close" not in headers.get("connection", "").lower() and version == b"HTTP/1.1"
            if method == "HEAD" or status < 200 or status in (204, 304):
                body = b""
            elif "chunked" in headers.get("transfer-encoding", "").lower():
                body = await _read_chunked(reader)
            elif "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            else:  # no length given: the body runs to the end of the connection
                body, keep_alive = await reader.read(), False
        except BaseException:
            self.close()  # whatever is left on the socket would be read as the next response
            raise
        if keep_alive:
            self._answered += 1
        else:
            self.close()
        return Response(status, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, not needed
                pass
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])
