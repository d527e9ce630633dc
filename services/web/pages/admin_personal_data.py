"""Erasure and restriction of a person's data in a caution (Data Protection Act 2018 Part 3, s.47), each after a
check-and-confirm page; and the retention rule that erases it without anyone asking (s.39).

The admin role reads a caution's state (GET /v1/cautions/{id}: status, version, when it closed and is spent, and
each person's data state; nothing personal is opened to it) and finds one by its police reference. A change is sent
with the version its confirmation page showed (If-Match): a caution changed meanwhile is shown again, not changed
blind. A change the state does not allow (erasing data already erased) is refused by the service with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from shared.retention import RetentionPolicy

from ..addresses import an_id, known_id
from ..backend import ApiProblem, backend_of, if_match
from ..forms import FieldErrors, checked_form, idempotency_key, text
from ..rendering import confirm
from .admin_common import Admin, render

router = APIRouter(prefix="/personal-data")
PEOPLE = ("offender", "victim")
PENDING = "admin_pending_data_change"
CHANGED = "This caution changed since you opened the page: check its state below and try again"
# DataProtectionBasis (the caution service's API) in words, with when each applies.
BASES = {
    "dpa_2018_s47_1": "Section 47(1): processing it would break the data protection principles",
    "dpa_2018_s47_2": "Section 47(2): erasure is needed to comply with a legal obligation",
    "dpa_2018_s39": "Section 39: the force's retention period for it has ended",
    "dpa_2018_s47_4": "Section 47(4): the person contests its accuracy and that cannot be settled",
    "dpa_2018_s47_2_evidence": "Section 47(2): it must be kept as evidence instead of being erased",
    "court_order": "A court order",
}


@dataclass(frozen=True)
class Action:
    path: str  # the API's: /v1/cautions/{id}/personal-data/{person}/<path>
    title: str  # "{person}" is filled in
    button: str
    done: str
    bases: tuple[str, ...] = ()  # none: the API takes a reason only


ACTIONS = {
    "erasure": Action("erasure", "Erase the {person}'s personal data", "Erase the {person}'s data",
                      "The {person}'s personal data was erased",
                      ("dpa_2018_s47_1", "dpa_2018_s47_2", "dpa_2018_s39", "court_order")),
    "restriction": Action("restriction", "Restrict the {person}'s personal data", "Restrict the {person}'s data",
                          "The {person}'s personal data is restricted: kept, but shown to no one",
                          ("dpa_2018_s47_4", "dpa_2018_s47_2_evidence", "court_order")),
    "restriction-lifting": Action("restriction-lifting", "Lift the restriction on the {person}'s personal data",
                                  "Lift the restriction", "The restriction on the {person}'s personal data was lifted"),
}
# The API's refusals onto this form's fields (a state refusal names no field: it goes in the summary alone).
FIELDS = {"reason": "reason", "reason_required": "reason", "legal_basis": "legal-basis"}


def retention() -> dict[str, Any]:
    """The service's default periods (shared/retention.py): a force may set its own, which the API does not tell."""
    return {"policy": RetentionPolicy()}


@router.get("")
async def find_page(request: Request, who: Admin) -> Response:
    return render(request, "admin/personal_data.html", {"values": {}, "errors": FieldErrors(), **retention()})


@router.post("")
async def find(request: Request, who: Admin) -> Response:
    form = await checked_form(request)
    typed = text(form, "caution")
    caution_id = an_id(typed) or await _by_police_reference(request, who, typed)
    if caution_id is None:
        errors = FieldErrors()
        errors.add("caution", f"No caution of your force has the id or police reference {typed}"
                   if typed else "Enter the caution's id or police reference")
        return render(request, "admin/personal_data.html", {"values": {"caution": typed}, "errors": errors,
                                                             **retention()}, status=400)
    return RedirectResponse(f"/admin/personal-data/cautions/{caution_id}", status_code=303)


async def _by_police_reference(request: Request, who: Any, reference: str) -> str | None:
    if not reference or len(reference) > 100:
        return None
    items = (await backend_of(request).caution("GET", "/v1/cautions", who.token, params={
        "police_reference": reference, "limit": 1})).json()["items"]
    return str(items[0]["id"]) if items else None


async def _caution(request: Request, who: Any, cid: str) -> dict[str, Any]:
    """The caution as this role reads it: its state and each person's data state, nothing personal."""
    caution: dict[str, Any] = (await backend_of(request).caution("GET", f"/v1/cautions/{cid}", who.token)).json()
    return caution


