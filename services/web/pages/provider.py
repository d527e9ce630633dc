"""Workshop provider: the sessions of the coming weeks, each session's roster and its register (one form for the
whole group), the worklist of first contacts and bookings (provider_worklist.py), and planning sessions and
venues (provider_plan.py).

A session knows its cautions by id and police reference only: no offender's name is asked for or shown on a session
page, so a roster on a screen in a venue shows no one who does not already know.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from ..backend import ApiProblem, backend_of, if_match
from ..forms import REFUSALS, FieldErrors, checked_form, idempotency_key, text
from . import provider_plan, provider_worklist
from .provider_common import STALE, Provider, done, has_begun, min_position, render, today

router = APIRouter(prefix="/provider")
router.include_router(provider_worklist.router)
router.include_router(provider_plan.router)

WEEKS_AHEAD = 6
OUTCOMES = ["attended", "arrived_late", "did_not_attend", "left_early", "sent_home", "failed_to_engage"]
OUTCOME_WORDS = {"attended": "Attended", "arrived_late": "Arrived late", "did_not_attend": "Did not attend",
                 "left_early": "Left early", "sent_home": "Sent home",
                 "failed_to_engage": "Attended but failed to engage"}
ABSENCE_REASONS = ["medical", "employment", "childcare", "court", "other", "none_given"]
# The caution service's rules about one line, in words for the person at the register (its messages are the API's).
LINE_RULES = {
    "absence_other_needs_detail": ("detail", "Say what the reason was for {ref}: the absence reason is 'other'"),
    "absence_detail_needs_reason": ("reason", "Choose the absence reason for {ref} that the words describe"),
}


@router.get("/sessions")
async def sessions_page(request: Request, who: Provider, cursor: str | None = None) -> Response:
    """The force's sessions from today for six weeks, soonest first."""
    first = today()
    params = {"from": first.isoformat(), "to": (first + timedelta(weeks=WEEKS_AHEAD)).isoformat(), "limit": 100,
              "cursor": cursor, **min_position(request)}
    page = (await backend_of(request).caution("GET", "/v1/workshop-sessions", who.token, params=params)).json()
    return render(request, "provider/sessions.html", {
        "sessions": page["items"], "next_cursor": page.get("next_cursor"), "first": first,
        "last": first + timedelta(weeks=WEEKS_AHEAD)})


@router.get("/sessions/{session_id}")
async def session_page(request: Request, who: Provider, session_id: str) -> Response:
    session = await _session(request, who.token, session_id, min_position(request))
    return _session_view(request, session)


