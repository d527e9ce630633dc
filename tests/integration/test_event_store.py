"""The bulk event insert (event_store.py): positions follow the events given, or the batch is refused."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from services.caution_service.application import CautionApplication
from services.caution_service.domain.caution import Caution
from services.caution_service.event_store import EventsOutOfOrder
from services.caution_service.domain.values import Workshop
from tests.unit.builders import A_DAY, book, issue_kwargs


class NumberedBackwards:
    """An insert whose database numbers the rows in reverse (neither database promises otherwise)."""

    def __init__(self, insert: Any) -> None:
        self.insert = insert

    def execute(self, connection: Any, rows: Any) -> list[tuple[Any, ...]]:
        returned = self.insert.execute(connection, rows)
        ids = sorted(id_ for id_, _, _ in returned)
        return [(id_, oid, version) for id_, (_, oid, version) in zip(reversed(ids), returned)]


def test_events_numbered_out_of_the_order_given_are_refused_and_nothing_is_recorded(app: CautionApplication) -> None:
    recorder: Any = app.recorder
    recorder.__dict__["_insert"] = NumberedBackwards(recorder._insert)
    with pytest.raises(EventsOutOfOrder):
        app.save(*(Caution.issue(**issue_kwargs()) for _ in range(3)))
    assert recorder.select_notifications(start=1, limit=10) == []


def test_a_broken_unique_key_is_the_event_stores_integrity_error(app: CautionApplication) -> None:
    caution = Caution.issue(**issue_kwargs())
    app.save(caution)
    first, second = app.repository.get(caution.id), app.repository.get(caution.id)
    for copy in (first, second):
        book(copy, Workshop.A, A_DAY, on=1)
    app.save(first)
    with pytest.raises(IntegrityError):
        app.save(second)  # version 2 again: the (caution, version) key is taken
    assert [n.originator_version for n in app.recorder.select_notifications(start=1, limit=10)] == [1, 2]
