"""The event store's persistence: eventsourcing-sqlalchemy, with events inserted in one statement.

The library inserts events through the ORM unit of work, one object per event. A batch of
commands (see writer.py) saves many events at once, and there the ORM's bookkeeping costs more
than the database. This recorder writes the same rows with one INSERT ... RETURNING, sent through
the driver (driver_sql.py).

Neither database promises that RETURNING gives rows in the order of the VALUES, and asking
SQLAlchemy to sort them (`sort_by_parameter_order`) makes it send one INSERT per event to SQLite,
which was a sixth of the writer's CPU. So the rows come back with their (caution, version) key,
which is unique, and the notification ids are put back in the order of the events given.
Selected with PERSISTENCE_MODULE = "services.caution_service.event_store:Factory".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .driver_sql import InsertMany

TOPIC = "services.caution_service.event_store:Factory"


def recorder_of(app: Application[Any]) -> SQLAlchemyApplicationRecorder:
    """The recorder of an application built with this module (or eventsourcing-sqlalchemy)."""
    recorder = app.recorder
    if not isinstance(recorder, SQLAlchemyApplicationRecorder):
        raise TypeError(f"no SQLAlchemy event store behind {type(recorder).__name__}")
    return recorder


def engine_of(app: Application[Any]) -> Engine:
    """The SQLAlchemy engine the application stores events with."""
    engine = recorder_of(app).datastore.engine
    if not isinstance(engine, Engine):
        raise TypeError("the event store has no SQLAlchemy engine")
    return engine


def events_table(app: Application[Any]) -> Table:
    """The table the application stores events in."""
    table = recorder_of(app).events_record_cls.__table__
    if not isinstance(table, Table):
        raise TypeError("the event store has no SQLAlchemy events table")
    return table


class BulkInsertRecorder(SQLAlchemyApplicationRecorder):
    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        if not stored_events:
            return []
        self._lock_table(session)  # PostgreSQL: positions must commit in the order they are given
        rows = [
            {"originator_id": e.originator_id, "originator_version": e.originator_version, "topic": e.topic,
             "state": e.state}
            for e in stored_events
        ]
        inserted = self._insert.execute(session.connection(), rows)
        ids = {(originator_id, version): id_ for id_, originator_id, version in inserted}
        in_order = [ids[(e.originator_id, e.originator_version)] for e in stored_events]
        if in_order != sorted(in_order):
            # Projections read in position order, so a caution's events must take positions in
            # version order. Both databases number VALUES rows in order; if one ever did not, the
            # batch is refused (and rolled back) rather than recorded out of order.
            raise EventsOutOfOrder(in_order)
        self._notify_channel(session)
        return in_order

    @cached_property
    def _insert(self) -> InsertMany:
        table = self.events_record_cls.__table__
        assert self.datastore.engine is not None  # set when the datastore is made
        return InsertMany(self.datastore.engine.dialect,
                          [table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state],
                          returning=[table.c.id, table.c.originator_id, table.c.originator_version])


class EventsOutOfOrder(RuntimeError):
    def __init__(self, ids: list[int]) -> None:
        super().__init__(f"the database numbered a batch of events out of the order given: {ids}")


class Factory(SQLAlchemyFactory):
    application_recorder_class = BulkInsertRecorder
