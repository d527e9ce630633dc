"""Erasure and restriction of a person's data in a caution (Data Protection Act 2018 Part 3, s.47), each after a
check-and-confirm page; and the retention rule that erases it without anyone asking (s.39).

The caution service lets the admin role make these changes but read no caution (not the caution, its compliance
history, nor the list), so a person's data status is known here only from the service's answer to a change made
in this session; it is shown with that caveat. A change the state does not allow (erasing data already erased,
lifting a restriction not in place) is refused by the service with its reason, shown on the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from shared.retention import RetentionPolicy

from ..backend import ApiProblem
from ..forms import FieldErrors, checked_form, idempotency_key, text
from .admin_common import Admin, an_id, backend, known_id, render

router = APIRouter(prefix="/personal-data")
PEOPLE = ("offender", "victim")
PENDING, STATES = "admin_pending_data_change", "admin_data_states"
KEEP_STATES = 20  # cautions whose last-reported status the session remembers
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
    caution_id = an_id(typed)
    if caution_id is None:
        errors = FieldErrors()
        errors.add("caution", "Enter the caution's id, like 0f8fad5b-d9cb-469f-a165-70867728950e"
                   if typed else "Enter the caution's id")
        return render(request, "admin/personal_data.html", {"values": {"caution": typed}, "errors": errors,
                                                             **retention()}, status=400)
    return RedirectResponse(f"/admin/personal-data/cautions/{caution_id}", status_code=303)


@router.get("/cautions/{caution_id}")
async def caution_page(request: Request, who: Admin, caution_id: str) -> Response:
    cid = known_id(caution_id)
    known = request.session.get(STATES, {}).get(cid)
    return render(request, "admin/personal_data_caution.html", {
        "caution_id": cid, "known": known, "people": PEOPLE, **retention()})


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
    return render(request, "admin/personal_data_confirm.html", {
        "caution_id": cid, "subject": person, "action": chosen, "action_name": action, "values": values,
        "basis": BASES.get(values["legal_basis"], "")})


@router.post("/cautions/{caution_id}/{person}/{action}/confirm")
async def confirmed(request: Request, who: Admin, caution_id: str, person: str, action: str) -> Response:
    form = await checked_form(request)
    cid, chosen = known_id(caution_id), _action(person, action)
    pending = request.session.get(PENDING, {})
    values = pending.get(_key(cid, person, action))
    if not values:
        return RedirectResponse(f"/admin/personal-data/cautions/{cid}/{person}/{action}", status_code=303)
    body = {"reason": values["reason"], **({"legal_basis": values["legal_basis"]} if chosen.bases else {})}
    try:
        answer = (await backend(request).caution(
            "POST", f"/v1/cautions/{cid}/personal-data/{person}/{chosen.path}", who.token, json=body,
            idempotency_key=idempotency_key(form))).json()
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return _form(request, cid, person, chosen, values, FieldErrors.from_problem(problem, FIELDS), 400)
    pending.pop(_key(cid, person, action), None)
    _remember(request, cid, answer)
    request.session["flash"] = chosen.done.format(person=person)
    return RedirectResponse(f"/admin/personal-data/cautions/{cid}", status_code=303)


def _remember(request: Request, cid: str, answer: dict[str, Any]) -> None:
    """Each person's status as the change's answer gave it: the only status this role is told."""
    states = request.session.setdefault(STATES, {})
    states.pop(cid, None)
    states[cid] = {"at": datetime.now(UTC).isoformat(), "people": {
        person: {k: state.get(k) for k in ("state", "on", "legal_basis")}
        for person, state in (answer.get("personal_data") or {}).items() if isinstance(state, dict)}}
    for old in list(states)[:-KEEP_STATES]:
        del states[old]

