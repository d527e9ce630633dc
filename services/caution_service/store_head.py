"""Waiting for the event store to move past a position: one watcher per process for every waiting reader.

Feed subscribers long-poll for up to 30 s and stream subscribers wait between events. Waiting in a
thread holds one of the thread pool's 40 threads per subscriber, and every plain `def` route (all the
reads) shares that pool: with 60 subscribers long-polling, a police read waited 7 s for a thread
(measured). So waiting readers await a future on the event loop, and while any is waiting, one task
looks at the store's head every 100 ms (other processes write to the store too, so it is asked, not
told) and releases every reader whose position it has passed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("cara.caution.store_head")
LOOK_EVERY_SECONDS = 0.1


class StoreHead:
    def __init__(self, read_head: Callable[[], int], every: float = LOOK_EVERY_SECONDS) -> None:
        self._read_head = read_head
        self._every = every
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._watcher: asyncio.Task[None] | None = None
        self.looks = 0  # how often the store was asked, for tests and curiosity

    async def wait_past(self, position: int, timeout: float) -> bool:
        """True once the store holds an event after `position`; False when `timeout` seconds pass first."""
        if timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        waiter = (position, loop.create_future())
        self._waiting.append(waiter)
        if self._watcher is None or self._watcher.get_loop() is not loop or self._watcher.done():
            self._watcher = loop.create_task(self._watch(), name="cara-store-head")
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
                head = await run_in_threadpool(self._read_head)
                self.looks += 1
            except Exception:  # the readers' own reads will say what is wrong; keep watching for them
                log.exception("could not read the event store's head")
            else:
                for position, future in self._waiting:
                    if head > position and not future.done():
                        future.set_result(None)
            await asyncio.sleep(self._every)
