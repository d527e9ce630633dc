"""The published event feed: stored events as CloudEvents, in position order, without victim data.

What each event publishes is the catalogue's to say (shared/catalogue.py): only the fields its
entry names leave the service, so a field added to an event stays private until it is catalogued.
Offender name and date of birth are withheld as well: subscribers act on references, and the fewer
copies of personal data the better.

The store holds workshop sessions too: their events are published from the session catalogue
(shared/session_catalogue.py) as `uk.cara.workshop-session.*`, with the session id as the subject.
"""

from __future__ import annotations

from typing import Any

from shared.catalogue import EventSpec, spec
from shared.events import SOURCE, event_id
from shared.session_catalogue import session_spec

from .application import CautionApplication
from .domain.caution import event_name_of_class
from .domain.session import WorkshopSession
from .projections.entries import plain

NATIONAL = "*"  # a subscriber whose token names this force sees every force


Published = tuple[tuple[str, tuple[str, ...] | None], ...]  # each field, with the sub-fields kept where only some are


def payload(event: Any, published: Published) -> dict[str, Any]:
    """The fields the catalogue publishes for this event and nothing else: a field it does not name stays home."""
    data = {}
    for name, keep in published:
        value = plain(getattr(event, name))
        data[name] = value if keep is None else {key: value[key] for key in keep if key in value}
    return data


def _entry_for(kind: type) -> tuple[EventSpec, Published, str]:
    """The catalogue's entry for this class of event, what it publishes and the payload's name for the aggregate's
    id, worked out once per class (the feed reads tens of thousands of events a second). An event with no entry is
    a programming error, never a guess."""
    found = _ENTRIES.get(kind)
    if found is None:
        is_session = issubclass(kind, WorkshopSession.Event)
        entry = (session_spec if is_session else spec)(event_name_of_class(kind))
        published = tuple((name, k if isinstance(k, tuple) else None) for name, k in entry.fields.items())
        found = _ENTRIES[kind] = (entry, published, "session_id" if is_session else "caution_id")
    return found


_ENTRIES: dict[type, tuple[EventSpec, Published, str]] = {}


def to_cloud_event(event: Any, position: int) -> dict[str, Any]:
    entry, published, id_field = _entry_for(type(event))
    # A caution's or a session's id: ids are UUIDs, unique across both, so the event ids never collide either.
    aggregate_id = str(event.originator_id)
    # Who recorded it by account only: staff names and ranks are personal data the subscribers do not need.
    by = event.recorded_by.account()
    data = payload(event, published)
    occurred = getattr(event, "occurred_at", None) or event.recorded_at
    data.update({
        id_field: aggregate_id,
        "version": event.originator_version,
        "force": by["force"],  # writers are scoped to the caution's (the session's) force, so this is its force
        "occurred_at": occurred.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "recorded_by": by,
    })
    return {
        "specversion": "1.0",
        "id": event_id(aggregate_id, event.originator_version),
        "source": SOURCE,
        "type": entry.type,
        "subject": aggregate_id,
        "time": event.recorded_at.isoformat(),
        "datacontenttype": "application/json",
        "position": position,
        "force": by["force"],
        "data": data,
    }


def read_page(
    app: CautionApplication, after: int, limit: int, force: str, max_scan: int = 5000
) -> tuple[list[dict[str, Any]], int, int]:
    """Events after `after` visible to `force`; returns (events, next_after, head)."""
    head = app.recorder.max_notification_id() or 0
    items: list[dict] = []
    cursor = after
    scanned = 0
    while len(items) < limit and cursor < head and scanned < max_scan:
        batch = app.recorder.select_notifications(cursor + 1, min(limit * 4, 1000), stop=head)
        if not batch:
            break
        for notification in batch:
            cursor = notification.id
            scanned += 1
            event = app.mapper.to_domain_event(notification)
            cloud_event = to_cloud_event(event, notification.id)
            if force == NATIONAL or cloud_event["force"] == force:
                items.append(cloud_event)
                if len(items) == limit:
                    break
    return items, cursor, head
