"""The police decisions on a caution, one page each: acknowledge a safeguarding concern, decide an excuse, vary the
conditions, decide a breach, withdraw, correct an entry.

Each page is drawn from the caution as it stands (its version goes in the form); the decision is sent with that
version as If-Match, so a caution changed meanwhile is refused (412) and the page says so, drawn again from the
caution as it now is. A decision is recorded as made when the officer sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..addresses import known_id
from ..backend import ApiProblem
from ..forms import REFUSALS, FieldErrors, checked_form, idempotency_key, refusal, text
from ..people import Person
from ..rendering import confirm
from .dates import parsed_date, parsed_time, uk_moment_of
from .police_common import (
    Police,
    read_caution,
    read_history,
    record,
    recorded,
    right_now,
)

router = APIRouter()
Body = Callable[[dict[str, str], FieldErrors], dict[str, Any] | None]
REASON = {"reason": "reason", "reason_required": "reason"}


@dataclass(frozen=True)
class Action:
    template: str
    names: tuple[str, ...]
    body: Body
    flash: Callable[[dict[str, Any]], str]
    fields: dict[str, str] = field(default_factory=dict)
    with_history: bool = False


def _required(values: dict[str, str], errors: FieldErrors, messages: dict[str, str]) -> None:
    for name, message in messages.items():
        if not values.get(name):
            errors.add(name, message)


def _acknowledgement(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    _required(values, errors, {"action-taken": "Enter what action you took on the concern"})
    return None if errors else {"occurred_at": right_now(), "action_taken": values["action-taken"]}


def _excuse(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    _required(values, errors, {"accepted": "Select whether you accept the excuse",
                               "reason": "Enter the reasons for your decision"})
    return None if errors else {"occurred_at": right_now(), "accepted": values["accepted"] == "yes",
                                "reason": values["reason"], "absence_reason": values["absence-reason"] or None}


def _variation(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    ends = parsed_date(values, "ends", "new end of the caution period", errors)
    _required(values, errors, {"reason": "Enter the reason for the variation",
                               "authorised-by": "Enter who authorised the variation"})
    return None if errors or ends is None else {
        "occurred_at": right_now(), "period_ends_on": ends.isoformat(), "reason": values["reason"],
        "authorised_by": values["authorised-by"]}


def _breach(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    _required(values, errors, {"outcome": "Select your decision", "reason": "Enter the reasons for your decision"})
    return None if errors else {"occurred_at": right_now(), "outcome": values["outcome"], "reason": values["reason"]}


def _withdrawal(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    _required(values, errors, {"reason": "Enter why the caution is withdrawn"})
    return None if errors else {"occurred_at": right_now(), "reason": values["reason"]}


def _correction(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    _required(values, errors, {"entry": "Select the entry to correct", "kind": "Select what is wrong with the entry"})
    corrected = None
    if values["kind"] == "retime":
        day = parsed_date(values, "corrected", "date it happened", errors)
        at = parsed_time(values["corrected-time"], "corrected-time", "time it happened", errors)
        corrected = uk_moment_of(day, at).isoformat() if day is not None and at is not None else None
    _required(values, errors, {"reason": "Enter the reason for the correction"})
    if errors or not values["entry"].isdigit():
        return None
    return {"corrects_entry": int(values["entry"]), "reason": values["reason"],
            "recorded_in_error": values["kind"] == "strike", "corrected_occurred_at": corrected}


def _date_parts(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}-{part}" for part in ("day", "month", "year"))


ACKNOWLEDGE = Action("police/acknowledge.html", ("action-taken",), _acknowledgement,
                     lambda body: "Safeguarding concern acknowledged",
                     {"action_taken": "action-taken", "action_taken_required": "action-taken",
                      "concern_already_acknowledged": "action-taken", "entry_struck_out": "action-taken",
                      "not_a_safeguarding_concern": "action-taken"})
EXCUSE = Action("police/excuse.html", ("accepted", "reason", "absence-reason"), _excuse,
                lambda body: ("Excuse accepted: both workshops are to be attended again" if body["accepted"]
                              else "Excuse rejected: the caution is referred for a breach decision"),
                {**REASON, "accepted": "accepted", "no_missed_workshop": "accepted",
                 "absence_reason": "absence-reason"}, with_history=True)
VARY = Action("police/vary.html", (*_date_parts("ends"), "reason", "authorised-by"), _variation,
              lambda body: "Conditions varied: the caution period has a new end date",
              {**REASON, "authorised_by": "authorised-by", **{rule: "ends-day" for rule in (
                  "period_ends_on", "statutory_maximum_period", "period_must_end_after_issue",
                  "variation_would_exclude_attendance", "variation_would_exclude_booking",
                  "variation_cannot_end_the_period_in_the_past")}})
BREACH = Action("police/breach.html", ("outcome", "reason"), _breach,
                lambda body: "Breach decided: " + ("prosecute" if body["outcome"] == "prosecute"
                                                   else "no further action"),
                {**REASON, "outcome": "outcome", "breach_needs_a_failure": "outcome"})
WITHDRAW = Action("police/withdraw.html", ("reason",), _withdrawal, lambda body: "Caution withdrawn", REASON)
CORRECT = Action("police/correct.html", ("entry", "kind", "reason", *_date_parts("corrected"), "corrected-time"),
                 _correction, lambda body: f"Entry {body['corrects_entry']} corrected",
                 {**REASON, "recorded_in_error": "kind", "strike_or_retime": "kind",
                  **{rule: "entry" for rule in ("corrects_entry", "corrected_entry_must_exist", "correct_the_original",
                                                "entry_struck_out", "strike_cannot_be_redecided",
                                                "strike_dependant_first", "concern_struck_by_police")},
                  **{rule: "corrected-day" for rule in ("corrected_occurred_at", "workshop_inside_caution_period",
                                                        "workshop_b_after_gap", "not_in_future",
                                                        "not_before_caution")}}, with_history=True)


async def _show(request: Request, who: Person, caution_id: str, action: Action, values: dict[str, str],
                errors: FieldErrors | None = None, version: str | None = None, **extra: Any) -> Response:
    """The action's page, drawn from the caution as it now is; `version`: the one the officer's form was drawn
    from, kept when their answers are sent back to them, so a change meanwhile is still caught."""
    caution = await read_caution(request, who, caution_id)
    history = await read_history(request, who, caution_id) if action.with_history else None
    return request.app.state.pages.render(request, action.template, {
        "caution": caution, "history": history, "values": values, "errors": errors or FieldErrors(),
        "version": version or str(caution["version"]), **extra}, status=400 if errors else 200)


async def _submit(request: Request, who: Person, caution_id: str, action: Action, api_path: str,
                  **extra: Any) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in action.names}
    version = text(form, "version")
    errors = FieldErrors()
    body = action.body(values, errors)
    if errors or body is None:
        return await _show(request, who, caution_id, action, values, errors, version, **extra)
    try:
        written = await record(request, who, caution_id, api_path, body, version=version, key=idempotency_key(form))
    except ApiProblem as problem:
        if problem.status not in REFUSALS:
            raise
        kept = None if problem.status == 412 else version
        return await _show(request, who, caution_id, action, values, refusal(problem, action.fields), kept, **extra)
    return recorded(request, caution_id, written, action.flash(body))


@router.get("/cautions/{caution_id}/concerns/{entry}/acknowledge")
async def acknowledge_page(request: Request, who: Police, caution_id: str, entry: str) -> Response:
    caution_id, number = known_id(caution_id), _entry(entry)
    caution = await read_caution(request, who, caution_id)
    if not any(c["entry"] == number for c in caution["open_safeguarding_concerns"]):
        confirm(request, f"The safeguarding concern in entry {number} is already acknowledged")
        return RedirectResponse(f"/police/cautions/{caution_id}", status_code=303)
    return await _show(request, who, caution_id, ACKNOWLEDGE, {}, entry=number)


@router.post("/cautions/{caution_id}/concerns/{entry}/acknowledge")
async def acknowledge(request: Request, who: Police, caution_id: str, entry: str) -> Response:
    caution_id, number = known_id(caution_id), _entry(entry)
    return await _submit(request, who, caution_id, ACKNOWLEDGE, f"safeguarding-concerns/{number}/acknowledgement",
                         entry=number)


def _entry(entry: str) -> int:
    """An entry number from the address: anything else is a page that does not exist."""
    if not entry.isdigit() or not 1 <= int(entry) <= 100_000:
        raise ApiProblem(404)
    return int(entry)


# The decisions whose page needs only the caution: its address under /police/cautions/{caution_id}/ (GET the page,
# POST the decision) and where the caution service takes the decision.
PLAIN = {"excuse": (EXCUSE, "excuse-decisions"), "vary": (VARY, "variations"), "breach": (BREACH, "breach"),
         "withdraw": (WITHDRAW, "withdrawal")}


def _plain_routes(address: str, action: Action, api_path: str) -> None:
    async def page(request: Request, who: Police, caution_id: str) -> Response:
        return await _show(request, who, known_id(caution_id), action, {})

    async def decide(request: Request, who: Police, caution_id: str) -> Response:
        return await _submit(request, who, known_id(caution_id), action, api_path)

    router.add_api_route(f"/cautions/{{caution_id}}/{address}", page, methods=["GET"], name=f"{address}_page")
    router.add_api_route(f"/cautions/{{caution_id}}/{address}", decide, methods=["POST"], name=address)


for _address, (_action, _api_path) in PLAIN.items():
    _plain_routes(_address, _action, _api_path)


@router.get("/cautions/{caution_id}/correct")
async def correct_page(request: Request, who: Police, caution_id: str, entry: str = "") -> Response:
    """`?entry=` preselects the entry (the timeline's "Correct" links)."""
    return await _show(request, who, known_id(caution_id), CORRECT, {"entry": entry if entry.isdigit() else ""})


@router.post("/cautions/{caution_id}/correct")
async def correct(request: Request, who: Police, caution_id: str) -> Response:
    return await _submit(request, who, known_id(caution_id), CORRECT, "corrections")
