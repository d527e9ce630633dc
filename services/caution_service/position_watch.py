"""Waiting for a position to move on (the event store's head, the read models' position): one watcher
per process for every waiting request.

Feed subscribers long-poll for up to 30 s and stream subscribers wait between events; a read that
asks for its own write (`min_position`) waits for the read models. Waiting in a thread holds one of
the thread pool's 40 threads per request, and every plain `def` route (all the reads, readiness)
shares that pool: with 60 subscribers long-polling, a police read waited 7 s for a thread (measured).
So waiting requests await a future on the event loop, and while any is waiting, one task reads the
position every so often (other processes write too, so it is asked) and releases every request whose
position it has passed. Where this process itself moves the position (its writer saves, its embedded
projector commits a batch), `poke` has it look at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("cara.caution.position_watch")


class PositionWatch:
    def __init__(self, name: str, read_position: Callable[[], int], every: float) -> None:
        self.name = name
        self._read_position = read_position
        self._every = every
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._watcher: asyncio.Task[None] | None = None
        self._poked = asyncio.Event()
        self.looks = 0  # how often the position was read, for tests and curiosity

    def poke(self, position: int | None = None) -> None:
        """The position has just moved (to `position`, when the caller knows it): release whoever waited for
        it now rather than at the next look. Callable from any thread."""
        watcher = self._watcher
        if watcher is None or watcher.done() or not self._waiting:
            return
        try:
            if position is None:
                watcher.get_loop().call_soon_threadsafe(self._poked.set)
            else:
                watcher.get_loop().call_soon_threadsafe(self._release, position)
        except RuntimeError:  # that loop has closed
            pass

    def _release(self, now: int) -> None:
        for position, future in self._waiting:
            if now > position and not future.done():
                future.set_result(None)

    async def wait_past(self, position: int, timeout: float) -> bool:
        """True once the watched position is past `position`; False when `timeout` seconds pass first."""
        if timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        waiter = (position, loop.create_future())
        self._waiting.append(waiter)
        if self._watcher is None or self._watcher.get_loop() is not loop or self._watcher.done():
            self._watcher = loop.create_task(self._watch(), name=f"cara-watch-{self.name}")
        try:
            await asyncio.wait_for(waiter[1], timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiting.remove(waiter)

    async def _watch(self) -> None:
        while self._waiting:
            try:
                now = await run_in_threadpool(self._read_position)
                self.looks += 1
            except Exception:  # the requests' own reads will say what is wrong; keep watching for them
                log.exception("could not read %s", self.name)
            else:
                self._release(now)
            try:
                await asyncio.wait_for(self._poked.wait(), self._every)
            except TimeoutError:
                pass
            self._poked.clear()
