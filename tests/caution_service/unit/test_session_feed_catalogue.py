"""The session catalogue against the WorkshopSession aggregate: every event described, every field published or
withheld with a reason, and the feed carrying exactly what the catalogue publishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.domain import CanMutateAggregate

from services.caution_service.domain.caution import event_name_of_class
from services.caution_service.domain.session import WorkshopSession, session_event_name
from services.caution_service.domain.values import (
    RecordedBy,
    RegisterLine,
    RegisterOutcome,
    SessionCancellation,
    SessionGroup,
    Workshop,
)
from services.caution_service.feed import to_cloud_event
from services.caution_service.projections.entries import plain
from shared.catalogue import CATALOGUE
from shared.events import CloudEvent
from shared.session_catalogue import SESSION_CATALOGUE, SESSION_COMMON_FIELDS, session_spec

_BOOKKEEPING = {"originator_id", "originator_version", "originator_topic", "timestamp"}
T = datetime(2026, 3, 2, 10, tzinfo=UTC)
BY = RecordedBy("provider-1", "provider", "CAMBS")


def _events() -> dict[str, Any]:
    """One of each session event, from the aggregate's own commands."""
    def planned() -> WorkshopSession:
        return WorkshopSession.plan(
            force="CAMBS", provider="Safer Futures", workshop=Workshop.A, venue_id="v-1", venue_name="Hub",
            starts_at=T + timedelta(days=3), ends_at=T + timedelta(days=3, hours=2), capacity=8,
            group=SessionGroup.MENS, facilitators=["Robin"], bank_holidays=(), bank_holiday_reason=None,
            recorded_at=T, recorded_by=BY)

    held = planned()
    held.book("c-1", "a reason", still_booked=(), recorded_at=T, recorded_by=BY)
    held.book("c-2", None, still_booked={"c-1"}, recorded_at=T, recorded_by=BY)
    held.release("c-2", "moved", recorded_at=T, recorded_by=BY)
    held.record_register([RegisterLine("c-1", RegisterOutcome.ATTENDED)], correction=False, still_booked={"c-1"},
                         recorded_at=held.ends_at, recorded_by=BY)
    cancelled = planned()
    cancelled.cancel(SessionCancellation.OTHER, "flood", still_booked=(), recorded_at=T, recorded_by=BY)
    return {session_event_name(e): e for e in [*held.collect_events(), *cancelled.collect_events()]}


EVENTS = _events()


def test_every_session_event_has_an_entry_and_every_entry_an_event() -> None:
    kinds = {event_name_of_class(kind) for name, kind in vars(WorkshopSession).items()
             if isinstance(kind, type) and issubclass(kind, CanMutateAggregate) and name not in ("Created", "Event")}
    assert kinds == set(SESSION_CATALOGUE) == set(EVENTS)
    assert not set(SESSION_CATALOGUE) & set(CATALOGUE)  # one name, one aggregate


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_each_field_is_published_or_withheld_with_a_reason(name: str) -> None:
    entry, fields = session_spec(name), set(vars(EVENTS[name])) - _BOOKKEEPING
    withheld_whole = {path for path in entry.withheld if "." not in path}
    uncatalogued = fields - set(entry.fields) - set(SESSION_COMMON_FIELDS) - withheld_whole
    assert not uncatalogued, f"{name}: catalogue these fields as published or withheld: {sorted(uncatalogued)}"
    for path, why in entry.withheld.items():
        assert why.strip() and path.split(".")[0] in fields, path
    for field, kind in entry.fields.items():
        if isinstance(kind, tuple):
            others = set(plain(getattr(EVENTS[name], field))) - set(kind)
            assert {f"{field}.{sub}" for sub in others} <= set(entry.withheld), f"{name}: say why {others} stay home"


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_the_feed_carries_what_the_catalogue_publishes_and_nothing_withheld(name: str) -> None:
    entry, cloud_event = session_spec(name), to_cloud_event(EVENTS[name], position=1)
    CloudEvent.model_validate(cloud_event)
    assert cloud_event["type"] == entry.type and entry.type.startswith("uk.cara.workshop-session.")
    assert cloud_event["subject"] == str(EVENTS[name].originator_id)
    assert set(cloud_event["data"]) == set(entry.fields) | set(SESSION_COMMON_FIELDS)
    for path in entry.withheld:
        top, _, sub = path.partition(".")
        assert (top not in cloud_event["data"]) if not sub else (sub not in cloud_event["data"][top]), path
    assert entry.sentence(plain(vars(EVENTS[name])))  # says something in words
