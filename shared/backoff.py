"""Capped exponential back-off for loops that retry a database or broker."""

from __future__ import annotations


class Backoff:
    """Waits that double after each failure up to `cap`: a database that comes back is used again within
    `cap` seconds, while one that stays down is not hammered."""

    def __init__(self, first: float = 0.5, cap: float = 2.0) -> None:
        self.first, self.cap = first, max(first, cap)
        self._next = first

    def next(self) -> float:
        wait, self._next = self._next, min(self._next * 2, self.cap)
        return wait

    def reset(self) -> None:
        self._next = self.first
