"""The event contract between the caution service and its subscribers.

CloudEvents 1.0 in structured JSON mode. `type` is `uk.cara.caution.<kebab-name>.v<major>`, and
`uk.cara.workshop-session.<kebab-name>.v<major>` for a workshop session's events (shared/session_catalogue.py);
`subject` is the caution id (the session id); `position` (an extension attribute) is the global, gap-free order
of the feed. The types, and each one's payload fields, are in the catalogue (shared/catalogue.py).
Payloads never carry victim details. Consumers must tolerate unknown fields and unknown types (new
events are added over time).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

SOURCE = "/cara/caution-service"
SPEC_VERSION: Literal["1.0"] = "1.0"
EVENT_ID_NAMESPACE = uuid.UUID("9b0e4f55-2f0c-4d7a-9a55-1f3c0c4e6a11")


def event_id(caution_id: str, version: int) -> str:
    """Stable across re-reads and relays, so every hop can de-duplicate."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{caution_id}/{version}"))


# Who recorded the event, by account: never by name, rank or collar number (the compliance history names them; the
# feed's subscribers act on accounts and need no staff's personal data). A comment, not a docstring: the docstring
# would be the schema's description in the committed AsyncAPI document.
class RecordedBy(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    role: str
    force: str


class EventData(BaseModel):
    """Fields every payload carries; each type adds its own (documented in the AsyncAPI document)."""

    model_config = ConfigDict(extra="allow")
    caution_id: str
    version: int
    force: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: RecordedBy


class SessionEventData(BaseModel):
    """Fields every workshop-session payload carries; each type adds its own (documented in the AsyncAPI document)."""

    model_config = ConfigDict(extra="allow")
    session_id: str
    version: int
    force: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: RecordedBy


def _data_kind(data: Any) -> str:
    """A session's payload names its session (it may name a caution too: the one whose place was released)."""
    named = data.get("session_id") if isinstance(data, dict) else getattr(data, "session_id", None)
    return "session" if named is not None else "caution"


AnyEventData = Annotated[Annotated[EventData, Tag("caution")] | Annotated[SessionEventData, Tag("session")],
                         Discriminator(_data_kind)]


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    specversion: Literal["1.0"] = SPEC_VERSION
    id: str
    source: str = SOURCE
    type: str
    subject: str
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    position: int = Field(ge=1, description="Global position in the feed (CloudEvents extension attribute).")
    force: str = Field(description="The force the caution (or session) belongs to (CloudEvents extension attribute).")
    data: AnyEventData


class EventPage(BaseModel):
    items: list[CloudEvent]
    next_after: int = Field(description="Pass as `after` to continue; equals `after` when nothing new arrived.")
    head: int = Field(description="The newest position in the store when this page was read.")
