"""The provider's worklist over the caution summaries: one indexed query per list (api/provider_worklist.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .session_queries import utc
from .tables import summaries


def first_contacts_due(engine: Engine, force: str, today: date, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The force's cautions still waiting for the provider's first contact, soonest due first; and whether there
    are more than `limit`."""
    s = summaries.c
    query = (select(s.caution_id, s.police_reference, s.issued_on, s.first_contact_due_on)
             .where(s.force == force, s.first_contact_due_on.is_not(None))
             .order_by(s.first_contact_due_on, s.caution_id).limit(limit + 1))
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [{"caution_id": r["caution_id"], "police_reference": r["police_reference"],
             "issued_on": r["issued_on"].isoformat(), "due_on": r["first_contact_due_on"].isoformat(),
             "overdue": r["first_contact_due_on"] < today} for r in rows[:limit]], len(rows) > limit


def bookings_needed(engine: Engine, force: str, today: date, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The force's cautions with a workshop to book (the first and last days its session may be on), the one whose
    last possible day comes soonest first."""
    s = summaries.c
    query = (select(s.caution_id, s.police_reference, s.book_workshop, s.book_from, s.book_by, s.first_contact_at)
             .where(s.force == force, s.book_by.is_not(None))
             .order_by(s.book_by, s.caution_id).limit(limit + 1))
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [{"caution_id": r["caution_id"], "police_reference": r["police_reference"], "workshop": r["book_workshop"],
             "book_from": r["book_from"].isoformat() if r["book_from"] else None,
             "book_by": r["book_by"].isoformat(), "overdue": r["book_by"] < today,
             "first_contact_at": utc(r["first_contact_at"]).isoformat() if r["first_contact_at"] else None}
            for r in rows[:limit]], len(rows) > limit
