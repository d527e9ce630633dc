"""The retention job's step for people (shared/retention_job.py): a person's data erased when its period ends.

Data Protection Act 2018 s.39(1): personal data processed for a law enforcement purpose is kept no longer
than necessary; s.39(2): appropriate time limits are set for its periodic review or erasure. The force's
periods are in its retention policy (shared/retention.py):

- the victim's contact details, `victim_details_days_after_close` days after the caution closed;
- the offender's identity (name, date of birth, gender, the offence description), once
  `offender_identity_years_after_spent` years have passed since the caution became spent.

Each erasure is a PersonalDataErased event (legal basis s.39), recorded with the destruction of the
person's data key and the job's count, in one transaction: erased and counted exactly once, or neither.
A caution already erased refuses a second erasure, which the step passes over; candidates are walked in
caution id order from where the last batch ended, so a read model that has not yet caught up with an
erasure never holds the step in a loop.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from shared.retention import RetentionConfig, RetentionPolicy, years_before
from shared.retention_job import Run, scopes

from .application import CautionApplication, ConcurrentChange
from .domain.caution import Caution
from .domain.errors import ConflictsWithState
from .domain.values import DataProtectionBasis, Person, RecordedBy
from .projections.tables import summaries

VICTIM_DETAILS, OFFENDER_IDENTITY = "victim_details", "offender_identity"
ITEMS = [VICTIM_DETAILS, OFFENDER_IDENTITY]
RETENTION_ID = "cara-retention"


def _victim_cutoff(policy: RetentionPolicy, today: date) -> date:
    """Closed before this day: the period after the close has ended."""
    return today - timedelta(days=policy.victim_details_days_after_close)


def _offender_cutoff(policy: RetentionPolicy, today: date) -> date:
    """Spent on or before this day: the years after the spent date have passed."""
    midnight = datetime.combine(today, time(), UTC)
    return years_before(midnight, policy.offender_identity_years_after_spent).date()


class PersonalDataRetention:
    def __init__(self, app: CautionApplication, config: RetentionConfig, batch: int = 500) -> None:
        self.app, self.config, self.batch = app, config, batch

    def apply(self, run: Run) -> None:
        today = run.now.date()
        s = summaries.c
        for scope, policy, of_scope in scopes(self.config, lambda force: s.force == force):
            victim_cutoff = _victim_cutoff(policy, today)
            self._erase_all(run, scope, Person.VICTIM, victim_cutoff, of_scope, s.victim_data != "erased",
                            s.closed_on.is_not(None), s.closed_on < victim_cutoff,
                            reason=f"retention period over: {policy.victim_details_days_after_close} days after "
                                   "the caution closed")
            offender_cutoff = _offender_cutoff(policy, today)
            # Closed cautions only: an open caution's spent date is provisional (domain/spent.py).
            self._erase_all(run, scope, Person.OFFENDER, offender_cutoff, of_scope, s.offender_data != "erased",
                            s.closed_on.is_not(None), s.spent_on <= offender_cutoff,
                            reason=f"retention period over: {policy.offender_identity_years_after_spent} years "
                                   "after the caution became spent")

    def _erase_all(self, run: Run, scope: str, person: Person, cutoff: date, *where: ColumnElement[bool],
                   reason: str) -> None:
        item = VICTIM_DETAILS if person is Person.VICTIM else OFFENDER_IDENTITY
        after = ""
        while not run.stop.is_set():
            query = (select(summaries.c.caution_id).where(*where, summaries.c.caution_id > after)
                     .order_by(summaries.c.caution_id).limit(self.batch))
            with self.app.engine.connect() as connection:
                batch = [row[0] for row in connection.execute(query)]
            for caution_id in batch:
                if run.stop.is_set():
                    return
                self._erase(run, scope, item, person, UUID(caution_id), cutoff, reason)
            if len(batch) < self.batch:
                return
            after = batch[-1]

    def _erase(self, run: Run, scope: str, item: str, person: Person, caution_id: UUID, cutoff: date,
               reason: str) -> None:
        def erase(caution: Caution) -> None:
            by = RecordedBy(id=RETENTION_ID, role="system", force=caution.force)
            caution.erase_personal_data(person, reason, DataProtectionBasis.RETENTION, recorded_at=run.now,
                                        recorded_by=by)

        def counted(session: Session) -> None:  # in the erasure's own transaction
            run.record(session.connection(), item, scope, datetime.combine(cutoff, time(), UTC), 1)

        try:
            self.app.change(caution_id, erase, also=counted)
        except (ConflictsWithState, ConcurrentChange):
            return  # erased already (the read model had not caught up), or busy: the next run looks again
