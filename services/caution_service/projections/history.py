"""The compliance-history projection: one hashed, plain-words entry per event, chained per caution.

Entries are buffered and inserted together at the end of the batch; the last
hash of each caution is remembered so the chain needs no read per event.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..domain.caution import Caution
from .entries import GENESIS, entry_hash, to_entry
from .tables import history



class HistoryProjection:
    name = "compliance_history"
    tables = (history,)

    def __init__(self, remembered: int = 20_000) -> None:
        self.remembered = remembered
        self._rows: list[dict[str, Any]] = []
        self._last: OrderedDict[str, tuple[int, str]] = OrderedDict()  # caution id -> (entry, hash)

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        entry = to_entry(event)
        previous = self._previous_hash(session, entry.caution_id, entry.entry)
        digest = entry_hash(entry.content(), previous)
        self._rows.append({
            "caution_id": entry.caution_id,
            "entry": entry.entry,
            "position": position,
            "event_type": entry.event_type,
            "summary": entry.summary,
            "occurred_at": entry.occurred_at.isoformat(),
            "recorded_at": entry.recorded_at.isoformat(),
            "recorded_by_id": entry.recorded_by["id"],
            "recorded_by_role": entry.recorded_by["role"],
            "recorded_by_force": entry.recorded_by["force"],
            "details": json.dumps(entry.details, sort_keys=True),
            "corrects_entry": entry.corrects_entry,
            "previous_hash": previous,
            "entry_hash": digest,
        })
        self._last[entry.caution_id] = (entry.entry, digest)
        self._last.move_to_end(entry.caution_id)
        if len(self._last) > self.remembered:
            self._last.popitem(last=False)

    def _previous_hash(self, session: Session, caution_id: str, number: int) -> str:
        if number == 1:
            return GENESIS
        remembered = self._last.get(caution_id)
        if remembered is not None and remembered[0] == number - 1:
            return remembered[1]
        return session.execute(
            select(history.c.entry_hash).where(history.c.caution_id == caution_id, history.c.entry == number - 1)
        ).scalar_one()

    def flush(self, session: Session) -> None:
        rows, self._rows = self._rows, []
        if rows:
            session.execute(insert(history), rows)

    def discard(self) -> None:
        self._rows.clear()
        self._last.clear()  # it may hold hashes of entries that were never committed

    def clear(self, session: Session) -> None:
        session.execute(delete(history))
