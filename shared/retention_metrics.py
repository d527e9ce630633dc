"""What the retention job has erased, for /metrics: read from the tables it writes, so an API process reports
what a separate projection worker (the production shape) did as well as what its own thread did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import select
from sqlalchemy.engine import Engine

from .metrics import DatabaseGauges
from .retention_job import RetentionTables

Figures = tuple[dict[str, int], Any]  # deleted per item, the job's row in its runs table (or None)


class RetentionCollector(DatabaseGauges[Figures]):
    up_metric = "cara_retention_readable"
    up_help = "1 when this scrape could read what the retention job did"

    def __init__(self, engine: Engine, tables: RetentionTables, items: list[str], job: str = "retention") -> None:
        self.engine, self.tables, self.job = engine, tables, job
        self.items = items  # reported at 0 before their first erasure

    def read(self) -> Figures:
        runs, totals = self.tables.runs, self.tables.totals
        with self.engine.connect() as connection:
            deleted = {item: int(n) for item, n in connection.execute(select(totals.c.item, totals.c.deleted))}
            state = connection.execute(select(runs).where(runs.c.job == self.job)).first()
        return deleted, state

    def families(self, figures: Figures) -> Iterator[Metric]:
        deleted, state = figures
        total = CounterMetricFamily("cara_retention_deleted", "Items erased by the retention job since it began",
                                    labels=["item"])
        for item in sorted(set(self.items) | set(deleted)):
            total.add_metric([item], deleted.get(item, 0))
        yield total
        finished = GaugeMetricFamily("cara_retention_last_run_timestamp_seconds",
                                     "When the retention job last finished a day's run (0: never)")
        started = GaugeMetricFamily("cara_retention_last_started_timestamp_seconds",
                                    "When the retention job last started a run; later than the last finish "
                                    "while one runs or after one was cut short (it resumes)")
        finished.add_metric([], _seconds(state.last_finished_at if state else None))
        started.add_metric([], _seconds(state.last_started_at if state else None))
        yield finished
        yield started


def _seconds(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()  # SQLite keeps no zone
