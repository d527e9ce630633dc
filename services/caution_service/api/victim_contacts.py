"""The victim contact service reads back its own contacts with the victim (recorded by POST .../victim-contacts).

A contact worker preparing the call on completion needs what happened at the call after workshop A: the caution
gives only whether each was made, and the compliance history is not this role's. The notes are sealed under the
victim's key and opened for this role alone (disclosure.py), like what was said in a safeguarding concern
(safeguarding.py's read, which this one follows): each read is logged with its reason (DPA 2018 s.62).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from shared.auth import Principal, Role
from shared.openapi import problems
from shared.problems import ProblemError

from ..consultations import Seen
from ..disclosure import PersonalData, contact_notes
from ..domain.caution import Caution, event_name
from ..domain.values import ContactOutcome, ContactStage
from .deps import AppDep, PurposeDep, log_consultation, personal_data_reader, readable_caution
from .record_schemas import RecordedByPublic

router = APIRouter(prefix="/v1/cautions/{caution_id}", tags=["victim contacts"])

VictimContactReader = Annotated[Principal, Depends(personal_data_reader(Role.VICTIM_CONTACT))]


class VictimContactRead(BaseModel):
    entry: int = Field(description="The entry that recorded the contact.")
    stage: ContactStage
    outcome: ContactOutcome
    occurred_at: AwareDatetime = Field(description="When the contact was made, as recorded.")
    corrected_occurred_at: AwareDatetime | None = Field(description=(
        "When it was made as a later correction says (the last one that re-timed it); null if never re-timed."))
    recorded_at: AwareDatetime
    recorded_by: RecordedByPublic
    safeguarding_concern: bool = Field(description=(
        "A safeguarding concern came up on this contact (it was raised to the police too: GET "
        ".../safeguarding-concerns)."))
    corrected_by: list[int] = Field(description="The entries that corrected this one (re-timed or struck it out), as "
                                                "the compliance history lists them.")
    struck_out: bool = Field(description="Struck out by a correction as recorded in error: it does not count.")
    notes: str | None = Field(description="The notes taken; null when none were, or once the victim's data is erased "
                                          "or restricted.")


class VictimContactsRead(BaseModel):
    caution_id: str
    contacts: list[VictimContactRead] = Field(description="Every contact recorded on the caution, in entry order.")


def _corrections(events: list[Any]) -> dict[int, list[Any]]:
    """Each entry's corrections, in order: entry corrected -> the EntryCorrected events pointing at it."""
    by_entry: dict[int, list[Any]] = {}
    for event in events:
        if isinstance(event, Caution.EntryCorrected):
            by_entry.setdefault(event.corrects_version, []).append(event)
    return by_entry


def _contact(event: Any, corrections: list[Any], caution: Caution, role: Role,
             personal: PersonalData) -> dict[str, Any]:
    """One VictimContacted entry as this read shows it (the notes opened by disclosure.py's rule)."""
    retimed = [c.corrected_occurred_at for c in corrections if c.corrected_occurred_at is not None]
    return {"entry": event.originator_version, "stage": event.stage.value, "outcome": event.outcome.value,
            "occurred_at": event.occurred_at.isoformat(),
            "corrected_occurred_at": retimed[-1].isoformat() if retimed else None,
            "recorded_at": event.recorded_at.isoformat(), "recorded_by": event.recorded_by.as_dict(),
            "safeguarding_concern": event.safeguarding_concern,
            "corrected_by": [c.originator_version for c in corrections],
            "struck_out": caution.is_struck(event.originator_version),
            "notes": contact_notes(event.details_sealed, caution, role, personal)}


@router.get("/victim-contacts", operation_id="getVictimContacts", response_model=VictimContactsRead,
            responses=problems(400, 401, 403, 404, 422))
def victim_contacts(request: Request, caution_id: UUID, principal: VictimContactReader, app: AppDep,
                    purpose: PurposeDep = None) -> JSONResponse:
    """Every contact the victim contact service recorded with the victim on this caution, with its notes: for that
    service alone, and each read kept in the consultation log with its reason (send `X-Purpose`)."""
    if not (purpose and purpose.strip()):
        raise ProblemError(400, "purpose-required", "Say why you need the notes of the contacts",
                           "Send an X-Purpose header: every consultation of the notes of a contact with the victim is "
                           "logged with its reason.")
    caution = readable_caution(request, app, caution_id, principal)
    events: list[Any] = list(app.events.get(caution_id))
    corrections = _corrections(events)
    body = {"caution_id": str(caution_id), "contacts": [
        _contact(e, corrections.get(e.originator_version, []), caution, principal.role, app.personal)
        for e in events if event_name(e) == "VictimContacted"]}  # its class is made by @event: known by name
    log_consultation(request, principal, caution_id, Seen.VICTIM_DETAILS, purpose)
    return JSONResponse(body)

