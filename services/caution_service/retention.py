"""The caution service's retention job (shared/retention_job.py): each person's data when its period ends
(retention_people.py), Idempotency-Key records and the consultation log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, tuple_
from sqlalchemy.engine import Engine

from shared.retention import RetentionConfig, days_before
from shared.retention_job import RetentionJob, Run, retention_tables, scopes

from .application import CautionApplication
from .consultation_pruning import ITEM as CONSULTATIONS
from .consultation_pruning import ConsultationRetention
from .idempotency import Base, IdempotencyRecord
from .retention_people import ITEMS as PEOPLE
from .retention_people import PersonalDataRetention

TABLES = retention_tables("cautions_")
IDEMPOTENCY_RECORDS = "idempotency_records"
ITEMS = [*PEOPLE, IDEMPOTENCY_RECORDS, CONSULTATIONS]  # reported on /metrics from the start, at 0
IDEMPOTENCY_TABLE = Base.metadata.tables[IdempotencyRecord.__tablename__]


class IdempotencyRetention:
    """A record only serves retries of its request; each is deleted once older than its caller's force allows."""

    def __init__(self, engine: Engine, config: RetentionConfig, batch: int = 500) -> None:
        self.engine, self.config, self.batch = engine, config, batch

    def apply(self, run: Run) -> None:
        for scope, policy, of_scope in scopes(self.config, _callers_of):
            cutoff = days_before(run.now, policy.idempotency_days)
            while not run.stop.is_set() and self._delete_batch(run, scope, of_scope, cutoff) == self.batch:
                pass

    def _delete_batch(self, run: Run, scope: str, of_scope: ColumnElement[bool], cutoff: datetime) -> int:
        c = IDEMPOTENCY_TABLE.c
        stale = select(c.principal_id, c.key).where(of_scope, c.created_at < cutoff).limit(self.batch)
        with self.engine.begin() as connection:
            stale_rows = tuple_(c.principal_id, c.key).in_(stale)
            deleted = connection.execute(delete(IDEMPOTENCY_TABLE).where(stale_rows)).rowcount
            run.record(connection, IDEMPOTENCY_RECORDS, scope, cutoff, deleted)
        return int(deleted)


def _callers_of(force: str) -> ColumnElement[bool]:
    """Records are keyed by the caller as `force/role/id` (api/execution.py, `caller`)."""
    return IDEMPOTENCY_TABLE.c.principal_id.startswith(f"{force}/", autoescape=True)


def build_retention(app: CautionApplication, config: RetentionConfig, clock: Callable[[], datetime],
                    batch: int = 500) -> RetentionJob:
    """People's data first: an erasure is the duty the law puts first, the housekeeping can wait a day."""
    engine = app.engine
    return RetentionJob(engine, TABLES, [PersonalDataRetention(app, config, batch),
                                         IdempotencyRetention(engine, config, batch),
                                         ConsultationRetention(engine, config, batch)], clock)
