"""Runs the projections over the event store, exactly once per event.

Each batch is one database transaction: the read-model rows and every
projection's new position are committed together, so a crash at any point
either keeps a whole batch or none of it. Positions advance by compare-and-set,
so a second projector that slips past the leader lock fails instead of doubling rows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..application import CautionApplication
from ..domain.caution import Caution
from .tables import metadata, positions

log = logging.getLogger("cara.projector")
COALESCE_SECONDS = 0.05
STATISTICS_EVERY_SECONDS = 3600.0


class Projection(Protocol):
    name: str
    tables: tuple[Any, ...]

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None: ...

    def flush(self, session: Session) -> None:
        """Write what `apply` buffered; called once per batch, inside the batch's transaction."""

    def discard(self) -> None:
        """Forget what was buffered: the batch's transaction failed."""

    def clear(self, session: Session) -> None: ...


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
        self._cautions: OrderedDict[UUID, Caution] = OrderedDict()
        self.wakeup = threading.Event()
        self.last_error: str | None = None
        engine = app.recorder.datastore.engine  # type: ignore[attr-defined]
        tables = [positions] + [t for p in self.projections for t in p.tables]
        metadata.create_all(engine, tables=tables)
        self._ensure_position_rows()

    # ----- positions ---------------------------------------------------------------

    def _ensure_position_rows(self) -> None:
        for projection in self.projections:
            try:
                with self.app.recorder.transaction() as session:  # type: ignore[attr-defined]
                    found = session.execute(select(positions.c.name).where(positions.c.name == projection.name)).first()
                    if found is None:
                        session.execute(insert(positions).values(name=projection.name, position=0))
            except IntegrityError:
                pass  # another process created it first

    def positions(self) -> dict[str, int]:
        with self.app.recorder.transaction(commit=False) as session:  # type: ignore[attr-defined]
            rows = session.execute(select(positions.c.name, positions.c.position)).all()
        known = {name: position for name, position in rows}
        return {p.name: known.get(p.name, 0) for p in self.projections}

    def position(self) -> int:
        """The position every projection has reached."""
        return min(self.positions().values(), default=0)

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, head - self.position())

    # ----- processing ----------------------------------------------------------------

    def run_once(self) -> int:
        """Project the next batch; returns how many events it read."""
        if (self.app.recorder.max_notification_id() or 0) <= self.position():
            return 0  # nothing new: do not take the write lock just to find that out
        try:
            with self.app.recorder.transaction() as session:  # type: ignore[attr-defined]
                current = dict(session.execute(select(positions.c.name, positions.c.position)).all())
                start = min(current.get(p.name, 0) for p in self.projections) + 1
                notifications = self.app.recorder.select_notifications(start, self.batch_size)
                for notification in notifications:
                    event = self.app.mapper.to_domain_event(notification)
                    caution = self._advance(event)
                    for projection in self.projections:
                        if notification.id > current.get(projection.name, 0):
                            projection.apply(session, event, caution, notification.id)
                if notifications:
                    for projection in self.projections:
                        projection.flush(session)
                    self._move_positions(session, current, notifications[-1].id)
        except Exception:
            self._cautions.clear()  # the cached states may be ahead of what was committed
            for projection in self.projections:
                projection.discard()
            raise
        return len(notifications)

    def run_until_caught_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
        return total

    def _advance(self, event: Any) -> Caution:
        caution_id = event.originator_id
        cached = self._cautions.pop(caution_id, None)
        if event.originator_version == 1:
            cached = None
        elif cached is None or cached.version != event.originator_version - 1:
            cached = self.app.repository.get(caution_id, version=event.originator_version - 1)
        caution = event.mutate(cached)
        self._cautions[caution_id] = caution
        if len(self._cautions) > self.cache_size:
            self._cautions.popitem(last=False)
        return caution

    def _move_positions(self, session: Session, current: dict[str, int], new: int) -> None:
        for projection in self.projections:
            old = current.get(projection.name, 0)
            if new <= old:
                continue
            moved = session.execute(
                update(positions)
                .where(positions.c.name == projection.name, positions.c.position == old)
                .values(position=new)
            )
            if moved.rowcount != 1:
                raise ProjectionConflict(f"{projection.name} moved by another projector")

    # ----- rebuild -------------------------------------------------------------------

    def reset(self, names: Sequence[str] | None = None) -> None:
        """Drop the chosen read models' rows and rewind them to the start of the store."""
        chosen = [p for p in self.projections if names is None or p.name in names]
        with self.app.recorder.transaction() as session:  # type: ignore[attr-defined]
            for projection in chosen:
                projection.discard()
                projection.clear(session)
                session.execute(update(positions).where(positions.c.name == projection.name).values(position=0))
        self._cautions.clear()

    def refresh_statistics(self) -> None:
        """Give the query planner current row statistics, so list filters pick their indexes.

        PostgreSQL's autovacuum does this in time; SQLite never does it by itself.
        """
        engine = self.app.recorder.datastore.engine  # type: ignore[attr-defined]
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA analysis_limit=1000"))
            for table in {t.name for p in self.projections for t in p.tables}:
                connection.execute(text(f"ANALYZE {table}"))

    # ----- running in the background -------------------------------------------------

    def run_in_thread(self, stop: threading.Event, poll_seconds: float = 1.0) -> threading.Thread:
        def loop() -> None:
            backoff = poll_seconds
            next_statistics = 0.0
            while not stop.is_set():
                try:
                    count = self.run_once()
                    self.last_error, backoff = None, poll_seconds
                    if count == 0 and time.monotonic() >= next_statistics:
                        self.refresh_statistics()
                        next_statistics = time.monotonic() + STATISTICS_EVERY_SECONDS
                except Exception as e:  # keep projecting after a transient failure, but say so
                    self.last_error = f"{type(e).__name__}: {e}"
                    log.exception("projection batch failed; retrying in %.1fs", backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                if count == 0:
                    if self.wakeup.wait(poll_seconds):
                        stop.wait(COALESCE_SECONDS)  # let a burst of writes land, then project them in one batch
                    self.wakeup.clear()

        thread = threading.Thread(target=loop, name="cara-projector", daemon=True)
        thread.start()
        return thread
