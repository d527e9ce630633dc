"""Planning: a session of workshop A or B at one of the force's venues, and adding a venue when there is none yet.

The caution service holds the rules (a bank holiday needs its reason, a session lasts at most eight hours, the
venue must be the force's); this page checks what it can see first (a real day, times, a number of places) so the
common mistakes get plain messages, and shows the service's refusals against the field they are about.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..backend import ApiProblem, backend_of
from ..forms import FieldErrors, checked_form, idempotency_key, text
from ..people import Person
from .dates import parsed_date, parsed_time, uk_moment_of
from .provider_common import Provider, done, render, today

router = APIRouter()
PLAN_FIELDS = {"session_on_bank_holiday": "bank-holiday-reason", "session_ends_after_start": "ends-time",
               "session_too_long": "ends-time", "session_capacity": "capacity", "facilitators_repeated": "facilitators",
               "venue_unknown": "venue", "session_times_need_offsets": "starts-day", "starts_at": "starts-day",
               "ends_at": "ends-time", "capacity": "capacity", "group": "group", "workshop": "workshop",
               "venue_id": "venue", "facilitators": "facilitators", "provider": "provider",
               "bank_holiday_reason": "bank-holiday-reason"}
PLAN_VALUES = ("workshop", "venue", "starts-day", "starts-month", "starts-year", "starts-time", "ends-time", "capacity",
               "group", "facilitators", "provider", "bank-holiday-reason")
VENUE_FIELDS = {"venue_name_taken": "name", "name": "name", "address": "address", "postcode": "postcode",
                "accessible": "accessible", "notes": "notes"}
DEFAULT_CAPACITY = "12"


@router.get("/sessions/new")
async def plan_page(request: Request, who: Provider) -> Response:
    return await _plan_form(request, who, {"capacity": DEFAULT_CAPACITY})


async def _plan_form(request: Request, who: Person, values: dict[str, str], errors: FieldErrors | None = None,
                     status: int = 200) -> Response:
    venues = (await backend_of(request).caution("GET", "/v1/venues", who.token)).json()["items"]
    return render(request, "provider/plan.html", {"venues": venues, "values": values,
                                                  "errors": errors or FieldErrors()}, status=status)


@router.post("/sessions/new")
async def plan(request: Request, who: Provider) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in PLAN_VALUES}
    errors = FieldErrors()
    body = _plan_body(values, errors)
    if body is not None and not errors:
        try:
            answer = await backend_of(request).caution("POST", "/v1/workshop-sessions", who.token, json=body,
                                                    idempotency_key=idempotency_key(form))
        except ApiProblem as problem:
            if problem.status not in (400, 404, 409, 422):
                raise
            errors = FieldErrors.from_problem(problem, PLAN_FIELDS)
        else:
            session = answer.json()
            return done(request, f"/provider/sessions/{session['id']}", "Session planned", session)
    return await _plan_form(request, who, values, errors, 400)


def _plan_body(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    if values["workshop"] not in ("A", "B"):
        errors.add("workshop", "Choose workshop A or B")
    if not values["venue"]:
        errors.add("venue", "Choose the venue")
    day = parsed_date(values, "starts", "date", errors)
    if day is not None and day < today():
        errors.add("starts-day", "The date must be today or in the future")
    starts = parsed_time(values["starts-time"], "starts-time", "start time", errors)
    ends = parsed_time(values["ends-time"], "ends-time", "end time", errors)
    if starts is not None and ends is not None and ends <= starts:
        errors.add("ends-time", "The end time must be after the start time")
    capacity = int(values["capacity"]) if values["capacity"].isdigit() else 0
    if not 1 <= capacity <= 30:
        errors.add("capacity", "Enter the number of places, from 1 to 30")
    if values["group"] not in ("mens", "womens"):
        errors.add("group", "Choose the group")
    if not values["provider"]:
        errors.add("provider", "Enter the provider running the session")
    if errors or day is None or starts is None or ends is None:
        return None
    facilitators = [f.strip() for f in values["facilitators"].split(",") if f.strip()]
    body: dict[str, Any] = {
        "workshop": values["workshop"], "venue_id": values["venue"], "capacity": capacity, "group": values["group"],
        "starts_at": uk_moment_of(day, starts).isoformat(), "ends_at": uk_moment_of(day, ends).isoformat(),
        "facilitators": facilitators, "provider": values["provider"]}
    if values["bank-holiday-reason"]:
        body["bank_holiday_reason"] = values["bank-holiday-reason"]
    return body


@router.get("/venues/new")
async def venue_page(request: Request, who: Provider) -> Response:
    return render(request, "provider/venue.html", {"values": {}})


@router.post("/venues/new")
async def add_venue(request: Request, who: Provider) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("name", "address", "postcode", "accessible", "notes")}
    errors = FieldErrors()
    for field, message in (("name", "Enter the venue's name"), ("address", "Enter the venue's address"),
                           ("postcode", "Enter the venue's postcode")):
        if not values[field]:
            errors.add(field, message)
    if values["accessible"] not in ("yes", "no"):
        errors.add("accessible", "Say whether the venue has step-free access throughout")
    if not errors:
        body = {"name": values["name"], "address": values["address"], "postcode": values["postcode"],
                "accessible": values["accessible"] == "yes", "notes": values["notes"]}
        try:
            await backend_of(request).caution("POST", "/v1/venues", who.token, json=body,
                                           idempotency_key=idempotency_key(form))
        except ApiProblem as problem:
            if problem.status not in (400, 409, 422):
                raise
            errors = FieldErrors.from_problem(problem, VENUE_FIELDS)
            if problem.status == 409 and not problem.errors:  # the one conflict: an active venue has that name
                errors = FieldErrors({"name": [problem.detail or "Your force already has a venue of that name"]})
        else:
            return done(request, "/provider/sessions/new", f"Venue added: {values['name']}")
    return render(request, "provider/venue.html", {"values": values, "errors": errors}, status=400)
