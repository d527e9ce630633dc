"""The command routes on workshop sessions: plan, book, register, cancel (issue 18).

Who may: the provider plans sessions, books cautions into them, records the register and cancels them; the
police may book a caution into a session and cancel a session too (they arrange a workshop with the offender,
and learn of a venue closing), but record no register. Every session belongs to the caller's force: another
force's session is answered 404, as a caution is.

The routes are plain functions, which FastAPI runs on its thread pool: a command reads up to a session's
worth of cautions and writes them in one transaction, beside the group-commit writer (session_commands.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.auth import Role
from shared.openapi import problems

from ..domain.session import WorkshopSession
from ..idempotency import Receipt, StoredResponse, fingerprint_of
from ..session_commands import Actor, Done, Move, RegisterEntry, SessionCommands
from .deps import command_context, command_docs
from .execution import CommandContext, etag, to_response
from .session_schemas import (
    RegisterIn,
    SessionBookingIn,
    SessionCancellationIn,
    SessionCancelledOut,
    SessionOut,
    SessionPlanIn,
)

router = APIRouter(prefix="/v1/workshop-sessions", tags=["workshop session commands"])

ERRORS = problems(400, 401, 403, 404, 409, 412, 413, 422)
Provider = Annotated[CommandContext, Depends(command_context(Role.PROVIDER))]
Planner = Annotated[CommandContext, Depends(command_context(Role.PROVIDER, versioned=False))]
PoliceOrProvider = Annotated[CommandContext, Depends(command_context(Role.POLICE, Role.PROVIDER))]


def session_body(session: WorkshopSession) -> dict[str, Any]:
    """The session as every answer shows it: who is booked by caution id only, and no personal data."""
    return {
        "id": str(session.id),
        "force": session.force,
        "provider": session.provider,
        "workshop": session.workshop.value,
        "venue": {"id": session.venue_id, "name": session.venue_name},
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "capacity": session.capacity,
        "places_left": session.places_left,
        "group": session.group.value,
        "facilitators": list(session.facilitators),
        "bank_holiday_reason": session.bank_holiday_reason,
        "status": session.status.value,
        "version": session.version,
        "bookings": [{"caution_id": caution_id} for caution_id in session.bookings],
        "register": [{"caution_id": line.caution_id, "outcome": line.outcome.value}
                     for line in session.register.values()],
    }


def _commands(request: Request) -> SessionCommands:
    commands: SessionCommands = request.app.state.session_commands
    return commands


def _answer(done: Done, created: bool = False, rebook: bool = False) -> StoredResponse:
    body = {**session_body(done.session), "position": None}  # the position is filled in once saved
    if rebook:
        body["rebook"] = [{"caution_id": r.caution_id, "workshop": r.workshop.value, "book_by": r.book_by.isoformat()}
                          for r in done.rebook]
    headers = {"ETag": etag(done.session.version)}
    if created:
        headers["Location"] = f"/v1/workshop-sessions/{done.session.id}"
    return StoredResponse(201 if created else 200, body, headers)


def _receipt(
    ctx: CommandContext, path: str, body: BaseModel, render: Callable[[Done], StoredResponse],
) -> Receipt | None:
    if ctx.idempotency_key is None:
        return None
    print_ = fingerprint_of("POST", path, body.model_dump(mode="json"))
    return Receipt(ctx.caller, ctx.idempotency_key, print_, lambda done, position: render(done).at_position(position))


def _actor(ctx: CommandContext) -> Actor:
    return Actor(ctx.recorded_by, ctx.now())


@router.post("", status_code=201, response_model=SessionOut, responses=ERRORS,
             openapi_extra=command_docs(versioned=False))
def plan_session(body: SessionPlanIn, ctx: Planner, request: Request) -> JSONResponse:
    """Plan a session at one of your force's venues (provider). A session on a bank holiday in England and Wales
    needs `bank_holiday_reason`; refused (422, rule `session_on_bank_holiday`) without."""
    receipt = _receipt(ctx, "/v1/workshop-sessions", body, lambda done: _answer(done, created=True))
    outcome = _commands(request).plan(
        ctx.principal.force, _actor(ctx), receipt, lambda done: _answer(done, created=True),
        workshop=body.workshop, venue_id=body.venue_id, starts_at=body.starts_at, ends_at=body.ends_at,
        capacity=body.capacity, group=body.group, facilitators=list(body.facilitators), provider=body.provider,
        bank_holiday_reason=body.bank_holiday_reason)
    return to_response(outcome.response, outcome.replayed)


@router.post("/{session_id}/bookings", response_model=SessionOut, responses=ERRORS, openapi_extra=command_docs())
def book_place(session_id: UUID, body: SessionBookingIn, ctx: PoliceOrProvider, request: Request) -> JSONResponse:
    """Book a caution into the session (provider or police): a place (409 `session_full` when none is left), the
    group against the offender's recorded gender (422 `session_group_mismatch` without `group_override_reason`),
    the caution period and the 28 days between A and B. The caution's WorkshopScheduled is recorded with the
    session's booking; a caution already booked into another session of the workshop is moved there
    (WorkshopRescheduled, with who asked and why) and its old place freed, all in one transaction."""
    receipt = _receipt(ctx, f"/v1/workshop-sessions/{session_id}/bookings", body, _answer)
    outcome = _commands(request).book(
        session_id, ctx.principal.force, body.caution_id, body.group_override_reason,
        Move(body.requested_by, body.reason_code, body.reason), _actor(ctx), ctx.expected_version, receipt, _answer)
    return to_response(outcome.response, outcome.replayed)


@router.post("/{session_id}/register", response_model=SessionOut, responses=ERRORS, openapi_extra=command_docs())
def record_register(session_id: UUID, body: RegisterIn, ctx: Provider, request: Request) -> JSONResponse:
    """Record the session's register (provider): one line for every caution booked, in one transaction. Each
    caution records its attendance (at the session's start) or its miss, exactly as if recorded on its own. A
    second register is refused (409 `register_already_recorded`) unless sent as a correction."""
    entries = [RegisterEntry(str(line.caution_id), line.outcome, line.note, line.absence_reason, line.absence_detail)
               for line in body.lines]
    receipt = _receipt(ctx, f"/v1/workshop-sessions/{session_id}/register", body, _answer)
    outcome = _commands(request).register(
        session_id, ctx.principal.force, entries, body.correction_reason if body.correction else None, _actor(ctx),
        ctx.expected_version, receipt, _answer)
    return to_response(outcome.response, outcome.replayed)


@router.post("/{session_id}/cancellation", response_model=SessionCancelledOut, responses=ERRORS,
             openapi_extra=command_docs())
def cancel_session(
    session_id: UUID, body: SessionCancellationIn, ctx: PoliceOrProvider, request: Request,
) -> JSONResponse:
    """Cancel the session (provider or police): every booking in it is cancelled on the caution's record too,
    counting against no one. `rebook` lists each caution to book again, the workshop, and the latest day its
    session may be on (`book_by`)."""
    def answer(done: Done) -> StoredResponse:
        return _answer(done, rebook=True)

    receipt = _receipt(ctx, f"/v1/workshop-sessions/{session_id}/cancellation", body, answer)
    outcome = _commands(request).cancel(
        session_id, ctx.principal.force, body.reason, body.detail, _actor(ctx), ctx.expected_version, receipt,
        answer)
    return to_response(outcome.response, outcome.replayed)
