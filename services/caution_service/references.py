"""Which police references and offenders already have a caution in a force: the write side's own table.

Two rules need what other cautions hold, which no single caution can know (DOMAIN.md): one caution per
police reference per force, and an offender with a CARA caution in this force within the look-back period
fails the previous-disposal rule (domain/eligibility.py). `caution_references` answers both with one
indexed query. It is written by `CautionApplication.record`, in the transaction that records the caution's
events, so it is never behind them; it is not a projection, and a rebuild of the read models never touches it.

Checked twice. Before the write (api/cautions.py `_new_caution` asks `known_for`), so the common refusal
costs no transaction. Then inside the transaction (`record_in`), which is the guarantee when requests race,
from any number of API processes:
- the police reference by the table's unique index on (force, police_reference): the second insert fails;
- the offender by a check made where no other writer can add a caution for the same (force, offender) until
  this transaction ends. PostgreSQL: a transaction-scoped advisory lock on the pair, taken before the check
  (READ COMMITTED then shows every caution committed before the lock was granted). The event store's
  exclusive table lock, taken by the events' insert just before, serialises writers today as well; the
  advisory lock keeps the rule from depending on how the library orders its inserts, and is always taken
  after that table lock, so the two cannot deadlock. SQLite: the check runs
  after the transaction's first write, which takes the database's only write lock
  (tests/caution_service/integration/test_duplicates_concurrency.py shows a check made before it would miss).

A withdrawn caution (set aside: no citable caution, DOMAIN.md's verdict table) does not count against the
offender; its police reference stays taken, since the caution is still on the record under it.

Rows marked `duplicate` are cautions recorded before this table existed under a police reference an earlier
caution in the force already held (migration 0013 keeps them readable and logs them): they are left out of
the unique index, and they still count against their offender.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    MetaData,
    String,
    Table,
    and_,
    false,
    select,
    text,
    true,
    update,
)
from sqlalchemy.engine import Connection, Engine

from shared.uk_time import uk_date

from .domain.caution import Caution, event_name
from .domain.eligibility import CautionOnRecord, previous_cara_cautions
from .driver_sql import FixedSelect, InListSelect, InsertMany

metadata = MetaData()

caution_references = Table(
    "caution_references", metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("police_reference", String(100), nullable=False),
    Column("offender_reference", String(100), nullable=False),
    Column("issued_on", Date, nullable=False),  # the UK day the caution was given (its occurred_at)
    Column("withdrawn", Boolean, nullable=False, server_default=false()),
    Column("duplicate", Boolean, nullable=False, server_default=false()),
    Index("ux_caution_references_force_reference", "force", "police_reference", unique=True,
          sqlite_where=text("NOT duplicate"), postgresql_where=text("NOT duplicate")),
    Index("ix_caution_references_force_offender", "force", "offender_reference"),
)

_OFFENDER_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || :name))")


@dataclass(frozen=True)
class Known:
    """What the table holds of the cautions sharing a new caution's police reference or offender."""

    holder: CautionOnRecord | None  # the caution already given under the police reference
    offender_cautions: tuple[CautionOnRecord, ...]  # the offender's cautions in the force, withdrawn ones left out


class DuplicatePoliceReference(Exception):
    """The force already has a caution with this police reference."""

    def __init__(self, existing: CautionOnRecord) -> None:
        super().__init__(f"police reference {existing.police_reference} is caution {existing.caution_id}")
        self.existing = existing


class PreviousCautionRecorded(IntegrityError):
    """Found inside the write's transaction: another caution for this offender was recorded first.

    An IntegrityError, so the group-commit writer answers it as it does any conflict: the batch is rolled
    back and each of its commands runs again on its own (writer.py), where the loser is refused as if it
    had come second."""

    def __init__(self, caution_id: UUID, found: Sequence[CautionOnRecord]) -> None:
        super().__init__(f"caution {caution_id}: the offender has caution(s) {[str(c.caution_id) for c in found]}")
        self.caution_id, self.found = caution_id, tuple(found)


@dataclass(frozen=True)
class Changes:
    """What a batch of cautions' new events change here: cautions issued (as rows), withdrawn, and reinstated (a
    withdrawal struck out as recorded in error: the caution is open again, so it counts again)."""

    issued: list[dict[str, Any]]
    withdrawn: list[str]
    reinstated: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.issued or self.withdrawn or self.reinstated)


def _day(stored: date | str) -> date:
    """A DATE as the driver gives it: SQLite's holds ISO text (SQLAlchemy's own reads convert it; the driver's not)."""
    return stored if isinstance(stored, date) else date.fromisoformat(stored)


class _Row(NamedTuple):
    caution_id: str
    police_reference: str
    offender_reference: str
    issued_on: date
    withdrawn: bool
    duplicate: bool


def _on_record(row: Any) -> CautionOnRecord:
    return CautionOnRecord(UUID(row.caution_id), row.police_reference, _day(row.issued_on))


