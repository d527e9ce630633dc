"""The bulk event insert (event_store.py): positions follow the events given, or the batch is refused."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from services.caution_service import driver_sql
from services.caution_service.application import CautionApplication
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.values import Workshop
from services.caution_service.event_store import EventsOutOfOrder
from tests.caution_service.unit.builders import A_DAY, book, issue_kwargs


class NumberedBackwards:
    """An insert whose database numbers the rows in reverse (neither database promises otherwise)."""

    def __init__(self, insert: Any) -> None:
        self.insert = insert

    def execute(self, connection: Any, rows: Any) -> list[tuple[Any, ...]]:
        returned = self.insert.execute(connection, rows)
        ids = sorted(id_ for id_, _, _ in returned)
        return [(id_, oid, version) for id_, (_, oid, version) in zip(reversed(ids), returned, strict=True)]


def test_events_numbered_out_of_the_order_given_are_refused_and_nothing_is_recorded(app: CautionApplication) -> None:
    recorder: Any = app.recorder
    recorder.__dict__["_insert"] = NumberedBackwards(recorder._insert)
    with pytest.raises(EventsOutOfOrder):
        app.save(*(Caution.issue(**issue_kwargs()) for _ in range(3)))
    assert recorder.select_notifications(start=1, limit=10) == []


def test_a_broken_unique_key_is_the_event_stores_integrity_error(app: CautionApplication) -> None:
    caution = Caution.issue(**issue_kwargs())
    app.save(caution)
    first: Caution = app.repository.get(caution.id)
    second: Caution = app.repository.get(caution.id)
    for copy in (first, second):
        book(copy, Workshop.A, A_DAY, on=1)
    app.save(first)
    with pytest.raises(IntegrityError):
        app.save(second)  # version 2 again: the (caution, version) key is taken
    assert [n.originator_version for n in app.recorder.select_notifications(start=1, limit=10)] == [1, 2]


def test_a_save_larger_than_one_statement_goes_in_several_in_order(
    app: CautionApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deadline run may save hundreds of cautions at once: more parameters than a statement may carry."""
    monkeypatch.setattr(driver_sql, "ROWS_PER_STATEMENT", 7)
    cautions = [Caution.issue(**issue_kwargs()) for _ in range(30)]
    for caution in cautions[::3]:
        book(caution, Workshop.A, A_DAY, on=1)
    recordings = app.save(*cautions)
    assert len(recordings) == 40
    stored = {n.id: (n.originator_id, n.originator_version)
              for n in app.recorder.select_notifications(start=1, limit=100)}
    assert [stored[r.notification.id] for r in recordings] == [
        (r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings]
    assert [r.notification.id for r in recordings] == sorted(stored)


def test_reads_for_no_keys_find_nothing(app: CautionApplication) -> None:
    assert app.idempotency.find_many([]) == {}

