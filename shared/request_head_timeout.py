"""Closing connections whose request head (request line and headers) does not arrive in time.

uvicorn times out an idle keep-alive connection, but once the first byte of a request has come it waits
for the rest of the head for ever. A client that sends half a request line and stops (a broken proxy, a
stalled network, or a slowloris attack on purpose) holds a connection and its memory as long as it likes,
and enough of them exhaust the server's file descriptors. So each connection gets a deadline from the
moment a request begins (or the connection opens) until its headers are complete; past it, the connection
is closed. Bodies and responses are not bounded here: a long-poll answer may take its 30 seconds.

Both of uvicorn's HTTP/1.1 parsers are covered, and the one chosen is the one uvicorn's `auto` would choose.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("cara.serve")
DEFAULT_SECONDS = 10.0


class _HeadDeadline:
    """Mixed into a uvicorn protocol: `_begin_head` when a request starts, `_end_head` once its headers are in."""

    head_seconds = DEFAULT_SECONDS
    _head_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _begin_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def _end_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            log.info("closed a connection whose request head was not complete after %.0f s", self.head_seconds)
            self.transport.close()


class H11HeadDeadline(_HeadDeadline, H11Protocol):
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._begin_head()  # a connection that never sends a whole head is as bad as one that stops half-way

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_head()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._begin_head()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._end_head()


def _httptools_protocol() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is optional; uvicorn's `auto` falls back to h11 likewise
        return None

    class HttpToolsHeadDeadline(_HeadDeadline, HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._begin_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._end_head()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            self._begin_head()
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._end_head()
            super().on_headers_complete()

    return HttpToolsHeadDeadline


@cache
def protocol_with_head_timeout(seconds: float = DEFAULT_SECONDS) -> type[asyncio.Protocol]:
    """The HTTP protocol class for `uvicorn.Config(http=...)`: uvicorn's own, with the head deadline."""
    base = _httptools_protocol() or H11HeadDeadline
    return type(f"{base.__name__}{round(seconds * 1000)}ms", (base,), {"head_seconds": seconds})
