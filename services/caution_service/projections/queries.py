"""Reads over the read models: filtered, cursor-paged lists; a caution's history; force statistics."""

from __future__ import annotations

import base64
import json
import statistics as stats
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, literal, or_, select, tuple_
from sqlalchemy.engine import Engine

from shared import cursors
from shared.cursors import BadCursor as BadCursor  # the routes catch it here

from .tables import history, offender_search, summaries

OPEN_STATUSES = ("active", "excuse_decision_pending", "breach_referred", "deadline_passed")


@dataclass(frozen=True)
class CautionFilter:
    force: str
    status: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    offender_reference: str | None = None
    police_reference: str | None = None
    # Blind-index terms of an offender search (search_index.py): only cautions holding one of them.
    search_terms: tuple[str, ...] | None = None


def encode_cursor(issued_on: date, caution_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([issued_on.isoformat(), caution_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[date, str]:
    issued_on, caution_id = cursors.unpack(cursor, 2)
    return cursors.day(issued_on), cursors.uuid_text(caution_id)


def list_summaries(
    engine: Engine, f: CautionFilter, today: date, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; the cursor is the (issued_on, id) of the last row, so pages stay stable under inserts."""
    s = summaries.c
    query = select(summaries).where(s.force == f.force)
    if f.status:
        query = query.where(s.status == f.status)
    if f.offender_reference:
        query = query.where(s.offender_reference == f.offender_reference)
    if f.police_reference:
        query = query.where(s.police_reference == f.police_reference)
    if f.search_terms is not None:
        o = offender_search.c
        query = query.where(s.caution_id.in_(
            select(o.caution_id).where(o.force == f.force, o.term.in_(f.search_terms))))
    if f.due_before:
        query = query.where(s.next_action_due_on < f.due_before)
    if f.overdue is True:
        query = query.where(s.next_action_due_on < today)
    elif f.overdue is False:
        query = query.where(or_(s.next_action_due_on.is_(None), s.next_action_due_on >= today))
    if cursor:
        last_day, last_id = decode_cursor(cursor)
        # A row-value comparison, so PostgreSQL and SQLite both walk the (force, issued_on, caution_id) index.
        query = query.where(tuple_(s.issued_on, s.caution_id) < tuple_(literal(last_day), literal(last_id)))
    query = query.order_by(s.issued_on.desc(), s.caution_id.desc()).limit(limit + 1)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    page = [_summary(dict(r), today) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor(last["issued_on"], last["caution_id"]) if last is not None else None
    return page, next_cursor


def _summary(row: dict[str, Any], today: date) -> dict[str, Any]:
    due = row["next_action_due_on"]
    return {
        "id": row["caution_id"],
        "force": row["force"],
        "police_reference": row["police_reference"],
        "offender_reference": row["offender_reference"],
        "legal_basis": row["legal_basis"],
        "status": row["status"],
        "version": row["version"],
        "issued_on": row["issued_on"].isoformat(),
        "period_ends_on": row["period_ends_on"].isoformat(),
        "days_left": max(0, (row["period_ends_on"] - today).days) if row["status"] in OPEN_STATUSES else 0,
        "next_action": row["next_action"],
        "next_action_role": row["next_action_role"],
        "next_action_due_on": due.isoformat() if due else None,
        "overdue": due is not None and due < today,
        "closed_on": row["closed_on"].isoformat() if row["closed_on"] else None,
        "spent_on": row["spent_on"].isoformat() if row["spent_on"] else None,
        "position": row["position"],
    }


def cautions_of_person(engine: Engine, force: str, *, offender_reference: str | None = None,
                       victim_reference: str | None = None) -> list[str]:
    """The ids of the force's cautions naming this offender (or victim) by reference, oldest first."""
    s = summaries.c
    column, value = ((s.offender_reference, offender_reference) if offender_reference is not None
                     else (s.victim_reference, victim_reference))
    query = select(s.caution_id).where(s.force == force, column == value).order_by(s.issued_on, s.caution_id)
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def victim_references_missing(engine: Engine, force: str) -> bool:
    """Whether some summary of the force was projected before it held the victim's reference (migration 0009):
    until a rebuild fills them, a search by victim reference could miss cautions."""
    s = summaries.c
    query = select(s.caution_id).where(s.force == force, s.victim_reference.is_(None)).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def history_rows(engine: Engine, caution_id: str, upto: int | None = None) -> list[Row[Any]]:
    """The caution's stored entries in order; with `upto`, only entries 1 to `upto` (a past record is a prefix of
    the chain, chosen by the event store's times, not by the read model's copy of them)."""
    query = select(history).where(history.c.caution_id == caution_id)
    if upto is not None:
        query = query.where(history.c.entry <= upto)
    with engine.connect() as connection:
        return list(connection.execute(query.order_by(history.c.entry)))


def force_statistics(engine: Engine, force: str, since: date | None, until: date | None) -> list[dict[str, Any]]:
    """Per month: issued, completed, breached, withdrawn, and median days from issue to completion."""
    s = summaries.c
    query = select(s.status, s.issued_on, s.closed_on).where(s.force == force)
    months: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"issued": 0, "completed": 0, "breached": 0, "withdrawn": 0, "_days": []})
    with engine.connect() as connection:
        for status, issued_on, closed_on in connection.execute(query):
            if _within(issued_on, since, until):
                months[issued_on.strftime("%Y-%m")]["issued"] += 1
            if status in ("completed", "breached", "withdrawn") and closed_on and _within(closed_on, since, until):
                bucket = months[closed_on.strftime("%Y-%m")]
                bucket[status] += 1
                if status == "completed":
                    bucket["_days"].append((closed_on - issued_on).days)
    result = []
    for month in sorted(months):
        m = months[month]
        days = m.pop("_days")
        result.append({"force": force, "month": month, **m,
                       "median_days_to_complete": stats.median(days) if days else None})
    return result


def _within(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)
