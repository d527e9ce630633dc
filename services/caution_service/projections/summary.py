"""The caution-summary projection: one row per caution with what is due next, for lists and filters.

Rows are buffered for the batch and written once per caution, so a rebuild
writes each caution's final row rather than one row per event.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from ..api.views import spent_on
from ..domain.caution import Caution
from ..domain.progress import required_actions
from .tables import summaries


class SummaryProjection:
    name = "caution_summaries"
    tables = (summaries,)

    def __init__(self) -> None:
        self._pending: dict[str, tuple[dict[str, Any], bool]] = {}

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        row = _row(caution, position)
        known = self._pending.get(row["caution_id"])
        is_new = event.originator_version == 1 or (known is not None and known[1])
        self._pending[row["caution_id"]] = (row, is_new)

    def flush(self, session: Session) -> None:
        new = [row for row, is_new in self._pending.values() if is_new]
        changed = [{**row, "b_caution_id": row["caution_id"]} for row, is_new in self._pending.values() if not is_new]
        self._pending.clear()
        if new:
            session.execute(insert(summaries), new)
        if changed:
            session.execute(update(summaries).where(summaries.c.caution_id == bindparam("b_caution_id")), changed)

    def discard(self) -> None:
        self._pending.clear()

    def clear(self, session: Session) -> None:
        session.execute(delete(summaries))


def _row(c: Caution, position: int) -> dict[str, Any]:
    actions = required_actions(c)
    first = actions[0] if actions else None
    return {
        "caution_id": str(c.id),
        "force": c.force,
        "police_reference": c.police_reference,
        "offender_reference": c.offender.reference,
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
        "spent_on": spent_on(c),
        "position": position,
    }
