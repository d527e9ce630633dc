"""The machine's cores, shared by pytest-xdist's workers: a test marked `alone` runs while no other test runs.

Such a test measures time (a latency bound, a deadline, a timeout that must not fire early) or loads both cores
itself: beside another worker's test it would measure that test too, or slow it past its own bounds. Every other
test holds the cores shared; an `alone` one holds them exclusively, so it waits for the test running beside it
to end, and the other worker waits for it.

Two flock(2) locks on files in the run's temporary directory, which the workers share: `cores` (shared or
exclusive) and a turnstile taken before it, which an `alone` test keeps until it ends. Without the turnstile a
worker running one short test after another could keep the shared lock held for good, and the `alone` test
would wait for ever.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class WorkerCores:
    def __init__(self, directory: Path) -> None:
        # flock(2) locks belong to an open file: each worker opens its own, once.
        self._turnstile = os.open(directory / "cores-turnstile.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._cores = os.open(directory / "cores.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._alone: bool | None = None  # what this worker holds: None when nothing

    def take(self, alone: bool) -> None:
        """Holding the cores alone already (the previous test was `alone` too) is enough for another such test."""
        if self._alone == alone:
            return
        self.release()
        fcntl.flock(self._turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._cores, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        except BaseException:
            fcntl.flock(self._turnstile, fcntl.LOCK_UN)
            raise
        if not alone:
            fcntl.flock(self._turnstile, fcntl.LOCK_UN)
        self._alone = alone

    def release(self) -> None:
        if self._alone is None:
            return
        fcntl.flock(self._cores, fcntl.LOCK_UN)
        if self._alone:
            fcntl.flock(self._turnstile, fcntl.LOCK_UN)
        self._alone = None

    def close(self) -> None:
        self.release()
        os.close(self._turnstile)
        os.close(self._cores)
