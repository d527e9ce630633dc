"""Court liaison: find a caution (offender's name and date of birth, PNC reference or police reference), read its
verdict and timeline, what had happened by a date, the integrity check, and download the signed certificate.

Search to certificate is at most three pages: the search, the list when more than one caution matches, the
caution (with the download link). Nothing personal goes in a URL: a search is a POST answered in place, and
the reason for looking (X-Purpose, kept in the consultation log, DPA 2018 s.62) is held in the session.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from shared.auth import Role

from ..addresses import known_id
from ..backend import ApiProblem, backend_of
from ..forms import FieldErrors, checked_form, text
from ..people import Person, role
from .dates import parsed_date

router = APIRouter(prefix="/court")
Court = Annotated[Person, Depends(role(Role.COURT))]
DEFAULT_PURPOSE = "Court hearing"


def _purpose(request: Request) -> dict[str, str]:
    return {"X-Purpose": str(request.session.get("court_purpose") or DEFAULT_PURPOSE)}


@router.get("/search")
async def search_page(request: Request, who: Court) -> Response:
    return _search_form(request, {"purpose": request.session.get("court_purpose", DEFAULT_PURPOSE)})


def _search_form(request: Request, values: dict[str, str], errors: FieldErrors | None = None,
                 status: int = 200, results: list[dict[str, Any]] | None = None) -> Response:
    return request.app.state.pages.render(request, "court/search.html", {
        "values": values, "errors": errors or FieldErrors(), "results": results},
        status=status)


@router.post("/search")
async def search(request: Request, who: Court) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("name", "dob-day", "dob-month", "dob-year", "pnc", "police",
                                                    "purpose")}
    errors = FieldErrors()
    by = _searched_by(values)
    born = None
    if by is None:
        errors.add("name", "Enter the offender's name and date of birth, their PNC reference or the police reference")
    elif by == "name":
        if not values["name"]:
            errors.add("name", "Enter the offender's full name")
        born = parsed_date(values, "dob", "date of birth", errors, past=True)
    if not values["purpose"]:
        errors.add("purpose", "Enter why you are looking at this record, for example the court and hearing date")
    if errors or by is None:
        return _search_form(request, values, errors, 400)
    request.session["court_purpose"] = values["purpose"][:200]
    items = await _found(request, who, by, values, born)
    if len(items) == 1:
        return RedirectResponse(f"/court/cautions/{items[0]['id']}", status_code=303)
    return _search_form(request, values, results=items)


def _searched_by(values: dict[str, str]) -> str | None:
    """The most exact of what was given: a police reference names one caution, a PNC reference one person."""
    if values["police"]:
        return "police"
    if values["pnc"]:
        return "pnc"
    if values["name"] or any(values[f"dob-{part}"] for part in ("day", "month", "year")):
        return "name"
    return None


async def _found(request: Request, who: Person, by: str, values: dict[str, str],
                 born: date | None) -> list[dict[str, Any]]:
    backend = backend_of(request)
    if by == "name" and born is not None:
        answer = await backend.caution("POST", "/v1/cautions/search", who.token, headers=_purpose(request),
                                       json={"name": values["name"], "date_of_birth": born.isoformat(), "limit": 50})
    else:
        params = {"offender_ref": values["pnc"]} if by == "pnc" else {"police_reference": values["police"]}
        answer = await backend.caution("GET", "/v1/cautions", who.token, params={**params, "limit": 50},
                                       headers=_purpose(request))
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


@router.get("/cautions/{caution_id}")
async def caution_page(request: Request, who: Court, caution_id: str, on: str | None = None) -> Response:
    errors = FieldErrors()
    values = {"on-day": "", "on-month": "", "on-year": ""}
    on_day = None
    if on is not None:  # "what had happened by": a day, in the address (a date is not personal)
        try:
            on_day = date.fromisoformat(on)
            values = {"on-day": str(on_day.day), "on-month": str(on_day.month), "on-year": str(on_day.year)}
        except ValueError:
            errors.add("on-day", "Enter a real date, like 27 3 2026")
    history, verification = await _record(request, who, known_id(caution_id), on_day)
    return request.app.state.pages.render(request, "court/caution.html", {
        "history": history, "verification": verification, "on": on_day, "values": values, "errors": errors},
        status=400 if errors else 200)


async def _record(request: Request, who: Person, caution_id: str,
                  on_day: date | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compliance history (on a day, if given) and its verification, asked for at once."""
    backend, purpose = backend_of(request), _purpose(request)
    history, verification = await asyncio.gather(
        backend.caution("GET", f"/v1/cautions/{caution_id}/compliance-history", who.token,
                        params={"on": on_day.isoformat()} if on_day else {}, headers=purpose),
        backend.caution("GET", f"/v1/cautions/{caution_id}/compliance-history/verification", who.token,
                        headers=purpose))
    return history.json(), verification.json()


@router.post("/cautions/{caution_id}/on")
async def on_date(request: Request, who: Court, caution_id: str) -> Response:
    """The "what had happened by" form: its day fields become the page's `on` (a redirect, so the back button
    and a refresh both work)."""
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("on-day", "on-month", "on-year")}
    errors = FieldErrors()
    day = parsed_date(values, "on", "date", errors)
    if day is None:
        history, verification = await _record(request, who, known_id(caution_id), None)
        return request.app.state.pages.render(request, "court/caution.html", {
            "history": history, "verification": verification, "on": None, "values": values, "errors": errors},
            status=400)
    return RedirectResponse(f"/court/cautions/{caution_id}?on={day.isoformat()}", status_code=303)


@router.get("/cautions/{caution_id}/certificate.pdf")
async def certificate(request: Request, who: Court, caution_id: str, on: str | None = None) -> Response:
    """The signed certificate, as the caution service signed it (PAdES): passed through unchanged."""
    params = {}
    if on:
        try:
            params["on"] = date.fromisoformat(on).isoformat()
        except ValueError:
            raise ApiProblem(404) from None
    answer = await backend_of(request).caution(
        "GET", f"/v1/cautions/{known_id(caution_id)}/compliance-history", who.token, params=params,
        headers={**_purpose(request), "Accept": "application/pdf"})
    disposition = answer.headers.get("Content-Disposition", f'attachment; filename="caution-{caution_id}.pdf"')
    return Response(answer.content, media_type="application/pdf", headers={"Content-Disposition": disposition})
