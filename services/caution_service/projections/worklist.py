"""The worklist projection: each caution's required actions over time (domain/worklist.py), one row per action and
interval of days, for GET /v1/worklist.

The rows depend on the caution's state alone, never on the day they are projected on, so a rebuild writes the same
rows as the live projector did. A caution's rows are worked out once per batch, from its state after its last event
in the batch, and replace whatever it had.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Date, bindparam, case, delete, func, literal, or_, select, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared import cursors
from shared.cursors import BadCursor as BadCursor  # the route catches it here

from ..domain.caution import Caution
from ..domain.values import ConcernUrgency, OpenConcern
from ..domain.worklist import schedule
from .bulk import WriteStep, insert_rows
from .tables import worklist_items

_DELETE_ROWS = delete(worklist_items).where(worklist_items.c.caution_id.in_(bindparam("caution_ids", expanding=True)))


class WorklistProjection:
    name = "worklist_items"
    tables = (worklist_items,)

    def __init__(self) -> None:
        # caution id -> (caution, position, has rows stored): the projector advances the same Caution object through
        # a caution's later events, so at `prepare` it holds the state after its last event in the batch.
        self._pending: dict[UUID, tuple[Caution, int, bool]] = {}

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        known = self._pending.get(event.originator_id)
        is_new = event.originator_version == 1 or (known is not None and not known[2])
        self._pending[event.originator_id] = (caution, position, not is_new)

    def prepare(self, session: Session) -> WriteStep:
        pending, self._pending = self._pending, {}
        rows: list[dict[str, Any]] = []
        replaced = []
        for caution, position, stored in pending.values():
            rows += _rows(caution, position)
            if stored:
                replaced.append(str(caution.id))

        def write(connection: Connection) -> None:
            if replaced:
                connection.execute(_DELETE_ROWS, {"caution_ids": replaced})
            insert_rows(connection, worklist_items, rows)

        return write

    def discard(self) -> None:
        self._pending.clear()

    def clear(self, session: Session) -> None:
        session.execute(delete(worklist_items))


def _rows(c: Caution, position: int) -> list[dict[str, Any]]:
    caution_id = str(c.id)
    return [{"caution_id": caution_id, "seq": seq, "force": c.force, "role": row.role, "action": row.action,
             "ordinal": row.ordinal, "due_on": row.due_on, "due_on_the_day": row.due_on_the_day,
             "valid_from": row.valid_from, "valid_until": row.valid_until,
             "police_reference": c.police_reference, "position": position, **_concern(row.concern)}
            for seq, row in enumerate(schedule(c))]


def _concern(concern: OpenConcern | None) -> dict[str, Any]:
    """The concern's entry, urgency and category: what the police are told of it (never what was said)."""
    if concern is None:
        return {"concern_entry": None, "concern_urgency": None, "concern_category": None}
    return {"concern_entry": concern.entry, "concern_urgency": concern.urgency.value,
            "concern_category": concern.category.value}


# ----- reading ---------------------------------------------------------------------------------------------------

NO_DUE_DATE = date.max  # sorts the actions with no due date last, on both databases, in one keyset comparison
# Within a day, an urgent safeguarding concern comes before everything else due then: every concern is due the day it
# was raised, urgent or routine, so the due date alone would not put it first.
URGENT_FIRST, THEN_THE_REST = 0, 1


@dataclass(frozen=True)
class WorklistFilter:
    force: str
    role: str
    action: str | None = None
    due_before: date | None = None
    overdue: bool | None = None


def encode_cursor(due: date, rank: int, caution_id: str, ordinal: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([due.isoformat(), rank, caution_id, ordinal]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[date, int, str, int]:
    due, rank, caution_id, ordinal = cursors.unpack(cursor, 4)
    if cursors.row_id(rank) not in (URGENT_FIRST, THEN_THE_REST):
        raise BadCursor("The cursor is not one this service gave out.")
    return cursors.day(due), rank, cursors.uuid_text(caution_id), cursors.row_id(ordinal)


def worklist_page(engine: Engine, f: WorklistFilter, today: date, limit: int,
                  cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The role's actions outstanding in the force on the UK day `today`, soonest due first (those with no due date
    last), urgent safeguarding concerns first within a day, then by caution and the action's place in it; the
    cursor is the last item's (due, rank, caution, ordinal)."""
    w = worklist_items.c
    due = case((w.due_on_the_day, literal(today, Date)), else_=func.coalesce(w.due_on, literal(NO_DUE_DATE, Date)))
    rank = case((w.concern_urgency == ConcernUrgency.URGENT.value, literal(URGENT_FIRST)),
                else_=literal(THEN_THE_REST))
    query = (select(w.caution_id, w.police_reference, w.action, w.ordinal, w.concern_entry, w.concern_urgency,
                    w.concern_category, due.label("due"), rank.label("rank"))
             .where(w.force == f.force, w.role == f.role,
                    or_(w.valid_from.is_(None), w.valid_from <= today),
                    or_(w.valid_until.is_(None), w.valid_until > today)))
    if f.action is not None:
        query = query.where(w.action == f.action)
    if f.due_before is not None:
        query = query.where(due < f.due_before)
    if f.overdue is True:
        query = query.where(due < today)
    elif f.overdue is False:
        query = query.where(due >= today)
    if cursor:
        last = decode_cursor(cursor)
        query = query.where(tuple_(due, rank, w.caution_id, w.ordinal) > tuple_(
            literal(last[0], Date), literal(last[1]), literal(last[2]), literal(last[3])))
    query = query.order_by(due, rank, w.caution_id, w.ordinal).limit(limit + 1)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    page = [_item(row, today) for row in rows[:limit]]
    last_row = rows[limit - 1] if len(rows) > limit else None
    next_cursor = (encode_cursor(_day(last_row.due), last_row.rank, last_row.caution_id, last_row.ordinal)
                   if last_row else None)
    return page, next_cursor


def _day(value: Any) -> date:
    """A CASE over dates comes back as a date from PostgreSQL and as ISO text from SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _item(row: Any, today: date) -> dict[str, Any]:
    due = _day(row.due)
    due_on = None if due == NO_DUE_DATE else due
    concern = None if row.concern_entry is None else {
        "entry": row.concern_entry, "urgency": row.concern_urgency, "category": row.concern_category}
    return {"caution_id": row.caution_id, "police_reference": row.police_reference, "action": row.action,
            "due_on": due_on.isoformat() if due_on else None, "overdue": due_on is not None and due_on < today,
            "concern": concern}
