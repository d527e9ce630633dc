"""The published event feed: stored events as CloudEvents, in position order, without victim data.

What each event publishes is the catalogue's to say (shared/catalogue.py): only the fields its
entry names leave the service, so a field added to an event stays private until it is catalogued.
Offender name and date of birth are withheld as well: subscribers act on references, and the fewer
copies of personal data the better.
"""

from __future__ import annotations

from typing import Any

from shared.catalogue import EventSpec, FieldKind, spec
from shared.events import SOURCE, event_id

from .application import CautionApplication
from .domain.caution import event_name
from .projections.entries import plain

NATIONAL = "*"  # a subscriber whose token names this force sees every force


def payload(event: Any, entry: EventSpec) -> dict[str, Any]:
    """The fields the catalogue publishes for this event and nothing else: a field it does not name stays home."""
    return {name: _shown(plain(getattr(event, name)), kind) for name, kind in entry.fields.items()}


def _shown(value: Any, kind: FieldKind) -> Any:
    if isinstance(kind, tuple) and isinstance(value, dict):
        return {key: value[key] for key in kind if key in value}
    return value


def to_cloud_event(event: Any, position: int) -> dict[str, Any]:
    entry = spec(event_name(event))  # an event with no catalogue entry is a programming error, never a guess
    caution_id = str(event.originator_id)
    by = plain(event.recorded_by)
    data = payload(event, entry)
    occurred = getattr(event, "occurred_at", None) or event.recorded_at
    data.update(
        caution_id=caution_id,
        version=event.originator_version,
        force=by["force"],  # writers are scoped to the caution's force, so this is the caution's force
        occurred_at=occurred.isoformat(),
        recorded_at=event.recorded_at.isoformat(),
        recorded_by=by,
    )
    return {
        "specversion": "1.0",
        "id": event_id(caution_id, event.originator_version),
        "source": SOURCE,
        "type": entry.type,
        "subject": caution_id,
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
