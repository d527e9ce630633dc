"""Victim contact service: the contacts due, and a caution as this role sees it, with the victim's contact details.

This role's caution page is the only page in the application that shows the victim's contact details: the caution
service returns them to this role alone, on a read of the caution kept in the consultation log with its reason
(X-Purpose). From there, one page each: record a contact (after workshop A, on completion), raise a safeguarding
concern to the police, correct the victim's details. Nothing about the victim goes in an address.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from shared.auth import Role

from ..addresses import known_id
from ..backend import ApiProblem, backend_of, if_match
from ..forms import REFUSALS, FieldErrors, checked_form, idempotency_key, refusal, text
from ..people import Person, role
from ..rendering import confirm
from . import victim_contact_forms as forms

router = APIRouter(prefix="/victim-contact")
VictimContact = Annotated[Person, Depends(role(Role.VICTIM_CONTACT))]
PURPOSE = "Victim contact"
POSITION = "victim_contact_position"  # the feed position of this session's last write: lists wait for it
ACTION_STAGES = {"contact_victim_after_workshop_a": "after_workshop_a",
                 "contact_victim_on_completion": "on_completion"}
LABELS = {"stages": forms.STAGES, "outcomes": forms.OUTCOMES, "categories": forms.CATEGORIES,
          "urgencies": forms.URGENCIES, "sources": forms.SOURCES}


def _render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    return request.app.state.pages.render(request, f"victim_contact/{template}", {**LABELS, **context},
                                          status=status)


async def _caution(request: Request, who: Person, caution_id: str, purpose: str = PURPOSE) -> dict[str, Any]:
    answer = await backend_of(request).caution("GET", f"/v1/cautions/{caution_id}", who.token,
                                             headers={"X-Purpose": purpose})
    caution: dict[str, Any] = answer.json()
    return caution


@router.get("/worklist")
async def worklist(request: Request, who: VictimContact, cursor: str | None = None) -> Response:
    """The contacts due, soonest first; after this session's own write, read once the list has caught up with it."""
    params = {"limit": 50, "cursor": cursor, "min_position": request.session.get(POSITION)}
    page = (await backend_of(request).caution("GET", "/v1/worklist", who.token, params=params)).json()
    return _render(request, "worklist.html", {"page": page, "action_stages": ACTION_STAGES})


@router.get("/cautions/{caution_id}")
async def caution_page(request: Request, who: VictimContact, caution_id: str) -> Response:
    """The caution with the victim's details, the contacts recorded so far (a worker preparing the call on completion
    reads what was said at the call after workshop A) and the concerns raised; each read logged with the purpose."""
    caution_id = known_id(caution_id)
    caution = await _caution(request, who, caution_id)
    concerns, contacts = await asyncio.gather(_listed(request, who, caution_id, "safeguarding-concerns", "concerns"),
                                              _listed(request, who, caution_id, "victim-contacts", "contacts"))
    due = {ACTION_STAGES[a["action"]]: a for a in caution.get("required_actions", []) if a["action"] in ACTION_STAGES}
    return _render(request, "caution.html", {"caution": caution, "concerns": concerns, "contacts": contacts,
                                             "due": due})


async def _listed(request: Request, who: Person, caution_id: str, path: str, key: str) -> list[dict[str, Any]]:
    """One of the caution's lists only this role reads (what the victim said), sent with the page's purpose."""
    answer = await backend_of(request).caution("GET", f"/v1/cautions/{caution_id}/{path}", who.token,
                                             headers={"X-Purpose": PURPOSE})
    listed: list[dict[str, Any]] = answer.json()[key]
    return listed


# ----- record a contact ---------------------------------------------------------------------------------------


@router.get("/cautions/{caution_id}/contact")
async def contact_page(request: Request, who: VictimContact, caution_id: str) -> Response:
    caution = await _caution(request, who, known_id(caution_id))
    return _render(request, "contact.html", {"caution": caution, "errors": FieldErrors(),
                                             "values": {"stage": _stage_due(caution)}})


def _stage_due(caution: dict[str, Any]) -> str:
    """The stage of the contact due, so the form starts on it; after workshop A when neither is due yet."""
    for action in caution.get("required_actions", []):
        if action["action"] in ACTION_STAGES:
            return ACTION_STAGES[action["action"]]
    return "on_completion" if caution.get("status") == "completed" else "after_workshop_a"


