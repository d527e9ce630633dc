"""The notification service's retention job (shared/retention_job.py): finished deliveries with their attempts,
then notifications with whatever deliveries remain of them, each under its force's periods.

A delivery still pending is never touched, nor the notification it would deliver: the dispatcher may be
sending it at that moment. A notification's deliveries and attempts go in its own transaction, so nothing
is left pointing at a notification that is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.engine import Connection, Engine

from shared.retention import RetentionConfig, days_before
from shared.retention_job import RetentionJob, Run, retention_tables, scopes

from .tables import attempts, deliveries, notifications

TABLES = retention_tables("notifications_")
NOTIFICATIONS, DELIVERIES, ATTEMPTS = "notifications", "deliveries", "delivery_attempts"
ITEMS = [NOTIFICATIONS, DELIVERIES, ATTEMPTS]  # reported on /metrics from the start, at 0
FINISHED = ("delivered", "dead")
n, d, a = notifications.c, deliveries.c, attempts.c


def _of_force(force: str) -> ColumnElement[bool]:
    return n.force == force


class DeliveryRetention:
    """A finished delivery and its attempts, once its last attempt is older than delivery_attempts_days."""

    def __init__(self, engine: Engine, config: RetentionConfig, batch: int = 500) -> None:
        self.engine, self.config, self.batch = engine, config, batch

    def apply(self, run: Run) -> None:
        for scope, policy, of_scope in scopes(self.config, _of_force):
            cutoff = days_before(run.now, policy.delivery_attempts_days)
            while not run.stop.is_set() and self._batch(run, scope, of_scope, cutoff) == self.batch:
                pass

    def _batch(self, run: Run, scope: str, of_scope: ColumnElement[bool], cutoff: datetime) -> int:
        recent_attempt = exists().where(a.delivery_id == d.id, a.at >= cutoff)
        stale = (select(d.id).join(notifications, n.id == d.notification_id)
                 .where(of_scope, d.status.in_(FINISHED), d.next_attempt_at < cutoff, ~recent_attempt)
                 .limit(self.batch))
        with self.engine.begin() as connection:
            ids = list(connection.execute(stale).scalars())
            _delete_deliveries(connection, run, scope, cutoff, ids)
        return len(ids)


class NotificationRetention:
    """A notification older than notifications_days, with its finished deliveries and their attempts."""

    def __init__(self, engine: Engine, config: RetentionConfig, batch: int = 500) -> None:
        self.engine, self.config, self.batch = engine, config, batch

    def apply(self, run: Run) -> None:
        for scope, policy, of_scope in scopes(self.config, _of_force):
            cutoff = days_before(run.now, policy.notifications_days)
            while not run.stop.is_set() and self._batch(run, scope, of_scope, cutoff) == self.batch:
                pass

    def _batch(self, run: Run, scope: str, of_scope: ColumnElement[bool], cutoff: datetime) -> int:
        pending = exists().where(d.notification_id == n.id, d.status == "pending")
        stale = select(n.id).where(of_scope, n.created_at < cutoff, ~pending).limit(self.batch)
        with self.engine.begin() as connection:
            ids = list(connection.execute(stale).scalars())
            if ids:
                owned = list(connection.execute(select(d.id).where(d.notification_id.in_(ids))).scalars())
                _delete_deliveries(connection, run, scope, cutoff, owned)
                deleted = connection.execute(delete(notifications).where(n.id.in_(ids))).rowcount
                run.record(connection, NOTIFICATIONS, scope, cutoff, deleted)
        return len(ids)


def _delete_deliveries(connection: Connection, run: Run, scope: str, cutoff: datetime, ids: list[str]) -> None:
    if not ids:
        return
    run.record(connection, ATTEMPTS, scope, cutoff,
               connection.execute(delete(attempts).where(a.delivery_id.in_(ids))).rowcount)
    run.record(connection, DELIVERIES, scope, cutoff,
               connection.execute(delete(deliveries).where(d.id.in_(ids))).rowcount)


def build_retention(engine: Engine, config: RetentionConfig, clock: Callable[[], datetime],
                    batch: int = 500) -> RetentionJob:
    return RetentionJob(engine, TABLES, [DeliveryRetention(engine, config, batch),
                                         NotificationRetention(engine, config, batch)], clock)
