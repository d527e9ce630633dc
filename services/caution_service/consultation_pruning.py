"""Retention of the consultation log: each force's entries older than its period are pruned from the start
of its chain, and the head row keeps the hash and id of the last one pruned (the anchor) so that `verify`
still finds what remains intact, and still finds an entry altered, removed or added in it.

Pruning never launders tampering: the entries it is about to remove are checked against the chain first,
and it stops at the first that does not match, leaving it for `verify` to report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine, RowMapping

from shared.retention import RetentionConfig, years_before
from shared.retention_job import Run

from .consultations import GENESIS, as_utc, consultations, entry_hash, heads

log = logging.getLogger("cara.retention")
ITEM = "consultations"


class ConsultationRetention:
    def __init__(self, engine: Engine, config: RetentionConfig, batch: int = 500) -> None:
        self.engine, self.config, self.batch = engine, config, batch

    def apply(self, run: Run) -> None:
        with self.engine.connect() as connection:
            forces = list(connection.execute(select(heads.c.force).order_by(heads.c.force)).scalars())
        for force in forces:
            cutoff = years_before(run.now, self.config.policy_for(force).consultation_log_years)
            while not run.stop.is_set() and self._prune_batch(run, force, cutoff) == self.batch:
                pass

    def _prune_batch(self, run: Run, force: str, cutoff: datetime) -> int:
        """Prunes up to a batch of the force's oldest entries, in one transaction with the anchor's move."""
        c, h = consultations.c, heads.c
        with self.engine.begin() as connection:
            # A write first, as ConsultationLog._append does: entries are not chained while the anchor moves.
            anchor = connection.execute(update(heads).where(h.force == force).values(last_id=h.last_id)
                                        .returning(h.pruned_through_hash)).scalar_one()
            rows = connection.execute(select(consultations).where(c.force == force)
                                      .order_by(c.id).limit(self.batch)).mappings().all()
            expired = _verified_prefix(rows, anchor or GENESIS, as_utc(cutoff), force)
            if expired:
                self._prune(connection, run, force, cutoff, expired)
        return len(expired)

    def _prune(self, connection: Connection, run: Run, force: str, cutoff: datetime, expired: list[dict[str, Any]]
               ) -> None:
        c, h, last = consultations.c, heads.c, expired[-1]
        deleted = connection.execute(delete(consultations).where(
            c.force == force, c.id.in_([row["id"] for row in expired]))).rowcount
        connection.execute(update(heads).where(h.force == force).values(
            pruned_through_id=last["id"], pruned_through_hash=last["entry_hash"]))
        run.record(connection, ITEM, force, cutoff, deleted, f"through entry {last['id']} ({last['entry_hash']})")


def _verified_prefix(rows: Sequence[RowMapping], running: str, cutoff: datetime, force: str) -> list[dict[str, Any]]:
    """The leading entries older than `cutoff` whose hashes match the chain from `running`."""
    expired: list[dict[str, Any]] = []
    for row in rows:
        if as_utc(row["at"]) >= cutoff:
            break
        if row["previous_hash"] != running or row["entry_hash"] != entry_hash(dict(row), running):
            log.error("consultation log of %s does not verify at entry %s: not pruned from there", force, row["id"])
            break
        expired.append(dict(row))
        running = row["entry_hash"]
    return expired