@router.post("/cautions/{caution_id}/contact")
async def record_contact(request: Request, who: VictimContact, caution_id: str) -> Response:
    caution_id, form = known_id(caution_id), await checked_form(request)
    values = _values(form, "stage", "outcome", "when-day", "when-month", "when-year", "when-time", "concern",
                     "concern-category", "concern-urgency", "notes")
    body, errors = forms.contact_body(values, datetime.now(UTC))
    if not errors:
        errors = await _send(request, who, caution_id, "victim-contacts", body, form, forms.CONTACT_FIELDS)
    if not errors:
        raised = " and the safeguarding concern raised to the police" if body["safeguarding_concern"] else ""
        return _done(request, caution_id, f"The contact {forms.STAGES[body['stage']][:1].lower()}"
                                          f"{forms.STAGES[body['stage']][1:]} is recorded{raised}")
    caution = await _caution(request, who, caution_id)
    return _render(request, "contact.html", {"caution": caution, "errors": errors, "values": values}, 400)


# ----- raise a safeguarding concern ---------------------------------------------------------------------------


@router.get("/cautions/{caution_id}/concern")
async def concern_page(request: Request, who: VictimContact, caution_id: str) -> Response:
    caution = await _caution(request, who, known_id(caution_id))
    return _render(request, "concern.html", {"caution": caution, "errors": FieldErrors(), "values": {}})


@router.post("/cautions/{caution_id}/concern")
async def raise_concern(request: Request, who: VictimContact, caution_id: str) -> Response:
    caution_id, form = known_id(caution_id), await checked_form(request)
    values = _values(form, "category", "urgency", "when-day", "when-month", "when-year", "when-time", "details")
    body, errors = forms.concern_body(values, datetime.now(UTC))
    if not errors:
        errors = await _send(request, who, caution_id, "safeguarding-concerns", body, form, forms.CONCERN_FIELDS)
    if not errors:
        return _done(request, caution_id, "Safeguarding concern raised: the police have been told to contact you")
    caution = await _caution(request, who, caution_id)
    return _render(request, "concern.html", {"caution": caution, "errors": errors, "values": values}, 400)


# ----- correct the victim's details ---------------------------------------------------------------------------


@router.get("/cautions/{caution_id}/victim-details")
async def details_page(request: Request, who: VictimContact, caution_id: str) -> Response:
    caution = await _caution(request, who, known_id(caution_id), "Correcting the victim's contact details")
    held = caution["victim"].get("contact_details") or {}
    values = {name: str(held.get(name) or "") for name in forms.DETAILS}
    return _render(request, "details.html", {"caution": caution, "errors": FieldErrors(), "values": values})


@router.post("/cautions/{caution_id}/victim-details")
async def correct_details(request: Request, who: VictimContact, caution_id: str) -> Response:
    caution_id, form = known_id(caution_id), await checked_form(request)
    values = _values(form, *forms.DETAILS, "reason")
    body, errors = forms.details_body(values)
    if not errors:
        errors = await _send(request, who, caution_id, "personal-data/victim/rectification", body, form,
                             forms.DETAILS_FIELDS)
    if not errors:
        return _done(request, caution_id, "The victim's contact details are corrected")
    caution = await _caution(request, who, caution_id, "Correcting the victim's contact details")
    return _render(request, "details.html", {"caution": caution, "errors": errors, "values": values}, 400)


# ----- shared by the three forms ------------------------------------------------------------------------------


def _values(form: FormData, *names: str) -> dict[str, str]:
    return {name: text(form, name) for name in names}


async def _send(request: Request, who: Person, caution_id: str, path: str, body: dict[str, Any], form: FormData,
                fields: dict[str, str]) -> FieldErrors:
    """POST the command, only if the caution is still the version the form was opened on; a refusal comes back as
    the form's errors (none when it was recorded)."""
    version = text(form, "version")
    headers = if_match(version)
    try:
        answer = await backend_of(request).caution("POST", f"/v1/cautions/{caution_id}/{path}", who.token, json=body,
                                                 headers=headers, idempotency_key=idempotency_key(form))
    except ApiProblem as problem:
        if problem.status not in REFUSALS:
            raise
        return refusal(problem, fields)
    position = answer.json().get("position")
    if isinstance(position, int):
        request.session[POSITION] = max(position, int(request.session.get(POSITION) or 0))
    return FieldErrors()


def _done(request: Request, caution_id: str, message: str) -> Response:
    confirm(request, message)
    return RedirectResponse(f"/victim-contact/cautions/{caution_id}", status_code=303)
