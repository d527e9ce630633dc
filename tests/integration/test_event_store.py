"""The bulk event insert (event_store.py): positions follow the events given, or the batch is refused."""

from __future__ import annotations

from typing import Any

import pytest

from services.caution_service.application import CautionApplication
from services.caution_service.domain.caution import Caution
from services.caution_service.event_store import EventsOutOfOrder
from tests.unit.builders import issue_kwargs


class NumberedBackwards:
    """A session whose database numbers the rows of an INSERT in reverse (neither database promises otherwise)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def execute(self, statement: Any, rows: Any = None) -> Any:
        if not isinstance(rows, list):
            return self.session.execute(statement, rows)
        returned = list(self.session.execute(statement, rows))
        ids = sorted(id_ for id_, _, _ in returned)
        return [(id_, oid, version) for id_, (_, oid, version) in zip(reversed(ids), returned)]


def test_events_numbered_out_of_the_order_given_are_refused_and_nothing_is_recorded(app: CautionApplication) -> None:
    cautions = [Caution.issue(**issue_kwargs()) for _ in range(3)]
    recorder: Any = app.recorder
    stored = [app.mapper.to_stored_event(e) for c in cautions for e in c.collect_events()]
    with pytest.raises(EventsOutOfOrder):
        with recorder.transaction(commit=True) as session:
            recorder._insert_stored_events(NumberedBackwards(session), stored)
    assert recorder.select_notifications(start=1, limit=10) == []
