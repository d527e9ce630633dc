"""The deadline monitor: records ComplianceDeadlinePassed once for each caution whose period ended open.

The event says the period ended at the end of its last UK day, whenever the monitor noticed (domain/caution.py).

Exactly once without coordination: the aggregate refuses a second record, and
optimistic concurrency makes a racing replica retry and then be refused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy import select

from shared.uk_time import uk_date

from .application import CautionApplication
from .domain.caution import Caution
from .domain.errors import ConflictsWithState
from .domain.values import RecordedBy
from .projections.queries import OPEN_STATUSES
from .projections.tables import summaries

log = logging.getLogger("cara.deadlines")
MONITOR_ID = "cara-deadline-monitor"


class DeadlineMonitor:
    def __init__(self, app: CautionApplication, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.clock = clock

    def candidates(self) -> list[UUID]:
        today = uk_date(self.clock())  # the period ends when its last UK day does, not the UTC one
        s = summaries.c
        query = select(s.caution_id).where(
            s.status.in_(OPEN_STATUSES), s.deadline_passed.is_(False), s.period_ends_on < today
        )
        with self.app.engine.connect() as connection:
            return [UUID(row[0]) for row in connection.execute(query)]

    def run_once(self) -> list[UUID]:
        """Record the deadline for every caution that needs it; returns those recorded by this call."""
        recorded = []
        for caution_id in self.candidates():
            try:
                self.app.change(caution_id, self._record)
            except ConflictsWithState:
                continue  # already recorded, closed, or varied meanwhile
            recorded.append(caution_id)
        if recorded:
            log.info("recorded ComplianceDeadlinePassed for %d caution(s)", len(recorded))
        return recorded

    def _record(self, caution: Caution) -> None:
        by = RecordedBy(id=MONITOR_ID, role="system", force=caution.force)
        caution.record_deadline_passed(recorded_at=self.clock(), recorded_by=by)

    def run_in_thread(self, stop: threading.Event, interval_seconds: float) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval_seconds):
                try:
                    self.run_once()
                except Exception:  # the next run retries; the failure is visible in the log
                    log.exception("deadline monitor run failed")

        thread = threading.Thread(target=loop, name="cara-deadline-monitor", daemon=True)
        thread.start()
        return thread
