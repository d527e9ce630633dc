"""What the police pages share: reading a caution with the reason for looking, recording a decision on it (its
version as If-Match, the form's idempotency key), read-your-writes, and the words for the service's action codes.

Every read of a caution by the police is kept in the service's consultation log with `X-Purpose` (DPA 2018 s.62):
the pages here say it is case management. After a write, the write's feed `position` is kept in the session and
sent as `min_position` to the lists that trail the event store (worklist, compliance history), so the officer
sees what they just recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from shared.auth import Role
from shared.uk_time import UK

from ..backend import backend_of, if_match
from ..people import Person, role
from ..rendering import confirm

Police = Annotated[Person, Depends(role(Role.POLICE))]
PURPOSE = {"X-Purpose": "Case management"}
POSITION_KEY = "police_position"
CLOSED = frozenset({"completed", "breached", "withdrawn"})

# The service's action codes (domain/progress.py) as an officer would say them; an unknown one is shown in words.
ACTIONS = {
    "acknowledge_safeguarding_concern": "Acknowledge a safeguarding concern",
    "review_caution_after_risk_rise": "Review the caution: the victim's risk rose to high",
    "decide_excuse": "Decide on the excuse for a missed workshop",
    "decide_breach_or_vary": "Decide on a breach, or vary the conditions",
    "vary_conditions_workshops_cannot_fit": "Vary the conditions: the workshops no longer fit in the period",
    "make_first_contact": "Provider to make first contact with the offender",
    "schedule_workshop_a": "Provider to book workshop A",
    "schedule_workshop_b": "Provider to book workshop B",
    "attend_workshop_a": "Offender to attend workshop A",
    "attend_workshop_b": "Offender to attend workshop B",
    "contact_victim_after_workshop_a": "Victim contact service to contact the victim after workshop A",
    "contact_victim_on_completion": "Victim contact service to contact the victim on completion",
    "record_completion": "Provider to record completion",
}


def action_text(code: str) -> str:
    text = str(code or "").replace("_", " ").strip()
    return ACTIONS.get(code, text[:1].upper() + text[1:])


def last_position(request: Request) -> int | None:
    """The feed position of this officer's last write, for `min_position` (None before any)."""
    position = request.session.get(POSITION_KEY)
    return position if isinstance(position, int) else None


async def read_caution(request: Request, who: Person, caution_id: str) -> dict[str, Any]:
    answer = await backend_of(request).caution("GET", f"/v1/cautions/{caution_id}", who.token, headers=PURPOSE)
    caution: dict[str, Any] = answer.json()
    return caution


async def read_history(request: Request, who: Person, caution_id: str) -> dict[str, Any]:
    answer = await backend_of(request).caution("GET", f"/v1/cautions/{caution_id}/compliance-history", who.token,
                                            params={"min_position": last_position(request)}, headers=PURPOSE)
    history: dict[str, Any] = answer.json()
    return history


async def record(request: Request, who: Person, caution_id: str, path: str, body: dict[str, Any], *,
                 version: str, key: str) -> dict[str, Any]:
    """POST a decision on the caution, only if it is still at the version the form was drawn from."""
    headers = if_match(version)
    answer = await backend_of(request).caution("POST", f"/v1/cautions/{caution_id}/{path}", who.token, json=body,
                                            headers=headers, idempotency_key=key)
    written: dict[str, Any] = answer.json()
    return written


def recorded(request: Request, caution_id: str, written: dict[str, Any], flash: str) -> Response:
    """Post/Redirect/Get to the caution page, which shows `flash` once."""
    position = written.get("position")
    if isinstance(position, int):
        request.session[POSITION_KEY] = max(position, last_position(request) or 0)
    confirm(request, flash)
    return RedirectResponse(f"/police/cautions/{caution_id}", status_code=303)


def right_now() -> str:
    """The moment a decision is recorded, which is when the officer made it on this page."""
    return datetime.now(UK).isoformat()
