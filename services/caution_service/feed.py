"""The published event feed: stored events as CloudEvents, in position order, without victim data.

Offender name and date of birth are left out as well: subscribers act on
references, and the fewer copies of personal data the better.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.events import EVENT_TYPES, SOURCE, event_id

from .application import CautionApplication
from .projections.entries import details_of, event_type, plain

NATIONAL = "*"  # a subscriber whose token names this force sees every force
_OFFENDER_KEEP = ("reference", "gender")


def to_cloud_event(event: Any, position: int) -> dict[str, Any]:
    name = event_type(event)
    caution_id = str(event.originator_id)
    by = plain(event.recorded_by)
    data = details_of(event)
    if name == "CautionIssued":
        data["offender"] = {k: v for k, v in data["offender"].items() if k in _OFFENDER_KEEP}
        data["period_ends_on"] = (event.occurred_at.date() + timedelta(days=event.conditions.caution_period_days)).isoformat()
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
        "type": EVENT_TYPES.get(name, f"uk.cara.caution.{name.lower()}.v1"),
        "subject": caution_id,
        "time": event.recorded_at.isoformat(),
        "datacontenttype": "application/json",
        "position": position,
        "force": by["force"],
        "data": data,
    }


def read_page(app: CautionApplication, after: int, limit: int, force: str, max_scan: int = 5000) -> tuple[list[dict], int, int]:
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
