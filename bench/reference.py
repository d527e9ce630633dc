"""The issue's yardstick, measured here: the raw library, a minimal aggregate, one thread.

Issue 2 sets the service's target by "the raw library alone": read-modify-write of a small
aggregate from one thread. This measures that on the machine and database at hand, beside the
service, so the comparison is made in one run and not against a number from elsewhere. A counter
aggregate is read from the store (no cache), changed by one event, and saved, cycling over a pool of
aggregates so that each read replays a few events, as a caution's would.

Persistence modules: eventsourcing-sqlalchemy (what the service uses) on both databases, and
eventsourcing's own recorders (`eventsourcing.sqlite`, `eventsourcing.postgres`), which are
presumably where the issue's figures come from.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from sqlalchemy.engine import make_url

from .stats import summary_ms

POOL = 300


class Counter(Aggregate):
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


class Counters(Application):
    pass


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def persistence_options(database_url: str) -> dict[str, dict[str, str]]:
    """Persistence module name -> Application environment, for the database at this URL."""
    options = {"eventsourcing-sqlalchemy": {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                                            "SQLALCHEMY_URL": database_url}}
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        options["eventsourcing.sqlite"] = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                           "SQLITE_DBNAME": f"{url.database}-reference.db"}
    elif url.get_backend_name() == "postgresql":
        search_path = str(url.query.get("options", "")).removeprefix("-csearch_path=")
        options["eventsourcing.postgres"] = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": url.database or "",
            "POSTGRES_HOST": url.host or "127.0.0.1", "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres", "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_SCHEMA": search_path or "public",
        }
    return options


def run_reference(env: dict[str, str], max_events: int, max_seconds: float) -> dict[str, Any]:
    with _environment(env):
        app = Counters()  # AGGREGATE_CACHE_MAXSIZE unset: no cache, every command reads the store
    try:
        ids = []
        for i in range(POOL):
            counter = Counter(f"c{i}")
            app.save(counter)
            ids.append(counter.id)
        latencies: list[float] = []
        start = time.perf_counter()
        deadline = start + max_seconds
        while len(latencies) < max_events and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            counter = app.repository.get(ids[len(latencies) % POOL])
            counter.increment(1)
            app.save(counter)
            latencies.append(time.perf_counter() - t0)
        wall = time.perf_counter() - start
    finally:
        app.close()
    return {"events": len(latencies), "wall_seconds": round(wall, 3),
            "events_per_second": round(len(latencies) / wall, 1), "latency": summary_ms(latencies)}
