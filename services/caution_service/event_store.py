"""The event store's persistence: eventsourcing-sqlalchemy, with events inserted in one statement.

The library inserts events through the ORM unit of work, one object per event. A batch of
commands (see writer.py) saves many events at once, and there the ORM's bookkeeping costs more
than the database. This recorder writes the same rows with one Core INSERT ... RETURNING, in
parameter order, so the notification ids it returns line up with the events given.
Selected with PERSISTENCE_MODULE = "services.caution_service.event_store:Factory".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import insert
from sqlalchemy.orm import Session

TOPIC = "services.caution_service.event_store:Factory"


class BulkInsertRecorder(SQLAlchemyApplicationRecorder):
    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        table = self.events_record_cls.__table__
        self._lock_table(session)  # PostgreSQL: positions must commit in the order they are given
        rows = [
            {"originator_id": e.originator_id, "originator_version": e.originator_version, "topic": e.topic, "state": e.state}
            for e in stored_events
        ]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(session.execute(stmt, rows).scalars())
        self._notify_channel(session)
        return ids


class Factory(SQLAlchemyFactory):
    application_recorder_class = BulkInsertRecorder
