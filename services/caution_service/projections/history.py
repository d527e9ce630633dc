"""The compliance-history projection: one hashed, plain-words entry per event, chained per caution."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..domain.caution import Caution
from .entries import GENESIS, entry_hash, to_entry
from .tables import history


class HistoryProjection:
    name = "compliance_history"
    tables = (history,)

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        entry = to_entry(event)
        previous = GENESIS
        if entry.entry > 1:
            previous = session.execute(
                select(history.c.entry_hash).where(
                    history.c.caution_id == entry.caution_id, history.c.entry == entry.entry - 1
                )
            ).scalar_one()
        session.execute(
            insert(history).values(
                caution_id=entry.caution_id,
                entry=entry.entry,
                position=position,
                event_type=entry.event_type,
                summary=entry.summary,
                occurred_at=entry.occurred_at.isoformat(),
                recorded_at=entry.recorded_at.isoformat(),
                recorded_by_id=entry.recorded_by["id"],
                recorded_by_role=entry.recorded_by["role"],
                recorded_by_force=entry.recorded_by["force"],
                details=json.dumps(entry.details, sort_keys=True),
                corrects_entry=entry.corrects_entry,
                previous_hash=previous,
                entry_hash=entry_hash(entry.content(), previous),
            )
        )

    def clear(self, session: Session) -> None:
        session.execute(delete(history))
