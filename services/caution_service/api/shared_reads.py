"""Reads that many waiting requests want at the same moment, made once.

A write wakes every long-poll waiting at the head, and they all ask for the same page: with 200 subscribers
that was 200 identical queries queued on the thread pool, ahead of the next police read (0.2-0.6 s behind
them, measured). Requests asking for the same thing while it is being read now share that one read; a
request arriving after it finished reads afresh, so nobody is answered with anything older than they would
have been.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

from starlette.concurrency import run_in_threadpool


class SharedReads:
    def __init__(self) -> None:
        self._reading: dict[Hashable, asyncio.Task[Any]] = {}
        self.reads = 0  # for tests: how many reads were actually made

    async def read(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """`read()` in the thread pool, unless a read of `key` is under way: then its answer."""
        task = self._reading.get(key)
        if task is None:
            self.reads += 1
            # A task of its own, not the first caller's: that caller going away must not end the others' read.
            task = asyncio.get_running_loop().create_task(run_in_threadpool(read))
            self._reading[key] = task
            task.add_done_callback(lambda _: self._reading.pop(key, None))
        return await asyncio.shield(task)
