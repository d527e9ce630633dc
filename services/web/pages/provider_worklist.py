"""The provider's worklist and its two actions: record a first contact (or an attempt at one), and book a caution
into a session of the workshop it needs.

The worklist is the caution service's provider worklist (GET /v1/provider/worklist): it alone gives, for each
caution with a workshop to book, the first and last days its session may be on (`book_from`, the days after workshop
A that B needs; `book_by`), which the booking page uses to offer only the sessions that can count.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..backend import ApiProblem, backend_of, if_match
from ..forms import REFUSALS, FieldErrors, checked_form, idempotency_key, refusal, text
from ..people import Person
from ..rendering import uk_moment
from .dates import date_fields, parsed_date, parsed_time, uk_moment_of
from .provider_common import (
    STALE,
    Provider,
    done,
    min_position,
    now,
    render,
    today,
)

router = APIRouter()
METHODS = ["phone", "in_person", "video", "letter", "email"]
CONTACT_OUTCOMES = {"contacted": "Contact made", "declined_to_engage": "Contact made, but they declined to engage",
                    "no_response": "No response (an attempt)"}
FIRST_CONTACT_FIELDS = {"occurred_at": "when-day", "not_in_future": "when-day", "not_before_caution": "when-day",
                        "method": "method", "outcome": "outcome"}
BOOKING_FIELDS = {"group_override_reason": "group-override", "session_group_mismatch": "group-override",
                  "caution_id": "session"}
GROUP_MISMATCH = ("This group's gender does not match the offender's recorded gender: choose another session, or say "
                  "why they should join this group")


@router.get("/worklist")
async def worklist_page(request: Request, who: Provider) -> Response:
    worklist = await _worklist(request, who, min_position(request))
    return render(request, "provider/worklist.html", {"worklist": worklist})


async def _worklist(request: Request, who: Person, params: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = await backend_of(request).caution("GET", "/v1/provider/worklist", who.token, params=params)
    found: dict[str, Any] = answer.json()
    return found


# ----- first contact -----------------------------------------------------------------

@router.get("/cautions/{caution_id}/first-contact")
async def first_contact_page(request: Request, who: Provider, caution_id: str) -> Response:
    caution = await _caution(request, who, caution_id)
    return _first_contact_form(request, caution, {**date_fields("when", today()), "when-time": ""})


async def _caution(request: Request, who: Person, caution_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await backend_of(request).caution("GET", f"/v1/cautions/{caution_id}", who.token)).json()
    return found


def _first_contact_form(request: Request, caution: dict[str, Any], values: dict[str, str],
                        errors: FieldErrors | None = None, status: int = 200) -> Response:
    return render(request, "provider/first_contact.html", {
        "caution": caution, "values": values, "errors": errors or FieldErrors(), "methods": METHODS,
        "contact_outcomes": CONTACT_OUTCOMES}, status=status)


@router.post("/cautions/{caution_id}/first-contact")
async def record_first_contact(request: Request, who: Provider, caution_id: str) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("when-day", "when-month", "when-year", "when-time", "method",
                                                    "outcome", "version")}
    errors = FieldErrors()
    when = _when(values, errors)
    if values["method"] not in METHODS:
        errors.add("method", "Choose how you contacted them, or tried to")
    if values["outcome"] not in CONTACT_OUTCOMES:
        errors.add("outcome", "Choose what happened")
    if not errors and when is not None:
        body = {"occurred_at": when.isoformat(), "method": values["method"], "outcome": values["outcome"]}
        try:
            answer = await backend_of(request).caution(
                "POST", f"/v1/cautions/{caution_id}/first-contact", who.token, json=body,
                headers=if_match(values["version"]), idempotency_key=idempotency_key(form))
        except ApiProblem as problem:
            if problem.status not in REFUSALS:
                raise
            errors = refusal(problem, FIRST_CONTACT_FIELDS)
        else:
            caution = answer.json()
            what = "Attempt at first contact" if values["outcome"] == "no_response" else "First contact"
            return done(request, "/provider/worklist", f"{what} recorded for {caution['police_reference']}", caution)
    caution = await _caution(request, who, caution_id)
    return _first_contact_form(request, caution, values, errors, 400)


def _when(values: dict[str, str], errors: FieldErrors) -> datetime | None:
    day = parsed_date(values, "when", "date", errors)
    at = parsed_time(values["when-time"], "when-time", "time", errors)
    if day is None or at is None:
        return None
    moment = uk_moment_of(day, at)
    if moment > now():
        errors.add("when-day", "The date and time must be in the past")
        return None
    return moment


# ----- booking -----------------------------------------------------------------------

@router.get("/cautions/{caution_id}/book/{workshop}")
async def booking_page(request: Request, who: Provider, caution_id: str, workshop: str) -> Response:
    need = await _booking_needed(request, who, caution_id, workshop)
    return await _booking_form(request, who, need, {})


async def _booking_needed(request: Request, who: Person, caution_id: str, workshop: str) -> dict[str, Any]:
    """The worklist's line for this caution and workshop: its police reference and last day to book; a caution
    with nothing to book is a page not found (it was booked meanwhile, or is not this force's)."""
    worklist = await _worklist(request, who, {"limit": 500})
    for need in worklist["booking"]:
        if need["caution_id"] == caution_id and need["workshop"] == workshop:
            found: dict[str, Any] = need
            return found
    raise ApiProblem(404)


async def _booking_form(request: Request, who: Person, need: dict[str, Any], values: dict[str, str],
                        errors: FieldErrors | None = None, status: int = 200) -> Response:
    first_day = _first_day(need)
    sessions = await _sessions_for(request, who, need, first_day)
    return render(request, "provider/book.html", {
        "need": need, "first_day": first_day, "sessions": sessions, "values": values,
        "errors": errors or FieldErrors()}, status=status)


def _first_day(need: dict[str, Any]) -> date:
    """The first day a session offered may be on: today, or the worklist's `book_from` when later (workshop B's
    days after A), so the page offers no session the caution service would refuse for the gap."""
    book_from = need.get("book_from")
    return max(today(), date.fromisoformat(book_from)) if book_from else today()


async def _sessions_for(request: Request, who: Person, need: dict[str, Any], first_day: date) -> list[dict[str, Any]]:
    """Planned sessions of the workshop from `first_day` to the last day it may be on (the caution service decides
    the rest: places, the group)."""
    if first_day > date.fromisoformat(need["book_by"]):
        return []  # the workshops no longer fit the period: nothing to offer, the police must vary it
    params = {"from": first_day.isoformat(), "to": need["book_by"], "workshop": need["workshop"],
              "status": "planned", "limit": 100}
    page = (await backend_of(request).caution("GET", "/v1/workshop-sessions", who.token, params=params)).json()
    return [s for s in page["items"] if datetime.fromisoformat(s["starts_at"]) > now()]


@router.post("/cautions/{caution_id}/book/{workshop}")
async def book(request: Request, who: Provider, caution_id: str, workshop: str) -> Response:
    form = await checked_form(request)
    values = {"session": text(form, "session"), "group-override": text(form, "group-override")}
    need = await _booking_needed(request, who, caution_id, workshop)
    errors = FieldErrors()
    if not values["session"]:
        errors.add("session", "Choose a session")
    if not errors:
        body: dict[str, Any] = {"caution_id": caution_id}
        if values["group-override"]:
            body["group_override_reason"] = values["group-override"]
        try:
            answer = await backend_of(request).caution(
                "POST", f"/v1/workshop-sessions/{values['session']}/bookings", who.token, json=body,
                headers=if_match(text(form, f"version-{values['session']}")), idempotency_key=idempotency_key(form))
        except ApiProblem as problem:
            if problem.status not in (400, 404, 409, 412, 422):
                raise
            errors = _booking_refusal(problem)
        else:
            session = answer.json()
            message = (f"{need['police_reference']} is booked into workshop {session['workshop']} on "
                       f"{uk_moment(session['starts_at'])} at {session['venue']['name']}")
            return done(request, f"/provider/sessions/{session['id']}", message, session)
    return await _booking_form(request, who, need, values, errors, 400)


def _booking_refusal(problem: ApiProblem) -> FieldErrors:
    errors = FieldErrors()
    if problem.status == 412:
        errors.add("session", STALE)
    elif problem.status == 404:
        errors.add("session", "That session no longer exists: choose another")
    else:
        for error in problem.errors or [{"rule": "", "message": problem.detail or problem.title}]:
            rule, message = str(error.get("rule", "")), str(error.get("message") or problem.title)
            field_id = BOOKING_FIELDS.get(rule) or BOOKING_FIELDS.get(rule.partition(":")[0]) or "session"
            errors.add(field_id, GROUP_MISMATCH if rule == "session_group_mismatch" else message)
    return errors
