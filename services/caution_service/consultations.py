"""The consultation log: who saw a victim's contact details, and who was given a caution's compliance
history or court certificate, when, and why.

Police processing for law-enforcement purposes must keep such logs (Data Protection Act 2018, s.62:
consultation and disclosure, with their justification, time, and who consulted or received). Callers may
say why in an `X-Purpose` header; the log keeps it with the caller's id, role and force, the caution and
the request id. It never holds the details themselves: only that they were seen.

Unlike the read models, this is not rebuilt from the event store: reads leave no events. It is written
before the answer leaves, so a consultation the log missed is one the caller never received.

Each force's entries form a hash chain (each hash covers the entry and the one before it, and the force's
head row holds the last), so an entry altered, removed or added behind the service's back is found by
`verify` (GET /v1/consultations/verification). The request id is the service's own; the one the caller
sent, if any, is kept beside it. Retention prunes the oldest entries and keeps an anchor in the head row
(consultation_pruning.py), from which `verify` starts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from shared import cursors
from shared.auth import Principal
from shared.cursors import BadCursor as BadCursor  # the route catches it here

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
    Column("caller_request_id", String(200)),
    Column("previous_hash", String(64)),
    Column("entry_hash", String(64)),
    Column("route", String(200)),  # "GET /v1/cautions/{caution_id}": the route's template, never the values sent
    Column("detail", String(200)),  # what else the entry needs: the filters a list used, the answer a denial got
    Index("ix_consultations_force_at", "force", "at", "id"),
    Index("ix_consultations_caution", "caution_id", "at", "id"),
)


heads = Table(  # each force's chain: its newest entry and that entry's hash
    "consultation_heads",
    metadata,
    Column("force", String(64), primary_key=True),
    Column("last_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("last_hash", String(64), nullable=False),
    # The anchor: the newest entry retention has pruned (consultation_pruning.py). The chain now starts
    # from its hash, so what remains still verifies and a removal just after it is still found. The id
    # is for the record: SQLite may give it to a new entry again once the entries after it are gone.
    Column("pruned_through_id", BigInteger().with_variant(Integer, "sqlite")),
    Column("pruned_through_hash", String(64)),
)

GENESIS = "0" * 64
_CHAINED = ("at", "force", "caution_id", "what", "principal_id", "role", "purpose", "request_id", "caller_request_id")
# Columns added after the chain (migration 0010): in an entry's hash only when set, so the entries logged before
# them keep their hashes; clearing one, or setting one on an old entry, changes the hash all the same.
_CHAINED_WHEN_SET = ("route", "detail")
UNKNOWN = "-"  # the force, role and id of a caller refused before it was known (401): their own chain
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def entry_hash(entry: dict[str, Any], previous_hash: str) -> str:
    content = {name: entry[name] for name in _CHAINED}
    content.update({name: entry[name] for name in _CHAINED_WHEN_SET if entry.get(name) is not None})
    content["at"] = as_utc(content["at"]).isoformat()
    return hashlib.sha256((previous_hash + _canonical(content)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    entries_checked: int
    digest: str
    first_broken_id: int | None = None
    problem: str | None = None


class Seen(str, Enum):
    VICTIM_DETAILS = "victim_details"  # consultation
    PERSONAL_DATA = "personal_data"  # consultation: any other personal data of a caution (disclosure.py)
    COMPLIANCE_HISTORY = "compliance_history"  # disclosure
    CERTIFICATE = "certificate"  # disclosure
    SUBJECT_ACCESS = "subject_access"  # disclosure to the data subject (DPA 2018 s.45), one entry per caution
    OFFENDER_SEARCH = "offender_search"  # consultation: found by the offender's name and date of birth
    CAUTION_LIST = "caution_list"  # consultation: a page of cautions (offender references), caution_id "*"
    EVENT_FEED = "event_feed"  # disclosure: feed events (references, no identity) to a subscriber, caution_id "*"
    DENIED = "denied"  # a read of personal data refused (401, 403) or of a caution not in the caller's force (404)


@dataclass
class _Pending:
    entry: dict[str, Any]
    written: bool = False
    error: BaseException | None = None


class ConsultationLog:
    """Entries are written by whichever caller gets to the log first, together with every entry that arrived
    meanwhile, in one transaction (flat combining). A write ending a long-poll woke 200 feed subscribers at
    once, each with a page to log: one transaction each, chained one at a time per force, kept the next
    police read waiting half a second behind them. A lone caller still writes its entry at once."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine, self.clock = engine, clock  # the table is made by migrations/
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._writing = threading.Lock()
        self.transactions = 0  # for tests: how many transactions the entries took

    def record(self, principal: Principal | None, caution_id: UUID | str, what: Seen, purpose: str | None,
               request_id: str | None, caller_request_id: str | None = None, route: str | None = None,
               detail: str | None = None) -> None:
        """`principal` None: a caller refused before it was known, logged in the force UNKNOWN's chain.
        Returns once the entry is committed; raises what the database raised if it could not be."""
        force, role, who = (principal.force, principal.role.value, principal.id) if principal else (UNKNOWN,) * 3
        pending = _Pending({"at": self.clock().astimezone(UTC), "force": force, "caution_id": str(caution_id),
                            "what": what.value, "principal_id": who, "role": role, "purpose": purpose,
                            "request_id": request_id, "caller_request_id": caller_request_id, "route": route,
                            "detail": detail})
        with self._queue_lock:
            self._queue.append(pending)
        with self._writing:
            if not pending.written and pending.error is None:  # nobody took it along: write all that waits
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write(batch)
        if pending.error is not None:
            raise pending.error

    def _write(self, batch: list[_Pending]) -> None:
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    for pending in batch:
                        self._append(conn, pending.entry)
                self.transactions += 1
                for pending in batch:
                    pending.written = True
                return
            except IntegrityError as e:  # two first entries of a force at once: the other made its head; go again
                if attempt == 2:
                    self._fail(batch, e)
            except Exception as e:  # the database failed: every caller in the batch hears it
                self._fail(batch, e)
                return

    @staticmethod
    def _fail(batch: list[_Pending], error: BaseException) -> None:
        for pending in batch:
            pending.error = error

    def _append(self, conn: Connection, entry: dict[str, Any]) -> None:
        h = heads.c
        # A write first: it takes SQLite's write lock, or the head row's lock on PostgreSQL, so entries of
        # one force are chained one at a time.
        previous = conn.execute(update(heads).where(h.force == entry["force"]).values(last_id=h.last_id)
                                .returning(h.last_hash)).scalar_one_or_none()
        if previous is None:  # the force's first entry
            conn.execute(insert(heads).values(force=entry["force"], last_id=0, last_hash=GENESIS))
            previous = GENESIS
        digest = entry_hash(entry, previous)
        row_id = conn.execute(insert(consultations).values(**entry, previous_hash=previous, entry_hash=digest)
                              .returning(consultations.c.id)).scalar_one()
        conn.execute(update(heads).where(h.force == entry["force"]).values(last_id=row_id, last_hash=digest))

    def verify(self, force: str) -> ChainCheck:
        """Recompute the force's chain from its first entry kept (after the anchor retention left, if it
        pruned any): intact, or the first entry that does not match."""
        c, h = consultations.c, heads.c
        with self.engine.connect() as conn:
            head = conn.execute(select(h.last_hash, h.pruned_through_hash).where(h.force == force)).first()
            # Not the anchor's id: SQLite gives a deleted newest row's id again, so after pruning ids say little.
            running = head.pruned_through_hash if head and head.pruned_through_hash else GENESIS
            checked = 0
            rows = conn.execute(select(consultations).where(c.force == force).order_by(c.id)).mappings()
            for row in rows:
                if row["previous_hash"] != running:
                    return ChainCheck(False, checked, running, row["id"],
                                      "an entry before this one was removed or added, or this one was moved")
                if row["entry_hash"] != entry_hash(dict(row), running):
                    return ChainCheck(False, checked, running, row["id"], "this entry was altered")
                running, checked = row["entry_hash"], checked + 1
        if (head.last_hash if head else GENESIS) != running:
            return ChainCheck(False, checked, running, None, "the newest entries were removed")
        return ChainCheck(True, checked, running)

    def about(self, force: str, caution_ids: list[str]) -> list[dict[str, Any]]:
        """Every entry of the force about these cautions, oldest first (a subject access export lists them)."""
        if not caution_ids:
            return []
        c = consultations.c
        query = (select(consultations).where(c.force == force, c.caution_id.in_(caution_ids))
                 .order_by(c.at, c.id))
        with self.engine.connect() as conn:
            return [_public(row) for row in conn.execute(query).mappings()]

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


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _public(row: Any) -> dict[str, Any]:
    return {"at": as_utc(row["at"]).isoformat(), "caution_id": row["caution_id"], "what": row["what"],
            "principal_id": row["principal_id"], "role": row["role"], "purpose": row["purpose"],
            "request_id": row["request_id"], "caller_request_id": row["caller_request_id"], "route": row["route"],
            "detail": row["detail"]}


def _cursor(at: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([as_utc(at).isoformat(), row_id]).encode()).decode()


def _uncursor(cursor: str) -> tuple[datetime, int]:
    at, last_id = cursors.unpack(cursor, 2)
    return cursors.moment(at), cursors.row_id(last_id)
