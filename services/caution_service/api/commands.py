"""The command routes on one caution: first contact, workshops, excuses, victim contact, police decisions,
corrections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.auth import Role
from shared.openapi import problems

from ..disclosure import seal_concern_details
from ..domain.caution import Caution
from ..domain.errors import InvalidCommand, require_same_force
from ..domain.values import (
    Booking,
    ConcernSource,
    ConcernUrgency,
    Person,
    SafeguardingCategory,
    Workshop,
)
from .deps import command_context, command_docs
from .execution import CommandContext, execute
from .schemas import (
    AttendanceIn,
    BreachIn,
    CautionPublic,
    CompletionIn,
    CorrectionIn,
    ExcuseDecisionIn,
    FirstContactIn,
    NonAttendanceIn,
    ScheduleIn,
    VariationIn,
    VictimContactIn,
    WithdrawalIn,
)

router = APIRouter(prefix="/v1/cautions/{caution_id}", tags=["caution commands"])

ERRORS = problems(400, 401, 403, 404, 409, 412, 413, 422)
Police = Annotated[CommandContext, Depends(command_context(Role.POLICE))]
Provider = Annotated[CommandContext, Depends(command_context(Role.PROVIDER))]
VictimContact = Annotated[CommandContext, Depends(command_context(Role.VICTIM_CONTACT))]
PoliceOrProvider = Annotated[CommandContext, Depends(command_context(Role.POLICE, Role.PROVIDER))]
WorkshopPath = Annotated[Workshop, Path(description="A or B")]


async def run_on_caution(
    ctx: CommandContext, caution_id: UUID, path: str, body: BaseModel, command: Callable[[Caution], None],
) -> JSONResponse:
    def in_force(caution: Caution) -> None:
        require_same_force(caution.force, ctx.principal.force, caution_id)
        command(caution)

    return await execute(
        ctx, ("POST", f"/v1/cautions/{caution_id}/{path}"), body,
        caution_id=caution_id, command=in_force, expected_version=ctx.expected_version,
    )


@router.post(
    "/workshops/{workshop}/schedule", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs()
)
async def schedule_workshop(
    caution_id: UUID, workshop: WorkshopPath, body: ScheduleIn, ctx: Provider,
) -> JSONResponse:
    """Book workshop A or B (a second booking of the same workshop is a reschedule and needs a reason; it also
    records who asked for it and the coded reason, when given)."""
    booking = Booking(body.session_at, body.venue)
    path = f"workshops/{workshop.value}/schedule"
    return await run_on_caution(ctx, caution_id, path, body, lambda c: c.schedule_workshop(
        workshop, booking, body.reason,
        occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by,
        requested_by=body.requested_by, reason_code=body.reason_code))


@router.post("/first-contact", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def record_first_contact(
    caution_id: UUID, body: FirstContactIn, ctx: Provider,
) -> JSONResponse:
    """The provider's first contact with the offender, or an attempt at it (every attempt is kept). The first
    contact made meets the conditions' `first_contact_days`; booking workshop A does not."""
    return await run_on_caution(ctx, caution_id, "first-contact", body, lambda c: c.record_first_contact(
        body.method, body.outcome, occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post(
    "/workshops/{workshop}/attendance", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs()
)
async def record_attendance(
    caution_id: UUID, workshop: WorkshopPath, body: AttendanceIn, ctx: Provider,
) -> JSONResponse:
    """The offender attended the whole workshop (B counts only 28+ days after A), on the booked session's day
    (UK time) or, with the reason, on another."""
    recorded_at, recorded_by = ctx.now(), ctx.recorded_by

    def attend(c: Caution) -> None:
        attend_workshop = c.attend_workshop_a if workshop is Workshop.A else c.attend_workshop_b
        attend_workshop(occurred_at=body.occurred_at, recorded_at=recorded_at, recorded_by=recorded_by,
                        reason_not_on_booked_day=body.reason_not_on_booked_day)

    return await run_on_caution(ctx, caution_id, f"workshops/{workshop.value}/attendance", body, attend)


@router.post(
    "/workshops/{workshop}/non-attendance", response_model=CautionPublic, responses=ERRORS,
    openapi_extra=command_docs(),
)
async def record_non_attendance(
    caution_id: UUID, workshop: WorkshopPath, body: NonAttendanceIn, ctx: Provider,
) -> JSONResponse:
    """The offender missed the workshop (did not attend, arrived late: CARA refuses late entry, left early, was sent
    home, or did not take part); police then decide on any excuse, on the coded absence reason when one is given.
    The note and the absence detail are about the offender's circumstances: they are sealed under their key, and the
    note is shown in the compliance history to the roles that may see who they are."""
    keyring = ctx.app.keyring

    def miss(c: Caution) -> None:
        c.require_not_erased(Person.OFFENDER)
        detail = keyring.seal(c.offender_key, body.absence_detail) if body.absence_detail is not None else None
        c.miss_workshop(workshop, body.reason, keyring.seal(c.offender_key, body.note),
                        occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by,
                        absence_reason=body.absence_reason, absence_detail=detail)

    return await run_on_caution(ctx, caution_id, f"workshops/{workshop.value}/non-attendance", body, miss)


@router.post("/excuse-decisions", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def decide_excuse(
    caution_id: UUID, body: ExcuseDecisionIn, ctx: Police,
) -> JSONResponse:
    """Accept a reasonable excuse (both workshops are attended again) or reject it (breach referral), on the coded
    absence reason given (by default the one recorded with the miss)."""
    return await run_on_caution(ctx, caution_id, "excuse-decisions", body, lambda c: c.decide_excuse(
        body.accepted, body.reason, occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by,
        absence_reason=body.absence_reason))


@router.post("/victim-contacts", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def record_victim_contact(
    caution_id: UUID, body: VictimContactIn, ctx: VictimContact,
) -> JSONResponse:
    """Record a victim contact; notes are sealed under the victim's own key and never leave the victim contact role.
    With `safeguarding_concern`, the concern is also raised to the police (issue 19: a flag alone told nobody),
    with the notes as what was said; the police are told only to contact the victim contact service."""
    keyring = ctx.app.keyring
    recorded_at, recorded_by = ctx.now(), ctx.recorded_by

    def contact(c: Caution) -> None:
        sealed = None
        if body.notes:
            c.require_not_erased(Person.VICTIM)
            sealed = keyring.seal(c.victim_key, {"notes": body.notes})
        c.contact_victim(body.stage, body.outcome, body.safeguarding_concern, sealed,
                         occurred_at=body.occurred_at, recorded_at=recorded_at, recorded_by=recorded_by)
        if body.safeguarding_concern:
            c.raise_safeguarding_concern(
                body.concern_category or SafeguardingCategory.RISK_TO_VICTIM, body.concern_urgency or
                ConcernUrgency.URGENT, ConcernSource.VICTIM_CONTACT_ON_CONTACT,
                seal_concern_details(keyring, c, body.notes),
                occurred_at=body.occurred_at, recorded_at=recorded_at, recorded_by=recorded_by)
        elif body.concern_category is not None or body.concern_urgency is not None:
            raise InvalidCommand("concern_fields_need_concern",
                                 "A concern's category or urgency is given only with `safeguarding_concern`.")

    return await run_on_caution(ctx, caution_id, "victim-contacts", body, contact)


@router.post("/variations", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def vary_conditions(
    caution_id: UUID, body: VariationIn, ctx: Police,
) -> JSONResponse:
    """Change the end of the caution period (never beyond the statutory 20 weeks, never before today), with the
    reason."""
    return await run_on_caution(ctx, caution_id, "variations", body, lambda c: c.vary_conditions(
        body.period_ends_on, body.reason, body.authorised_by,
        occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/breach", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def decide_breach(
    caution_id: UUID, body: BreachIn, ctx: Police,
) -> JSONResponse:
    """The police decide the conditions were not met without reasonable excuse. The decision rests on a failure
    (an excuse rejected, or the caution period ended without completion), recorded with it; refused (409) without."""
    return await run_on_caution(ctx, caution_id, "breach", body, lambda c: c.breach(
        body.outcome, body.reason, occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/completion", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def record_completion(
    caution_id: UUID, body: CompletionIn, ctx: PoliceOrProvider,
) -> JSONResponse:
    """Complete the caution; refused, naming what is missing, unless every condition is met."""
    return await run_on_caution(ctx, caution_id, "completion", body, lambda c: c.complete(
        occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/withdrawal", operation_id="withdrawCaution", response_model=CautionPublic, responses=ERRORS,
             openapi_extra=command_docs())
async def withdraw(
    caution_id: UUID, body: WithdrawalIn, ctx: Police,
) -> JSONResponse:
    """Set the caution aside (issued in error, appeal)."""
    return await run_on_caution(ctx, caution_id, "withdrawal", body, lambda c: c.withdraw(
        body.reason, occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/corrections", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def correct_entry(
    caution_id: UUID, body: CorrectionIn, ctx: PoliceOrProvider,
) -> JSONResponse:
    """Correct an earlier entry, or strike it out as recorded in error; the original stays in the record and the
    correction points at it. Once the caution is closed only the police may correct it (409 for a provider)."""
    return await run_on_caution(ctx, caution_id, "corrections", body, lambda c: c.correct(
        body.corrects_entry, body.reason, body.corrected_occurred_at,
        recorded_at=ctx.now(), recorded_by=ctx.recorded_by, recorded_in_error=body.recorded_in_error))
