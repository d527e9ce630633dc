"""The daily retention job both services run: a list of steps, each erasing what its policy says has expired.

Exactly once per item across crashes: a step deletes in batches, and each batch's deletions, its entry
in the service's `*retention_log` and the running totals in `*retention_totals` commit in one
transaction, so a batch either happened and was counted or did neither. The day is marked done
(`*retention_runs`) only after every step has finished, so a run cut short is run again, and a step
asked again finds only what is left. A restart on a day already done does nothing. Two runners at once
(the embedded shape with several API processes) delete each row once between them: a row's deletion is
counted by whichever transaction deleted it.

Another step (a person's data erased when its period ends) is one more entry in the list.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    insert,
    not_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from .retention import RetentionConfig, RetentionPolicy

log = logging.getLogger("cara.retention")

@dataclass(frozen=True)
class RetentionTables:
    """Each service's own: both services' tables may live in one database (their version tables differ too)."""

    metadata: MetaData
    runs: Table  # the day each job last finished, so a restart does not redo it
    erasures: Table  # each batch erased: what, under whose policy, up to when, how many
    totals: Table  # what /metrics reports, kept beside the log so that a scrape does not sum it


def retention_tables(prefix: str) -> RetentionTables:
    metadata = MetaData()
    return RetentionTables(
        metadata,
        Table(f"{prefix}retention_runs", metadata,
              Column("job", String(64), primary_key=True),
              Column("last_run_on", Date),
              Column("last_started_at", DateTime(timezone=True)),
              Column("last_finished_at", DateTime(timezone=True))),
        Table(f"{prefix}retention_log", metadata,
              Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
              Column("at", DateTime(timezone=True), nullable=False),
              Column("item", String(64), nullable=False),
              # a force, or "*" for every force without a policy of its own
              Column("scope", String(64), nullable=False),
              Column("cutoff", DateTime(timezone=True), nullable=False),
              Column("deleted", Integer, nullable=False),
              Column("detail", String(200))),
        Table(f"{prefix}retention_totals", metadata,
              Column("item", String(64), primary_key=True),
              Column("deleted", BigInteger, nullable=False)),
    )


EVERY_FORCE = "*"


@dataclass
class Run:
    """One run of the job: its moment, a way to stop between batches, and the ledger each batch writes to."""

    tables: RetentionTables
    now: datetime
    stop: threading.Event = field(default_factory=threading.Event)
    counts: Counter[str] = field(default_factory=Counter)

    def record(self, connection: Connection, item: str, scope: str, cutoff: datetime, deleted: int,
               detail: str | None = None) -> None:
        """In the batch's own transaction: the erasure is logged and counted exactly when it happens."""
        if deleted <= 0:
            return
        erasures, totals = self.tables.erasures, self.tables.totals
        connection.execute(insert(erasures).values(at=self.now, item=item, scope=scope, cutoff=cutoff,
                                                   deleted=deleted, detail=detail))
        added = connection.execute(update(totals).where(totals.c.item == item)
                                   .values(deleted=totals.c.deleted + deleted)).rowcount
        if not added:
            connection.execute(insert(totals).values(item=item, deleted=deleted))
        self.counts[item] += deleted


class Step(Protocol):
    """Erases what has expired, batch by batch, each batch through `run.record`; safe to run again."""

    def apply(self, run: Run) -> None: ...


def scopes(config: RetentionConfig, matches: Callable[[str], ColumnElement[bool]]
           ) -> Iterator[tuple[str, RetentionPolicy, ColumnElement[bool]]]:
    """Each force with a policy of its own, then every other force under the default, as row filters."""
    own = config.forces_with_their_own()
    for force in own:
        yield force, config.policy_for(force), matches(force)
    yield EVERY_FORCE, config.policy_for(None), and_(true(), *[not_(matches(force)) for force in own])


class RetentionJob:
    def __init__(self, engine: Engine, tables: RetentionTables, steps: Sequence[Step],
                 clock: Callable[[], datetime], name: str = "retention") -> None:
        self.engine, self.tables, self.steps, self.clock, self.name = engine, tables, list(steps), clock, name

    def due(self) -> bool:
        runs = self.tables.runs
        with self.engine.connect() as connection:
            last = connection.execute(select(runs.c.last_run_on).where(runs.c.job == self.name)).scalar_one_or_none()
        return last is None or last < self.clock().date()

    def run_if_due(self, stop: threading.Event | None = None) -> Counter[str] | None:
        """The day's run, unless it is done already; None when it was."""
        return self.run(stop) if self.due() else None

    def run(self, stop: threading.Event | None = None) -> Counter[str]:
        """Every step; the day is marked done only if all of them finished (else the next call resumes)."""
        run = Run(self.tables, self.clock(), stop or threading.Event())
        self._mark(last_started_at=run.now)
        for step in self.steps:
            if run.stop.is_set():
                return run.counts
            step.apply(run)
        if not run.stop.is_set():
            self._mark(last_run_on=run.now.date(), last_finished_at=self.clock())
            log.info("retention run for %s erased %s", run.now.date(), dict(run.counts) or "nothing")
        return run.counts

    def _mark(self, **values: object) -> None:
        """One statement (INSERT ... ON CONFLICT DO UPDATE): two runners finishing at once on a fresh database both
        found no row to update and both inserted, and the second failed on the key (seen in CI, PostgreSQL)."""
        runs = self.tables.runs
        dialect = self.engine.dialect.name
        upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(runs).values(job=self.name, **values)
        with self.engine.begin() as connection:
            connection.execute(upsert.on_conflict_do_update(index_elements=[runs.c.job], set_=values))

    def run_in_thread(self, stop: threading.Event, check_every_seconds: float) -> threading.Thread:
        """Looks whether the day's run is due at once and then every `check_every_seconds`."""

        def loop() -> None:
            while not stop.is_set():
                try:
                    self.run_if_due(stop)
                except Exception:  # the next look resumes the run; the log says what failed
                    log.exception("retention run failed; it resumes at the next look")
                stop.wait(check_every_seconds)

        thread = threading.Thread(target=loop, name=f"cara-{self.name}", daemon=True)
        thread.start()
        return thread
