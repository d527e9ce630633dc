"""The caution-summary projection: one row per caution with what is due next, for lists and filters.

Rows are worked out and written once per caution per batch, at the end of the batch, so a rebuild
writes each caution's final row rather than one row per event.

An existing row is updated only in the columns an event can change. On SQLite an indexed column is
set only when its value did change: SQLite rewrites an index entry for every indexed column in the
SET list, changed or not, and that index upkeep is most of the cost of an update. PostgreSQL
compares the values itself, so there every changeable column is set, in one statement.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete
from sqlalchemy.orm import Session

from shared.uk_time import uk_date

from ..disclosure import data_state
from ..domain.caution import Caution
from ..domain.progress import booking_needed, earliest_booking_day, first_contact_due_on, required_actions
from ..domain.values import Person
from .bulk import WriteStep, insert_rows, update_rows
from .tables import summaries

# Set when the caution is issued and never changed by a later event (see domain/caution.py).
_FIXED = ("caution_id", "force", "police_reference", "offender_reference", "victim_reference", "legal_basis",
          "issued_at", "issued_on")
# Changeable columns that are part of an index: written only when the value changed. Taken from the table's
# indexes, so an index added later cannot make every update rewrite its entries unnoticed.
_IN_AN_INDEX = {column.name for index in summaries.indexes for column in index.columns}
_INDEXED = tuple(c.name for c in summaries.columns if c.name in _IN_AN_INDEX and c.name not in _FIXED)
_ALWAYS = tuple(c.name for c in summaries.columns if c.name not in _FIXED and c.name not in _INDEXED)


class SummaryProjection:
    name = "caution_summaries"
    tables = (summaries,)

    def __init__(self, remembered: int = 20_000) -> None:
        self.remembered = remembered
        # caution id -> (caution, position, row is new, UK day its last event here was recorded); the projector
        # advances the same Caution object through a caution's later events, so at flush it holds the state after
        # its last event here. The row's next action is the one due on that day: a rebuild writes the same row.
        self._pending: dict[UUID, tuple[Caution, int, bool, date]] = {}
        # caution id -> the _INDEXED values of the row as last written, to leave unchanged ones out.
        self._written: OrderedDict[str, tuple[Any, ...]] = OrderedDict()

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        known = self._pending.get(event.originator_id)
        is_new = event.originator_version == 1 or (known is not None and known[2])
        self._pending[event.originator_id] = (caution, position, is_new, uk_date(event.recorded_at))

    def prepare(self, session: Session) -> WriteStep:
        pending, self._pending = self._pending, {}
        narrow = session.get_bind().dialect.name != "postgresql"  # PostgreSQL compares values itself: SET them all
        new: list[dict[str, Any]] = []
        changed: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # by the columns to set
        written = self._written
        for caution, position, is_new, today in pending.values():
            row = _row(caution, position, today)
            caution_id = row["caution_id"]
            indexed = tuple(row[name] for name in _INDEXED)
            if is_new:
                new.append(row)
            else:
                before = written.get(caution_id)  # the `indexed` written below: one value per _INDEXED name
                columns = _ALWAYS + (_INDEXED if before is None else tuple(
                    name for name, old, value in zip(_INDEXED, before, indexed, strict=True) if old != value))
                changed.setdefault(columns, []).append(
                    {"caution_id": caution_id, **{name: row[name] for name in columns}})
            if narrow:
                written[caution_id] = indexed
                written.move_to_end(caution_id)
        while len(written) > self.remembered:
            written.popitem(last=False)

        def write(connection: Connection) -> None:
            insert_rows(connection, summaries, new)
            for rows in changed.values():
                update_rows(connection, summaries, "caution_id", rows)

        return write

    def discard(self) -> None:
        self._pending.clear()
        self._written.clear()  # it may hold values that were never committed

    def clear(self, session: Session) -> None:
        session.execute(delete(summaries))
        self._written.clear()


def _row(c: Caution, position: int, today: date) -> dict[str, Any]:
    actions = required_actions(c, today)
    first = actions[0] if actions else None
    return {
        "caution_id": str(c.id),
        "force": c.force,
        "police_reference": c.police_reference,
        "offender_reference": c.offender.reference,
        "victim_reference": c.victim.reference,
        "offender_data": data_state(c, Person.OFFENDER)["state"],
        "victim_data": data_state(c, Person.VICTIM)["state"],
        "legal_basis": c.legal_basis.value,
        "status": c.status.value,
        "version": c.version,
        "round": c.round,
        "issued_at": c.issued_at.astimezone(UTC),
        "issued_on": c.issued_at.date(),
        "period_ends_on": c.period_ends_on,
        "next_action": first.action if first else None,
        "next_action_role": first.role if first else None,
        "next_action_due_on": first.due_on if first else None,
        "deadline_passed": c.deadline_passed,
        "closed_on": c.final_at.date() if c.final_at else None,
        "spent_on": c.spent_on,
        "position": position,
        **_worklist(c, today),
    }


def _worklist(c: Caution, today: date) -> dict[str, Any]:
    contacted = c.first_contact_at
    # Asked on the period's last day, not today: the column must not depend on when the row was projected (a
    # rebuild gives the same rows); a booking still owed once the period is over is shown overdue, which it is.
    booking = booking_needed(c, c.period_ends_on)
    return {
        "first_contact_due_on": first_contact_due_on(c),
        "first_contact_at": contacted.astimezone(UTC) if contacted else None,
        "book_workshop": booking[0].value if booking else None,
        "book_by": booking[1] if booking else None,
        "book_from": earliest_booking_day(c, booking[0]) if booking else None,
    }
