"""The force's consultation log (who read or was given which record, and why), newest first, a page at a time,
filtered by caution; and the check of its hash chain.

The log's API filters by caution only (an id, fine in an address). The filter form is posted, not sent as a
query, because what is typed into it may be anything (a name, by mistake): a valid id is answered with a redirect
to the filtered address (so a page of the log can be bookmarked and paged with "Next"), anything else in place.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..addresses import an_id
from ..backend import ApiProblem, backend_of
from ..forms import FieldErrors, checked_form, text
from ..people import Person
from .admin_common import Admin, render

router = APIRouter(prefix="/consultations")
PAGE = 50
NOT_AN_ID = "Enter the caution's id, like 0f8fad5b-d9cb-469f-a165-70867728950e"


@router.get("")
async def consultations(request: Request, who: Admin, caution: str = "", cursor: str = "") -> Response:
    errors = FieldErrors()
    caution_id = an_id(caution) if caution else None
    if caution and caution_id is None:
        errors.add("caution", NOT_AN_ID)
        return await _page(request, who, None, "", errors, "")
    return await _page(request, who, caution_id, cursor[:300], errors, caution_id or "")


@router.post("")
async def filtered(request: Request, who: Admin) -> Response:
    form = await checked_form(request)
    typed = text(form, "caution")
    if not typed:
        return RedirectResponse("/admin/consultations", status_code=303)
    caution_id = an_id(typed)
    if caution_id is None:
        errors = FieldErrors()
        errors.add("caution", NOT_AN_ID)
        return await _page(request, who, None, "", errors, typed)
    return RedirectResponse(f"/admin/consultations?caution={caution_id}", status_code=303)


async def _page(request: Request, who: Person, caution_id: str | None, cursor: str, errors: FieldErrors,
                typed: str) -> Response:
    page = await _entries(request, who, caution_id, cursor, errors)
    check = (await backend_of(request).caution("GET", "/v1/consultations/verification", who.token)).json()
    return render(request, "admin/consultations.html", {
        "page": page, "check": check, "caution_id": caution_id, "typed": typed, "errors": errors,
        "paged": bool(cursor)}, status=400 if errors.of("caution") else 200)


async def _entries(request: Request, who: Person, caution_id: str | None, cursor: str,
                   errors: FieldErrors) -> dict[str, Any]:
    params = {"caution_id": caution_id, "limit": PAGE, "cursor": cursor or None}
    try:
        answer = await backend_of(request).caution("GET", "/v1/consultations", who.token, params=params)
    except ApiProblem as problem:
        if problem.status != 400 or not cursor:
            raise
        # A cursor this service did not give out (edited, or from before a restart of the log): the newest instead.
        errors.add("", "That page of the log could not be found, so the newest entries are shown")
        answer = await backend_of(request).caution("GET", "/v1/consultations", who.token,
                                                params={**params, "cursor": None})
    found: dict[str, Any] = answer.json()
    return found