async def _session(request: Request, token: str, session_id: str, params: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    answer = await backend_of(request).caution("GET", f"/v1/workshop-sessions/{session_id}", token, params=params)
    found: dict[str, Any] = answer.json()
    return found


def _session_view(request: Request, session: dict[str, Any], values: dict[str, dict[str, str]] | None = None,
                  errors: FieldErrors | None = None, status: int = 200, correction_reason: str = "") -> Response:
    rows = register_rows(session, values or {})
    return render(request, "provider/session.html", {
        "session": session, "register_lines": rows, "correction": bool(session.get("register")),
        "can_register": session["status"] != "cancelled" and bool(rows) and has_begun(session["starts_at"]),
        "errors": errors or FieldErrors(), "correction_reason": correction_reason,
        "outcomes": OUTCOMES, "outcome_words": OUTCOME_WORDS, "absence_reasons": ABSENCE_REASONS}, status=status)


def register_rows(session: dict[str, Any], values: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """One row per caution the register must name: those booked the first time; those on the register when it is
    corrected. Each row carries what was typed (kept after a refusal) or else what was recorded."""
    references = {line["caution_id"]: line.get("police_reference") for line in session.get("roster", [])}
    recorded = {line["caution_id"]: line["outcome"] for line in session.get("register", [])}
    named = list(recorded) if recorded else [line["caution_id"] for line in session.get("bookings", [])]
    order = list(references)  # the roster's order, so the form's rows line up with the table above it
    named.sort(key=lambda caution_id: order.index(caution_id) if caution_id in order else len(order))
    rows = []
    for index, caution_id in enumerate(named):
        typed = values.get(caution_id, {})
        rows.append({"index": index, "caution_id": caution_id,
                     "reference": references.get(caution_id) or f"caution {caution_id[:8]}",
                     "outcome": typed.get("outcome", recorded.get(caution_id, "")),
                     "reason": typed.get("reason", ""), "detail": typed.get("detail", ""),
                     "note": typed.get("note", "")})
    return rows


@router.post("/sessions/{session_id}/register")
async def record_register(request: Request, who: Provider, session_id: str) -> Response:
    """The whole register in one request: every line is recorded, or none is (the caution service's one
    transaction), so a refusal shows the same form with each message against its row."""
    form = await checked_form(request)
    count = min(int(text(form, "count") or 0) if text(form, "count").isdigit() else 0, 30)
    lines = [_line(form, index) for index in range(count)]
    values = {line["caution_id"]: line for line in lines}
    correction = text(form, "correction") == "yes"
    reason = text(form, "correction-reason")
    errors = _checked(lines, correction, reason)
    if not errors:
        body: dict[str, Any] = {"lines": [_line_body(line) for line in lines]}
        if correction:
            body.update(correction=True, correction_reason=reason)
        try:
            answer = await backend_of(request).caution(
                "POST", f"/v1/workshop-sessions/{session_id}/register", who.token, json=body,
                headers=if_match(text(form, "version")), idempotency_key=idempotency_key(form))
        except ApiProblem as problem:
            if problem.status not in REFUSALS:
                raise
            errors = _refusal(problem, lines)
        else:
            return done(request, f"/provider/sessions/{session_id}", _recorded(lines, correction), answer.json())
    session = await _session(request, who.token, session_id)
    return _session_view(request, session, values, errors, 400, reason)


def _line(form: FormData, index: int) -> dict[str, str]:
    return {"index": str(index), "caution_id": text(form, f"caution-{index}"),
            "reference": text(form, f"reference-{index}") or f"row {index + 1}",
            **{name: text(form, f"{name}-{index}") for name in ("outcome", "reason", "detail", "note")}}


def _checked(lines: list[dict[str, str]], correction: bool, reason: str) -> FieldErrors:
    """What the page can tell before asking: every row has an outcome; a correction says why."""
    errors = FieldErrors()
    if not lines:
        errors.add("", "There is no one booked into this session to record")
    for line in lines:
        if line["outcome"] not in OUTCOMES:
            errors.add(f"outcome-{line['index']}", f"Choose what happened for {line['reference']}")
        if line["reason"] and line["reason"] not in ABSENCE_REASONS:
            errors.add(f"reason-{line['index']}", f"Choose an absence reason from the list for {line['reference']}")
    if correction and not reason:
        errors.add("correction-reason", "Say why the register is being corrected")
    return errors


def _line_body(line: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"caution_id": line["caution_id"], "outcome": line["outcome"]}
    for field, name in (("reason", "absence_reason"), ("detail", "absence_detail"), ("note", "note")):
        if line[field]:
            body[name] = line[field]
    return body


def _refusal(problem: ApiProblem, lines: list[dict[str, str]]) -> FieldErrors:
    """The caution service's reasons, each against the row (and field) it is about where it can be told."""
    errors = FieldErrors()
    if problem.status == 412:
        errors.add("", STALE)
        return errors
    for error in problem.errors or [{"rule": "", "message": problem.detail or problem.title}]:
        message = str(error.get("message") or problem.title)
        about = [line for line in lines if line["caution_id"] and line["caution_id"] == error.get("caution_id")]
        if about:  # the service named the caution this line's refusal is about
            errors.add(f"outcome-{about[0]['index']}", f"{about[0]['reference']}: {message}")
            continue
        field_id, message = _placed(str(error.get("rule", "")), message, lines)
        errors.add(field_id, message)
    return errors


def _placed(rule: str, message: str, lines: list[dict[str, str]]) -> tuple[str, str]:
    """A rule about a request field ("lines.1.note:string_too_long", "lines.1:value_error") names its row; a rule
    about one caution's line without naming it ("absence_other_needs_detail") is placed on the row it fits."""
    where = rule.partition(":")[0].split(".")
    if len(where) >= 2 and where[0] == "lines" and where[1].isdigit() and int(where[1]) < len(lines):
        line = lines[int(where[1])]
        field = {"absence_reason": "reason", "absence_detail": "detail", "note": "note"}.get(
            where[2] if len(where) > 2 else "", "outcome")
        if rule.endswith("value_error") and line["outcome"] == "attended":
            message = f"{line['reference']} attended: an absence reason and a note are only for a miss"
        else:
            message = f"{line['reference']}: {message.partition(': ')[2] or message}"
        return f"{field}-{line['index']}", message
    if rule in LINE_RULES:
        field, words = LINE_RULES[rule]
        for line in lines:
            fits = line["reason"] == "other" and not line["detail"] if field == "detail" else (
                line["detail"] and not line["reason"])
            if fits:
                return f"{field}-{line['index']}", words.format(ref=line["reference"])
    if rule == "correction_changes_nothing":
        return "outcome-0" if lines else "", "Change at least one outcome to correct the register"
    return "", message


def _recorded(lines: list[dict[str, str]], correction: bool) -> str:
    attended = sum(1 for line in lines if line["outcome"] == "attended")
    missed = len(lines) - attended
    what = "Register corrected" if correction else "Register recorded"
    return f"{what}: {attended} attended, {missed} missed"
