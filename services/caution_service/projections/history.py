"""The compliance-history projection: one hashed, plain-words entry per event, chained per caution.

Entries are buffered and hashed and inserted together at the end of the batch. The last
hash of each caution is remembered, so the chain needs no read per event; the hashes it
does not remember (a caution last seen before this process started, or forgotten since)
are read in one query per batch.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ..domain.caution import Caution
from .bulk import WriteStep, insert_rows, nothing_to_write
from .entries import GENESIS, details_json, entry_content, entry_hash
from .tables import history

_CHAIN_HEADS = select(history.c.caution_id, history.c.entry, history.c.entry_hash).where(
    history.c.caution_id.in_(bindparam("caution_ids", expanding=True)))


class HistoryProjection:
    name = "compliance_history"
    tables = (history,)

    def __init__(self, remembered: int = 20_000) -> None:
        self.remembered = remembered
        self._entries: list[tuple[dict[str, Any], int]] = []  # (entry content, position)
        self._last: OrderedDict[str, tuple[int, str]] = OrderedDict()  # caution id -> (entry, hash)

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        self._entries.append((entry_content(event), position))

    def prepare(self, session: Session) -> WriteStep:
        entries, self._entries = self._entries, []
        if not entries:
            return nothing_to_write
        stored = self._stored_hashes(session, entries)
        last = self._last
        rows = []
        for content, position in entries:
            caution_id, number = content["caution_id"], content["entry"]
            if number == 1:
                previous = GENESIS
            else:
                remembered = last.get(caution_id)
                if remembered is not None and remembered[0] == number - 1:
                    previous = remembered[1]
                else:
                    previous = stored[(caution_id, number - 1)]  # a KeyError fails the batch: the chain has a gap
            digest = entry_hash(content, previous)
            recorded_by = content["recorded_by"]
            rows.append({
                "caution_id": caution_id,
                "entry": number,
                "position": position,
                "event_type": content["event_type"],
                "summary": content["summary"],
                "occurred_at": content["occurred_at"],
                "recorded_at": content["recorded_at"],
                "recorded_by_id": recorded_by["id"],
                "recorded_by_role": recorded_by["role"],
                "recorded_by_force": recorded_by["force"],
                "recorded_by_name": recorded_by.get("name"),
                "recorded_by_rank": recorded_by.get("rank"),
                "recorded_by_collar_number": recorded_by.get("collar_number"),
                "details": details_json(content["details"]),
                "corrects_entry": content["corrects_entry"],
                "previous_hash": previous,
                "entry_hash": digest,
            })
            last[caution_id] = (number, digest)
            last.move_to_end(caution_id)
        while len(last) > self.remembered:
            last.popitem(last=False)
        return lambda connection: insert_rows(connection, history, rows)

    def _stored_hashes(self, session: Session, entries: list[tuple[dict[str, Any], int]]) -> dict[tuple[str, int], str]:
        """The stored hashes of the entries this batch chains onto but that are not remembered."""
        heads: dict[str, int] = {}  # caution id -> the entry number the chain is known to have reached
        missing: set[str] = set()
        for content, _ in entries:
            caution_id, number = content["caution_id"], content["entry"]
            known = heads.get(caution_id)
            if known is None:
                remembered = self._last.get(caution_id)
                known = remembered[0] if remembered is not None else 0
            if number != 1 and known != number - 1:
                missing.add(caution_id)
            heads[caution_id] = number
        if not missing:
            return {}
        found = session.connection().execute(_CHAIN_HEADS, {"caution_ids": sorted(missing)})
        return {(caution_id, number): digest for caution_id, number, digest in found}

    def discard(self) -> None:
        self._entries.clear()
        self._last.clear()  # it may hold hashes of entries that were never committed

    def clear(self, session: Session) -> None:
        session.execute(delete(history))

