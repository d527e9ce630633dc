"""Runs the projections over the event store, exactly once per event.

Each batch is one database transaction: the read-model rows and every
projection's new position are committed together, so a crash at any point
either keeps a whole batch or none of it (and its commit need not wait for
the disk: relaxed_commit.py). Positions advance by compare-and-set,
so a second projector that slips past the leader lock fails instead of doubling rows.

A rebuild (`Projector.rebuild`) reads the store caution by caution instead of in position order,
so that it never needs a caution's earlier state from anywhere but the event just before
(see its docstring).

The store holds two kinds of aggregate, cautions and workshop sessions. Each event goes, with its aggregate's
state after it, to the projections that take that kind (`aggregates`; cautions when a projection does not say), so
a projection written for cautions never sees a session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError as StoreIntegrityError
from eventsourcing.persistence import StoredEvent
from sqlalchemy import and_, bindparam, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.backoff import Backoff

from ..application import CautionApplication
from ..domain.caution import Caution
from ..domain.session import WorkshopSession
from ..event_store import events_table
from .bulk import WriteStep
from .rebuild_lock import rebuild_lock
from .relaxed_commit import relax_commit, restore_on_checkin
from .tables import positions

log = logging.getLogger("cara.projector")
COALESCE_SECONDS = 0.05
# A projection's position while `rebuild` refills it: live batches leave it alone, and readiness
# reports the read model as behind until the rebuild sets the position it reached.
REBUILDING = -1
STATISTICS_EVERY_SECONDS = 3600.0
_SELECT_POSITIONS = select(positions.c.name, positions.c.position)


Aggregate = Caution | WorkshopSession


class Projection(Protocol):
    """`apply` is given the event's aggregate as it stands after the event. A projection that takes other kinds
    than cautions says which in a class attribute `aggregates` (a tuple of the aggregate classes)."""

    name: str
    tables: tuple[Any, ...]

    def apply(self, session: Session, event: Any, caution: Any, position: int) -> None: ...

    def prepare(self, session: Session) -> WriteStep:
        """Build the rows for what `apply` buffered (reading if it must); the step returned writes them.

        Called once per batch, inside the batch's transaction. The projector runs every projection's
        preparation before any write step: on SQLite the first write takes the database's only write
        lock, and the API workers wait for it until the batch commits.
        """

    def discard(self) -> None:
        """Forget what was buffered: the batch's transaction failed."""

    def clear(self, session: Session) -> None: ...


def aggregates_taken(projection: Projection) -> tuple[type, ...]:
    return tuple(getattr(projection, "aggregates", (Caution,)))


class UnknownProjection(ValueError):
    """A name that is none of the projector's projections."""


class ProjectionConflict(Exception):
    """Another projector moved a position this one was about to move."""


