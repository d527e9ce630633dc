"""The scrutiny panel (issue 19): police and provider review cases together, and one request records the review
on every caution it names, in one transaction.

Each caution named is loaded afresh and must be the caller's force's (another force's is 404, as on every caution
route) and must have a case of the kind the panel reviewed: an entry of its record that makes it one
(projections/panel_cases.py `case_kind`, the same rule the panel's list is projected by) and that has not been
struck out; else 422 `not_a_case_for_the_panel`. Then `Caution.record_panel_review` records a CaseReviewedByPanel
on each, and everything is saved with the Idempotency-Key record at once (application.record_together). A lost
race with another writer (the store's unique (caution, version) key) runs the request again from a fresh read.

When the review happened (`occurred_at`): a panel is recorded by its day (`held_on`), not its hour. For a panel
sitting today (UK) it is the request's time; for one held on an earlier day, the last moment of that UK day, the
latest it can have happened. A panel on a later day than today has not sat yet: refused (422 `panel_not_yet_held`).
Both keep the entry's time on the panel's own day, so the record and the panel's list show the same day.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from shared.uk_time import end_of_uk_day, uk_date

from .application import CautionApplication, ConcurrentChange, DuplicateInFlight
from .domain import values
from .domain.caution import Caution, event_name
from .domain.errors import InvalidCommand, require_same_force
from .domain.values import RecordedBy
from .idempotency import Receipt, StoredResponse
from .projections.panel_cases import MISSED, case_kind
from .writer import Outcome, answered_before

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class PanelCase:
    """One case as the panel decided it."""

    caution_id: UUID
    kind: str  # PanelCaseKind's value
    decision: str
    actions: list[str]


@dataclass(frozen=True)
class PanelReview:
    """What a request records: one panel, its members (by reference) and its cases."""

    panel_id: str
    held_on: date
    members: list[str]
    cases: list[PanelCase]
    occurred_at: datetime


@dataclass
class Reviewed:
    review: PanelReview
    cautions: list[Caution]


Render = Callable[[Reviewed], StoredResponse]


def review_moment(held_on: date, now: datetime) -> datetime:
    """When a panel held on `held_on` is recorded as having sat, asked at `now` (see the module's docstring)."""
    today = uk_date(now)
    if held_on > today:
        raise InvalidCommand("panel_not_yet_held",
                             f"The panel is to be held on {held_on.isoformat()}, after today: record it once it sits.")
    if held_on == today:
        return now
    return (end_of_uk_day(held_on) - timedelta(microseconds=1)).astimezone(UTC)


def case_kinds(app: CautionApplication, caution: Caution) -> set[str]:
    """The kinds of panel case the caution's record holds, leaving out entries struck out as recorded in error and
    excuse decisions whose miss was (the decision falls with the miss: projections/panel_cases.py)."""
    kinds, last_miss = set(), 0
    for recorded in app.repository.event_store.get(caution.id):
        name, entry = event_name(recorded), recorded.originator_version
        if name == MISSED:
            last_miss = entry
        kind = case_kind(name, vars(recorded))
        if kind is None or caution.is_struck(entry):
            continue
        if name == "ExcuseDecided" and last_miss and caution.is_struck(last_miss):
            continue
        kinds.add(kind)
    return kinds


def _panel_kind(kind: str) -> Any:
    """The kind as the caution's method takes it: J1's PanelCaseKind where the domain has it, else its value."""
    enum = getattr(values, "PanelCaseKind", None)
    return enum(kind) if enum is not None else kind


class ScrutinyCommands:
    def __init__(self, app: CautionApplication, pause: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self._pause = pause

    def record_review(
        self, force: str, held_on: date, members: list[str], cases: list[PanelCase], recorded_by: RecordedBy,
        recorded_at: datetime, receipt: Receipt | None, render: Render,
    ) -> Outcome:
        named = [(case.caution_id, case.kind) for case in cases]
        if len(set(named)) != len(named):
            raise InvalidCommand("case_named_twice", "Each case (caution and kind) is named once in a review.")
        # One id for the panel, whichever attempt saves it: a retry after a lost race records the same review.
        review = PanelReview(str(uuid4()), held_on, members, cases, review_moment(held_on, recorded_at))

        def attempt() -> Reviewed:
            cautions: dict[UUID, Caution] = {}
            for case in cases:  # every case checked before any is recorded
                caution = cautions.get(case.caution_id)
                if caution is None:
                    caution = cautions[case.caution_id] = self.app.get_caution(case.caution_id)
                    require_same_force(caution.force, force, case.caution_id)
                if case.kind not in case_kinds(self.app, caution):
                    raise InvalidCommand(
                        "not_a_case_for_the_panel",
                        f"Caution {case.caution_id} has no {case.kind.replace('_', ' ')} for the panel to review.")
            for case in cases:
                # J1's method (issue 19); typed through Any until the domain declares it on every branch.
                reviewable: Any = cautions[case.caution_id]
                reviewable.record_panel_review(
                    review.panel_id, held_on, list(members), _panel_kind(case.kind), case.decision,
                    list(case.actions), occurred_at=review.occurred_at, recorded_at=recorded_at,
                    recorded_by=recorded_by)
            return Reviewed(review, list(cautions.values()))

        for tried in range(MAX_ATTEMPTS):
            previous = self._answered_before(receipt)
            if previous is not None:
                return previous
            try:
                return self._save(attempt(), receipt, render)
            except _LostRace:
                self._pause(random.uniform(0.002, 0.01) * (tried + 1))  # spread the retries out
        raise ConcurrentChange()

    def _answered_before(self, receipt: Receipt | None) -> Outcome | None:
        if receipt is None:
            return None
        previous = self.app.idempotency.find(receipt.principal_id, receipt.key)
        return answered_before(self.app.idempotency, previous, receipt) if previous is not None else None

    def _save(self, reviewed: Reviewed, receipt: Receipt | None, render: Render) -> Outcome:
        response = render(reviewed)  # rendered and sealed before the transaction, as writer.py does
        row = self.app.idempotency.row(receipt, response, self.app.clock()) if receipt is not None else None
        try:
            position = self.app.record_together(reviewed.cautions, row)
        except IntegrityError:
            if receipt is not None and self.app.idempotency.find(receipt.principal_id, receipt.key):
                raise DuplicateInFlight() from None
            raise _LostRace() from None
        return Outcome(response.at_position(position))


class _LostRace(Exception):
    """Another writer recorded an event at a version this review's events take: run it again from a fresh read."""
