"""The consultation log: who saw a victim's contact details, and who was given a caution's compliance
history or court certificate, when, and why.

Police processing for law-enforcement purposes must keep such logs (Data Protection Act 2018, s.62:
consultation and disclosure, with their justification, time, and who consulted or received). Callers may
say why in an `X-Purpose` header; the log keeps it with the caller's id, role and force, the caution and
the request id. It never holds the details themselves: only that they were seen.

Unlike the read models, this is not rebuilt from the event store: reads leave no events. It is written
before the answer leaves, so a consultation the log missed is one the caller never received.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, and_, insert, or_, select
from sqlalchemy.engine import Engine

from shared.auth import Principal

metadata = MetaData()

consultations = Table(
    "consultations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("force", String(64), nullable=False),
    Column("caution_id", String(36), nullable=False),
    Column("what", String(32), nullable=False),
    Column("principal_id", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("purpose", String(200)),
    Column("request_id", String(64)),
    Index("ix_consultations_force_at", "force", "at", "id"),
    Index("ix_consultations_caution", "caution_id", "at", "id"),
)


class Seen(str, Enum):
    VICTIM_DETAILS = "victim_details"  # consultation
    COMPLIANCE_HISTORY = "compliance_history"  # disclosure
    CERTIFICATE = "certificate"  # disclosure


class ConsultationLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine, self.clock = engine, clock  # the table is made by migrations/

    def record(self, principal: Principal, caution_id: UUID | str, what: Seen, purpose: str | None,
               request_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(consultations).values(
                at=self.clock().astimezone(UTC), force=principal.force, caution_id=str(caution_id), what=what.value,
                principal_id=principal.id, role=principal.role.value, purpose=purpose, request_id=request_id))

    def page(
        self, force: str, caution_id: UUID | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, within one force; `cursor` continues after the last row of the previous page."""
        c = consultations.c
        query = select(consultations).where(c.force == force)
        if caution_id is not None:
            query = query.where(c.caution_id == str(caution_id))
        if cursor is not None:
            at, last_id = _uncursor(cursor)
            query = query.where(or_(c.at < at, and_(c.at == at, c.id < last_id)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(c.at.desc(), c.id.desc()).limit(limit + 1)).mappings().all()
        items = [_public(row) for row in rows[:limit]]
        more = len(rows) > limit
        return items, _cursor(rows[limit - 1]["at"], rows[limit - 1]["id"]) if more else None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _public(row: Any) -> dict[str, Any]:
    return {"at": _utc(row["at"]).isoformat(), "caution_id": row["caution_id"], "what": row["what"],
            "principal_id": row["principal_id"], "role": row["role"], "purpose": row["purpose"],
            "request_id": row["request_id"]}


def _cursor(at: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([_utc(at).isoformat(), row_id]).encode()).decode()


class BadCursor(ValueError):
    pass


def _uncursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), int(row_id)
    except (ValueError, TypeError) as e:
        raise BadCursor("not a cursor this service gave out") from e