class CautionReferences:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        # Inside the write's transaction, as the batch's other statements: plain SQL through the driver
        # (driver_sql.py); through SQLAlchemy Core the select and insert cost a batch 0.9 ms on SQLite.
        t = caution_references
        self._insert = InsertMany(engine.dialect, list(t.c))
        self._known = FixedSelect(
            engine.dialect, [t.c.caution_id, t.c.police_reference, t.c.offender_reference, t.c.issued_on, t.c.withdrawn,
                             t.c.duplicate],
            "force = {p} AND (police_reference = {p} OR offender_reference = {p})")
        self._offenders = InListSelect(
            engine.dialect, [t.c.force, t.c.offender_reference, t.c.caution_id, t.c.police_reference, t.c.issued_on,
                             t.c.withdrawn], [t.c.offender_reference])

    # ----- the fast path: before the write -------------------------------------------------------------------

    def known_for(self, force: str, police_reference: str, offender_reference: str) -> Known:
        """One indexed query (either index serves its half of the OR), as plain SQL through the driver: it runs for
        every caution issued, and through SQLAlchemy Core it cost 0.6 ms of the writer's time on SQLite."""
        with self._engine.connect() as connection:
            rows = [_Row(*row) for row in self._known.rows(connection, force, police_reference, offender_reference)]
        holders = sorted((r for r in rows if r.police_reference == police_reference),
                         key=lambda r: (bool(r.duplicate), r.issued_on))
        offender = tuple(_on_record(r) for r in rows if r.offender_reference == offender_reference and not r.withdrawn)
        return Known(_on_record(holders[0]) if holders else None, offender)

    def holder(self, force: str, police_reference: str) -> CautionOnRecord | None:
        """The caution given under this police reference in the force (the first, where old duplicates exist)."""
        t = caution_references
        query = (select(t.c.caution_id, t.c.police_reference, t.c.issued_on)
                 .where(t.c.force == force, t.c.police_reference == police_reference)
                 .order_by(t.c.duplicate, t.c.issued_on).limit(1))
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return _on_record(row) if row is not None else None

    # ----- the guarantee: inside the write's transaction -----------------------------------------------------

    @staticmethod
    def changes(cautions: Iterable[Caution]) -> Changes:
        """Read from the cautions' pending events, before `save` collects them."""
        issued, withdrawn, reinstated = [], [], []
        for caution in cautions:
            for pending in caution.pending_events:
                name = event_name(pending)
                if name == "CautionIssued":
                    issued.append({"caution_id": str(caution.id), "force": caution.force,
                                   "police_reference": caution.police_reference,
                                   "offender_reference": caution.offender.reference,
                                   "issued_on": uk_date(caution.issued_at), "withdrawn": False, "duplicate": False})
                elif name == "Withdrawn":
                    withdrawn.append(str(caution.id))
                elif (name == "EntryCorrected" and getattr(pending, "recorded_in_error", False)
                      and getattr(pending, "corrected_type", None) == "Withdrawn"):
                    reinstated.append(str(caution.id))
        return Changes(issued, withdrawn, reinstated)

    def record_in(self, connection: Connection, changes: Changes) -> None:
        """Called after the batch's events are inserted (on SQLite the transaction then holds the write lock).

        Raises PreviousCautionRecorded for the first caution whose offender already has one in the look-back
        period (recorded before, or earlier in this batch), and the database's IntegrityError for a police
        reference the force already holds."""
        t = caution_references
        if changes.issued:
            pairs = sorted({(row["force"], row["offender_reference"]) for row in changes.issued})
            if self._postgres:  # in one order, so two batches sharing offenders cannot deadlock
                for force, offender in pairs:
                    connection.execute(_OFFENDER_LOCK, {"name": f":cara-offender:{force}:{offender}"})
            held: dict[tuple[str, str], list[CautionOnRecord]] = {pair: [] for pair in pairs}
            for force, offender, caution_id, police_reference, issued_on, withdrawn in self._offenders.rows(
                    connection, sorted({offender for _, offender in pairs})):
                if (force, offender) in held and not withdrawn:
                    held[(force, offender)].append(CautionOnRecord(UUID(caution_id), police_reference,
                                                                   _day(issued_on)))
            for new in changes.issued:
                pair = (new["force"], new["offender_reference"])
                found = previous_cara_cautions(new["issued_on"], held[pair])
                if found:
                    raise PreviousCautionRecorded(UUID(new["caution_id"]), found)
                held[pair].append(CautionOnRecord(UUID(new["caution_id"]), new["police_reference"], new["issued_on"]))
            self._insert.execute(connection, changes.issued)
        if changes.withdrawn:
            connection.execute(update(t).where(and_(t.c.caution_id.in_(changes.withdrawn))).values(withdrawn=true()))
        if changes.reinstated:
            connection.execute(update(t).where(t.c.caution_id.in_(changes.reinstated)).values(withdrawn=false()))
