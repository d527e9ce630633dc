"""Reads over the scrutiny panel's read model: the force's cases in day order, and the panels that reviewed them.

Neither holds personal data: cautions by id and police reference, the kind of case and its day, and a panel by its
id, its day and how many sat on it.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.engine import Engine

from shared import cursors

from .tables import panel_cases

_c = panel_cases.c


@dataclass(frozen=True)
class CaseFilter:
    force: str
    happened_from: date | None = None  # UK days, both ends included
    happened_to: date | None = None
    kind: str | None = None
    reviewed: bool | None = None


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _case_cursor(cursor: str) -> tuple[date, str, int]:
    day, caution_id, entry = cursors.unpack(cursor, 3)
    if type(entry) is not int or not 1 <= entry <= 2**31 - 1:
        raise cursors.BadCursor("The cursor is not one this service gave out.")
    return cursors.day(day), cursors.uuid_text(caution_id), entry


def _panel_cursor(cursor: str) -> tuple[date, str]:
    day, panel_id = cursors.unpack(cursor, 2)
    return cursors.day(day), cursors.uuid_text(panel_id)


def list_cases(engine: Engine, f: CaseFilter, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]],
                                                                                       str | None]:
    """Earliest day first, then by caution and entry; the cursor is the last row's (day, caution, entry)."""
    query = select(panel_cases).where(_c.force == f.force)
    if f.happened_from is not None:
        query = query.where(_c.happened_on >= f.happened_from)
    if f.happened_to is not None:
        query = query.where(_c.happened_on <= f.happened_to)
    if f.kind is not None:
        query = query.where(_c.kind == f.kind)
    if f.reviewed is not None:
        query = query.where(_c.reviewed_panel_id.is_not(None) if f.reviewed else _c.reviewed_panel_id.is_(None))
    if cursor:
        day, caution_id, entry = _case_cursor(cursor)
        # A row-value comparison, so both databases walk the (force, happened_on, caution_id, entry) index.
        query = query.where(tuple_(_c.happened_on, _c.caution_id, _c.entry) > tuple_(
            literal(day, _c.happened_on.type), literal(caution_id), literal(entry)))
    query = query.order_by(_c.happened_on, _c.caution_id, _c.entry).limit(limit + 1)
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(query).mappings()]
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    next_cursor = (_encode([last["happened_on"].isoformat(), last["caution_id"], last["entry"]])
                   if last is not None else None)
    return [case_view(row) for row in page], next_cursor


def case_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "caution_id": row["caution_id"],
        "entry": row["entry"],
        "police_reference": row["police_reference"],
        "kind": row["kind"],
        "happened_on": row["happened_on"].isoformat(),
        "reviewed": row["reviewed_panel_id"] is not None,
        "reviewed_panel_id": row["reviewed_panel_id"],
        "reviewed_on": row["reviewed_on"].isoformat() if row["reviewed_on"] is not None else None,
        "position": row["position"],
    }


def list_panels(engine: Engine, force: str, held_from: date | None, held_to: date | None, limit: int,
                cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The panels that reviewed the force's cases, earliest day first (then by id), each with its cases."""
    panel = (select(_c.reviewed_panel_id, _c.reviewed_on, func.max(_c.reviewed_members).label("members"))
             .where(_c.force == force, _c.reviewed_panel_id.is_not(None))
             .group_by(_c.reviewed_panel_id, _c.reviewed_on))
    if held_from is not None:
        panel = panel.where(_c.reviewed_on >= held_from)
    if held_to is not None:
        panel = panel.where(_c.reviewed_on <= held_to)
    if cursor:
        day, panel_id = _panel_cursor(cursor)
        panel = panel.where(tuple_(_c.reviewed_on, _c.reviewed_panel_id) > tuple_(
            literal(day, _c.reviewed_on.type), literal(panel_id)))
    panel = panel.order_by(_c.reviewed_on, _c.reviewed_panel_id).limit(limit + 1)
    with engine.connect() as connection:
        panels = [dict(r) for r in connection.execute(panel).mappings()]
        page = panels[:limit]
        ids = [p["reviewed_panel_id"] for p in page]
        cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if ids:
            found = connection.execute(select(panel_cases).where(_c.force == force, _c.reviewed_panel_id.in_(ids))
                                       .order_by(_c.happened_on, _c.caution_id, _c.entry)).mappings()
            for row in found:
                cases[row["reviewed_panel_id"]].append(dict(row))
    items = [{"panel_id": p["reviewed_panel_id"], "held_on": p["reviewed_on"].isoformat(), "members": p["members"],
              "cases": [{"caution_id": r["caution_id"], "entry": r["entry"], "police_reference": r["police_reference"],
                         "kind": r["kind"], "happened_on": r["happened_on"].isoformat()}
                        for r in cases[p["reviewed_panel_id"]]]} for p in page]
    last = page[-1] if len(panels) > limit else None
    return items, (_encode([last["reviewed_on"].isoformat(), last["reviewed_panel_id"]]) if last is not None else None)