@router.get("/cautions/{caution_id}")
async def caution_page(request: Request, who: Admin, caution_id: str) -> Response:
    cid = known_id(caution_id)
    return render(request, "admin/personal_data_caution.html", {
        "caution_id": cid, "caution": await _caution(request, who, cid), "people": PEOPLE, **retention()})


def _action(person: str, action: str) -> Action:
    if person not in PEOPLE or action not in ACTIONS:
        raise ApiProblem(404)
    return ACTIONS[action]


@router.get("/cautions/{caution_id}/{person}/{action}")
async def action_form(request: Request, who: Admin, caution_id: str, person: str, action: str) -> Response:
    cid, chosen = known_id(caution_id), _action(person, action)
    values = request.session.get(PENDING, {}).get(_key(cid, person, action), {})
    return _form(request, cid, person, chosen, values)


def _form(request: Request, cid: str, person: str, action: Action, values: dict[str, str],
          errors: FieldErrors | None = None, status: int = 200) -> Response:
    return render(request, "admin/personal_data_action.html", {
        "caution_id": cid, "subject": person, "action": action, "values": values, "errors": errors or FieldErrors(),
        "bases": [(b, BASES[b]) for b in action.bases]}, status=status)


def _key(cid: str, person: str, action: str) -> str:
    return f"{cid}/{person}/{action}"


@router.post("/cautions/{caution_id}/{person}/{action}")
async def action_checked(request: Request, who: Admin, caution_id: str, person: str, action: str) -> Response:
    form = await checked_form(request)
    cid, chosen = known_id(caution_id), _action(person, action)
    values = {"reason": text(form, "reason"), "legal_basis": text(form, "legal_basis")}
    errors = FieldErrors()
    if chosen.bases and values["legal_basis"] not in chosen.bases:
        errors.add("legal-basis", "Select the law this is done under")
    if not values["reason"]:
        errors.add("reason", "Enter the reason, for example the request's or the court order's reference")
    elif len(values["reason"]) > 2000:
        errors.add("reason", "The reason must be 2,000 characters or fewer")
    if errors:
        return _form(request, cid, person, chosen, values, errors, 400)
    request.session.setdefault(PENDING, {})[_key(cid, person, action)] = values
    return RedirectResponse(f"/admin/personal-data/cautions/{cid}/{person}/{action}/confirm", status_code=303)


@router.get("/cautions/{caution_id}/{person}/{action}/confirm")
async def confirmation(request: Request, who: Admin, caution_id: str, person: str, action: str) -> Response:
    cid, chosen = known_id(caution_id), _action(person, action)
    values = request.session.get(PENDING, {}).get(_key(cid, person, action))
    if not values:  # nothing to confirm (already done, or the session ended): start at the form
        return RedirectResponse(f"/admin/personal-data/cautions/{cid}/{person}/{action}", status_code=303)
    caution = await _caution(request, who, cid)
    return render(request, "admin/personal_data_confirm.html", {
        "caution_id": cid, "subject": person, "action": chosen, "action_name": action, "values": values,
        "basis": BASES.get(values["legal_basis"], ""), "caution": caution,
        "state": caution["personal_data"][person]["state"]})


@router.post("/cautions/{caution_id}/{person}/{action}/confirm")
async def confirmed(request: Request, who: Admin, caution_id: str, person: str, action: str) -> Response:
    form = await checked_form(request)
    cid, chosen = known_id(caution_id), _action(person, action)
    pending = request.session.get(PENDING, {})
    values = pending.get(_key(cid, person, action))
    if not values:
        return RedirectResponse(f"/admin/personal-data/cautions/{cid}/{person}/{action}", status_code=303)
    body = {"reason": values["reason"], **({"legal_basis": values["legal_basis"]} if chosen.bases else {})}
    version = text(form, "version")
    try:
        await backend_of(request).caution(
            "POST", f"/v1/cautions/{cid}/personal-data/{person}/{chosen.path}", who.token, json=body,
            headers=if_match(version), idempotency_key=idempotency_key(form))
    except ApiProblem as problem:
        if problem.status not in (400, 409, 412, 422):
            raise
        errors = FieldErrors()
        if problem.status == 412:
            errors.add("", CHANGED)
        else:
            errors = FieldErrors.from_problem(problem, FIELDS)
        return _form(request, cid, person, chosen, values, errors, 400)
    pending.pop(_key(cid, person, action), None)
    confirm(request, chosen.done.format(person=person))
    return RedirectResponse(f"/admin/personal-data/cautions/{cid}", status_code=303)

