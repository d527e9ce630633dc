"""The event contract between the caution service and its subscribers.

CloudEvents 1.0 in structured JSON mode. `type` is `uk.cara.caution.<kebab-name>.v<major>`;
`subject` is the caution id; `position` (an extension attribute) is the global,
gap-free order of the feed. Payloads never carry victim details. Consumers must
tolerate unknown fields and unknown types (new events are added over time).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SOURCE = "/cara/caution-service"
SPEC_VERSION = "1.0"
TYPE_PREFIX = "uk.cara.caution."
EVENT_ID_NAMESPACE = uuid.UUID("9b0e4f55-2f0c-4d7a-9a55-1f3c0c4e6a11")

EVENT_NAMES = (
    "CautionIssued", "WorkshopScheduled", "WorkshopRescheduled", "WorkshopAAttended", "WorkshopMissed",
    "ExcuseDecided", "VictimContacted", "WorkshopBAttended", "ConditionsVaried", "ComplianceDeadlinePassed",
    "Breached", "Completed", "Withdrawn", "EntryCorrected",
)


def type_for(event_name: str, major: int = 1) -> str:
    kebab = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", event_name).lower()
    return f"{TYPE_PREFIX}{kebab}.v{major}"


EVENT_TYPES = {name: type_for(name) for name in EVENT_NAMES}
NAMES_BY_TYPE = {t: n for n, t in EVENT_TYPES.items()}


def event_id(caution_id: str, version: int) -> str:
    """Stable across re-reads and relays, so every hop can de-duplicate."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{caution_id}/{version}"))


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
    force: str = Field(description="The force the caution belongs to (CloudEvents extension attribute).")
    data: EventData


class EventPage(BaseModel):
    items: list[CloudEvent]
    next_after: int = Field(description="Pass as `after` to continue; equals `after` when nothing new arrived.")
    head: int = Field(description="The newest position in the store when this page was read.")


# Per-type payload fields, for the AsyncAPI document and for consumers that want to validate.
PAYLOAD_FIELDS: dict[str, dict[str, Any]] = {
    "CautionIssued": {"police_reference": str, "legal_basis": str, "offender": dict, "offence": dict, "history": dict,
                      "victim": dict, "issuing_officer": dict, "conditions": dict, "period_ends_on": date},
    "WorkshopScheduled": {"workshop": str, "booking": dict},
    "WorkshopRescheduled": {"workshop": str, "booking": dict, "previous": dict, "reason": str},
    "WorkshopAAttended": {},
    "WorkshopBAttended": {},
    "WorkshopMissed": {"workshop": str, "reason": str, "note": str},
    "ExcuseDecided": {"workshop": str, "accepted": bool, "reason": str},
    "VictimContacted": {"stage": str, "outcome": str},
    "ConditionsVaried": {"previous_period_ends_on": date, "period_ends_on": date, "reason": str, "authorised_by": str},
    "ComplianceDeadlinePassed": {"period_ended_on": date},
    "Breached": {"outcome": str, "reason": str},
    "Completed": {},
    "Withdrawn": {"reason": str},
    "EntryCorrected": {"corrects_version": int, "corrected_type": str, "reason": str, "corrected_occurred_at": datetime},
}
