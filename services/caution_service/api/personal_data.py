"""The data protection commands on one person's data in a caution: erasure, restriction, rectification.

Each is an event in the caution's record, with its reason and the law it is made under, so the court
sees every step: an erasure says "erased on <date> under <basis>" where the data was (Data Protection
Act 2018 Part 3: s.46 rectification, s.47 erasure and restriction).

Erasure and restriction are the force's data protection decisions (the admin role). Rectification is
made by whoever holds the relationship with the person: the police for the offender, the victim
contact service for the victim (and admin for either).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from shared.auth import Role

from ..domain.caution import Caution
from ..domain.values import Person
from .commands import ERRORS, run_on_caution
from .deps import command_context, command_docs
from .execution import CommandContext
from .schemas import (
    CautionPublic,
    ErasureIn,
    LiftingIn,
    OffenderRectificationIn,
    RestrictionIn,
    VictimRectificationIn,
)

router = APIRouter(prefix="/v1/cautions/{caution_id}/personal-data", tags=["personal data"])

Admin = Annotated[CommandContext, Depends(command_context(Role.ADMIN))]
OffenderRectifier = Annotated[CommandContext, Depends(command_context(Role.POLICE, Role.ADMIN))]
VictimRectifier = Annotated[CommandContext, Depends(command_context(Role.VICTIM_CONTACT, Role.ADMIN))]
PersonPath = Annotated[Person, Path(description="offender or victim")]


@router.post("/{person}/erasure", operation_id="erasePersonalData", response_model=CautionPublic, responses=ERRORS,
             openapi_extra=command_docs())
async def erase(caution_id: UUID, person: PersonPath, body: ErasureIn, ctx: Admin) -> JSONResponse:
    """Erase the person's data in this caution: their data key is destroyed as the erasure is recorded. The record
    keeps every entry (its sealed bytes, so the integrity chain still verifies) and shows the erasure in its place."""
    return await run_on_caution(ctx, caution_id, f"personal-data/{person.value}/erasure", body,
                                lambda c: c.erase_personal_data(person, body.reason, body.legal_basis,
                                                                recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/{person}/restriction", operation_id="restrictProcessing", response_model=CautionPublic,
             responses=ERRORS, openapi_extra=command_docs())
async def restrict(caution_id: UUID, person: PersonPath, body: RestrictionIn, ctx: Admin) -> JSONResponse:
    """Restrict processing of the person's data: kept, but shown to no role until the restriction is lifted."""
    return await run_on_caution(ctx, caution_id, f"personal-data/{person.value}/restriction", body,
                      lambda c: c.restrict_processing(person, body.reason, body.legal_basis,
                                                      recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/{person}/restriction-lifting", response_model=CautionPublic, responses=ERRORS,
             openapi_extra=command_docs())
async def lift_restriction(caution_id: UUID, person: PersonPath, body: LiftingIn, ctx: Admin) -> JSONResponse:
    """Lift a restriction: the person's data is shown again to the roles that may see it."""
    return await run_on_caution(ctx, caution_id, f"personal-data/{person.value}/restriction-lifting", body,
                      lambda c: c.lift_restriction(person, body.reason, recorded_at=ctx.now(),
                                                   recorded_by=ctx.recorded_by))


@router.post("/offender/rectification", operation_id="rectifyOffenderData", response_model=CautionPublic,
             responses=ERRORS, openapi_extra=command_docs())
async def rectify_offender(caution_id: UUID, body: OffenderRectificationIn, ctx: OffenderRectifier) -> JSONResponse:
    """Correct the offender's name, date of birth or gender; the correction is sealed under their key, and the
    record keeps what it replaced (sealed) with the reason."""
    given = body.model_dump(mode="json", exclude_none=True, exclude={"reason"})  # as identity_json writes them
    personal, keyring = ctx.app.personal, ctx.app.keyring

    def rectify(c: Caution) -> None:
        c.require_not_erased(Person.OFFENDER)
        corrected = {**(personal.offender_identity(c) or {}), **given}
        c.rectify_personal_data(Person.OFFENDER, list(given), keyring.seal(c.offender_key, corrected), body.reason,
                                recorded_at=ctx.now(), recorded_by=ctx.recorded_by)

    return await run_on_caution(ctx, caution_id, "personal-data/offender/rectification", body, rectify)


@router.post("/victim/rectification", operation_id="rectifyVictimData", response_model=CautionPublic,
             responses=ERRORS, openapi_extra=command_docs())
async def rectify_victim(caution_id: UUID, body: VictimRectificationIn, ctx: VictimRectifier) -> JSONResponse:
    """Replace the victim's contact details with the corrected ones, sealed under the victim's key."""
    details = body.contact_details.model_dump(exclude_none=True)

    def rectify(c: Caution) -> None:
        c.require_not_erased(Person.VICTIM)
        sealed = ctx.app.keyring.seal(c.victim_key, details)
        c.rectify_personal_data(Person.VICTIM, ["contact_details"], sealed, body.reason,
                                recorded_at=ctx.now(), recorded_by=ctx.recorded_by)

    return await run_on_caution(ctx, caution_id, "personal-data/victim/rectification", body, rectify)