class Projector:
    def __init__(
        self, app: CautionApplication, projections: Sequence[Projection], batch_size: int = 500, cache_size: int = 5000
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cautions: OrderedDict[UUID, Aggregate] = OrderedDict()  # sessions too: the store holds both
        self.wakeup = threading.Event()
        # Called after each batch that moved the positions, with the projector's position when it is known.
        self.batch_listeners: list[Callable[[int | None], None]] = []
        # One batch at a time per projector: its cached cautions and the projections' buffers belong
        # to the batch in hand. Without it, a caller projecting in-line (a test, a rebuild step) while
        # the embedded thread ran could insert a row the other batch had just committed.
        self._batch = threading.Lock()
        self.last_error: str | None = None
        self._engine = app.engine
        restore_on_checkin(self._engine)  # the tables are made by migrations/, in build_application
        events = events_table(app).c
        self._moves: dict[tuple[str, ...], Any] = {}
        columns = (events.id, events.originator_id, events.originator_version, events.topic, events.state)
        self._select_events = select(*columns).where(events.id >= bindparam("start")).order_by(events.id).limit(
            bindparam("limit"))
        # For a rebuild: the next cautions in id order, then their events. Both walk the unique (caution, version)
        # index. "Cautions" here are every aggregate, workshop sessions too (`_project` sends each event to the
        # projections of its kind). Every aggregate has a version 1, so the first stops at the limit (with GROUP BY,
        # PostgreSQL sorted the whole table for every batch); the second leaves the store position to the caller
        # (given `id <=`, PostgreSQL scanned the table by id instead).
        self._next_cautions = (select(events.originator_id)
                               .where(events.originator_id > bindparam("after"), events.originator_version == 1)
                               .order_by(events.originator_id).limit(bindparam("limit")))
        self._events_of_cautions = (select(*columns)
                                    .where(events.originator_id.in_(bindparam("caution_ids", expanding=True)))
                                    .order_by(events.originator_id, events.originator_version))
        self._ensure_position_rows()

    # ----- positions ---------------------------------------------------------------

    def _ensure_position_rows(self) -> None:
        for projection in self.projections:
            try:
                with self.app.transaction() as session:
                    found = session.execute(select(positions.c.name).where(positions.c.name == projection.name)).first()
                    if found is None:
                        session.execute(insert(positions).values(name=projection.name, position=0))
            except (IntegrityError, StoreIntegrityError):  # the recorder's transaction raises its own kind
                pass  # another process created it first

    def positions(self) -> dict[str, int]:
        with self._engine.connect() as connection:
            return self._read_positions(connection)

    def _read_positions(self, connection: Any) -> dict[str, int]:
        known = dict(connection.execute(_SELECT_POSITIONS).all())
        return {p.name: known.get(p.name, 0) for p in self.projections}

    def position(self) -> int:
        """The position every projection has reached."""
        return min(self.positions().values(), default=0)

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, head - self.position())

    # ----- processing ----------------------------------------------------------------

    def run_once(self) -> int:
        """Project the next batch; returns how many events it read.

        The positions and the batch's events are read before the write transaction, so an idle
        projector never takes the write lock. That is safe because positions only move by
        compare-and-set: if another projector moved one in between, this batch fails and rolls back.
        The reads need no transaction (on PostgreSQL that saves a BEGIN and a ROLLBACK round trip).
        """
        with self._batch:
            return self._run_batch()

    def _run_batch(self) -> int:
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            current = self._read_positions(connection)
            rebuilding = False
            for projection in self.projections:
                if current[projection.name] == REBUILDING:
                    # Another process is refilling it: what this one remembers of its rows will be stale.
                    projection.discard()
                    del current[projection.name]
                    rebuilding = True
            if not current:
                return 0
            start = min(current.values()) + 1
            records = connection.execute(self._select_events, {"start": start, "limit": self.batch_size}).all()
        if not records:
            return 0
        self._project(records, current, move_to=records[-1].id)
        for listener in self.batch_listeners:
            listener(None if rebuilding else records[-1].id)  # every projection has reached it, or is ahead
        return len(records)

    def _project(self, records: Sequence[Any], current: dict[str, int], move_to: int | None) -> None:
        """One transaction: each event goes to the projections in `current` that have not had it, and
        (unless `move_to` is None) their positions move to `move_to` by compare-and-set."""
        chosen = [p for p in self.projections if p.name in current]
        takers: dict[type, list[Projection]] = {}
        for projection in chosen:
            for kind in aggregates_taken(projection):
                takers.setdefault(kind, []).append(projection)
        try:
            to_domain_event = self.app.mapper.to_domain_event
            with self.app.transaction() as session:
                relax_commit(session.connection())
                for record in records:
                    event = to_domain_event(_stored(record))
                    state = self._advance(event)
                    for projection in takers.get(type(state), ()):
                        if record.id > current[projection.name]:
                            projection.apply(session, event, state, record.id)
                steps = [projection.prepare(session) for projection in chosen]
                connection = session.connection()
                for write in steps:  # only writes from here to the commit (see Projection.prepare)
                    write(connection)
                if move_to is not None:
                    self._move_positions(session, current, move_to)
        except Exception:
            self._cautions.clear()  # the cached states may be ahead of what was committed
            for projection in self.projections:
                projection.discard()
            raise

    def run_until_caught_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
        return total

    def _advance(self, event: Any) -> Aggregate:
        """The event's aggregate (a caution or a session) as it stands after the event."""
        caution_id, version = event.originator_id, event.originator_version
        cached = self._cautions.pop(caution_id, None)  # put back below as the most recently used
        if version == 1:
            cached = None
        elif cached is None or cached.version != version - 1:
            cached = self.app.repository.get(caution_id, version=version - 1)
        caution = event.mutate(cached)
        self._cautions[caution_id] = caution
        if len(self._cautions) > self.cache_size:
            self._cautions.popitem(last=False)
        return caution

    def _move_positions(self, session: Session, current: dict[str, int], new: int) -> None:
        """Every projection behind `new` moves to it, in one compare-and-set statement."""
        behind = tuple(name for name, position in current.items() if position < new)
        if not behind:
            return
        params = {f"old_{i}": current[name] for i, name in enumerate(behind)}
        moved = session.connection().execute(self._compare_and_set(behind), {"new": new, **params})
        if moved.rowcount != len(behind):
            raise ProjectionConflict(f"{', '.join(behind)} moved by another projector")

    def _compare_and_set(self, names: tuple[str, ...]) -> Any:
        """UPDATE positions SET position = :new WHERE (name = 'a' AND position = :old_0) OR ..., built once."""
        statement = self._moves.get(names)
        if statement is None:
            matches = [and_(positions.c.name == name, positions.c.position == bindparam(f"old_{i}"))
                       for i, name in enumerate(names)]
            statement = self._moves[names] = update(positions).where(or_(*matches)).values(position=bindparam("new"))
        return statement

    # ----- rebuild -------------------------------------------------------------------

    def reset(self, names: Sequence[str] | None = None) -> None:
        """Drop the chosen read models' rows and rewind them to the start of the store."""
        self._clear(self._chosen(names), position=0)

    def _chosen(self, names: Sequence[str] | None) -> list[Projection]:
        unknown = set(names or ()) - {p.name for p in self.projections}
        if unknown:
            raise UnknownProjection(f"no such projection: {', '.join(sorted(unknown))}")
        return [p for p in self.projections if names is None or p.name in names]

    def _clear(self, chosen: list[Projection], position: int) -> None:
        with self.app.transaction() as session:
            for projection in chosen:
                projection.discard()
                projection.clear(session)
                session.execute(update(positions).where(positions.c.name == projection.name).values(position=position))
        self._cautions.clear()

    def rebuild(self, names: Sequence[str] | None = None, cautions_per_batch: int = 200,
                progress: Callable[[int, int], None] | None = None) -> int:
        """Drop the chosen read models and project the whole store again, one batch of cautions at a time.

        In position order the events of every caution open at the same time interleave, and each
        event needs its caution's state from just before it: once more cautions are open than the
        cache holds, nearly every event means reading the caution back from the store (a national
        store has hundreds of thousands open at once). Read caution by caution, the state needed is
        always the one just built, so memory stays at one batch and the store is read once.

        The read models are emptied and their positions set to REBUILDING (live projectors leave them
        alone, and readiness reports them as behind), then the store's position is taken. The events
        up to it are projected caution by caution, batch by batch, without moving positions. Then the
        positions move from REBUILDING to that store position by compare-and-set, and whatever was
        recorded meanwhile is projected in position order. A rebuild that stops half-way leaves the
        positions at REBUILDING: run it again. Returns how many events it projected.

        Raises RebuildInProgress, before anything is dropped, while another process rebuilds.
        """
        chosen = self._chosen(names)
        with rebuild_lock(self._engine), self._batch:
            self._clear(chosen, position=REBUILDING)
            head = self.app.recorder.max_notification_id() or 0
            targets = {projection.name: 0 for projection in chosen}
            done, after = 0, UUID(int=0)
            while True:
                with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    caution_ids = connection.execute(
                        self._next_cautions, {"after": after, "limit": cautions_per_batch}).scalars().all()
                    if not caution_ids:
                        break
                    found = connection.execute(self._events_of_cautions, {"caution_ids": caution_ids})
                    records = [record for record in found if record.id <= head]
                after = caution_ids[-1]
                if records:
                    self._project(records, targets, move_to=None)
                    done += len(records)
                    self._cautions.clear()  # each caution is finished within its batch
                    if progress is not None:
                        progress(done, head)
            with self.app.transaction() as session:
                self._move_positions(session, {name: REBUILDING for name in targets}, head)
        return done + self.run_until_caught_up()

    def refresh_statistics(self) -> None:
        """Give the query planner current row statistics, so list filters pick their indexes.

        PostgreSQL's autovacuum does this in time; SQLite never does it by itself.
        """
        engine = self.app.engine
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA analysis_limit=1000"))
            for table in {t.name for p in self.projections for t in p.tables}:
                connection.execute(text(f"ANALYZE {table}"))

    # ----- running in the background -------------------------------------------------

    def run_in_thread(self, stop: threading.Event, poll_seconds: float = 1.0,
                      retry_cap_seconds: float = 2.0) -> threading.Thread:
        def loop() -> None:
            backoff = Backoff(cap=retry_cap_seconds)
            next_statistics = 0.0
            while not stop.is_set():
                try:
                    count = self.run_once()
                    self.last_error = None
                    backoff.reset()
                    # A short batch read everything there was: wait for the next wake-up rather than ask
                    # again (a write saved since then has set `wakeup`, so the wait returns at once).
                    caught_up = count < self.batch_size
                    if caught_up and time.monotonic() >= next_statistics:
                        self.refresh_statistics()
                        next_statistics = time.monotonic() + STATISTICS_EVERY_SECONDS
                except Exception as e:  # keep projecting after a transient failure, but say so
                    self.last_error = f"{type(e).__name__}: {e}"
                    wait = backoff.next()
                    log.exception("projection batch failed; retrying in %.1fs", wait)
                    stop.wait(wait)
                    continue
                if caught_up:
                    if self.wakeup.wait(poll_seconds):
                        stop.wait(COALESCE_SECONDS)  # let a burst of writes land, then project them in one batch
                    self.wakeup.clear()

        thread = threading.Thread(target=loop, name="cara-projector", daemon=True)
        thread.start()
        return thread


def _stored(record: Any) -> Any:
    """The row as the mapper reads it (the same attributes as a StoredEvent), state as bytes."""
    if type(record.state) is bytes:
        return record
    # otherwise the driver gave the state as a memoryview
    return StoredEvent(record.originator_id, record.originator_version, record.topic, bytes(record.state))
