"""Start-up that tolerates a sibling process creating the same tables at the same moment."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
log = logging.getLogger("cara.startup")


def _database_errors() -> tuple[type[BaseException], ...]:
    from eventsourcing.persistence import PersistenceError

    return (DBAPIError, PersistenceError)


def with_startup_retries(build: Callable[[], T], attempts: int = 5) -> T:
    """PostgreSQL's CREATE TABLE IF NOT EXISTS can still collide between processes; the loser just tries again."""
    for attempt in range(1, attempts + 1):
        try:
            return build()
        except _database_errors() as e:
            if attempt == attempts:
                raise
            log.warning("start-up attempt %d failed (%s); retrying", attempt, type(e).__name__)
            time.sleep(0.2 * attempt + random.random() * 0.2)
    raise AssertionError("unreachable")
