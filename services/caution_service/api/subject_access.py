"""Subject access (Data Protection Act 2018 s.45): everything the force holds about one offender or one victim, for
the force's subject access officer (the `sar` role) or its admin. What goes in it: subject_access.py."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from shared.auth import Principal, Role
from shared.openapi import problems
from shared.problems import ProblemError

from ..application import CautionApplication
from ..consultations import Seen
from ..domain.values import Person
from ..projections import queries
from ..subject_access import caution_section, export, render_export
from .deps import AppDep, ClockDep, PurposeDep, log_consultation, personal_data_reader
from .record_schemas import SubjectAccessExport
from .records import PDF, _projections_reach_the_store

router = APIRouter(prefix="/v1", tags=["subject access"])
SubjectAccessOfficer = Annotated[Principal, Depends(personal_data_reader(Role.SAR, Role.ADMIN))]


@router.get(
    "/subject-access", operation_id="exportSubjectAccess",
    response_model=SubjectAccessExport,
    responses={
        **problems(400, 401, 403, 422, 503),
        200: {"content": {PDF: {}}, "description": "JSON, or the same export as a PDF"},
    },
)
async def subject_access(
    request: Request,
    principal: SubjectAccessOfficer,
    app: AppDep,
    clock: ClockDep,
    offender_ref: Annotated[str | None, Query(min_length=1, max_length=100,
                                              description="The offender's reference (e.g. PNC id).")] = None,
    victim_ref: Annotated[str | None, Query(min_length=1, max_length=100,
                                            description="The victim's reference.")] = None,
    purpose: PurposeDep = None,
) -> Response:
    """Everything your force holds about one person, by their reference (exactly one of `offender_ref` and
    `victim_ref`), across their cautions and both services: their data only, opened (restricted data included),
    erased data as when and under what law it was erased, and who was shown or given each record. `X-Purpose`
    is required (the request, e.g. its reference). Each caution disclosed is kept in the consultation log.
    Send `Accept: application/pdf` for the PDF."""
    if (offender_ref is None) == (victim_ref is None):
        raise ProblemError(400, "one-subject", "Name one person",
                           "Give exactly one of offender_ref and victim_ref.")
    if not (purpose and purpose.strip()):
        raise ProblemError(400, "purpose-required", "Say why",
                           "Send an X-Purpose header (e.g. the subject access request's reference): every "
                           "disclosure is logged with its reason.")
    person, reference = (Person.OFFENDER, offender_ref) if offender_ref is not None else (Person.VICTIM, victim_ref)
    assert reference is not None
    await _projections_reach_the_store(request)  # a caution issued a moment ago is found too
    body = await run_in_threadpool(_export, request, app, principal, person, reference, purpose, clock())
    if PDF in request.headers.get("accept", ""):
        pdf = await run_in_threadpool(render_export, body)
        await run_in_threadpool(_log, request, principal, body, purpose)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", reference)
        return Response(pdf, media_type=PDF,
                        headers={"Content-Disposition": f'inline; filename="cara-subject-access-{name}.pdf"'})
    await run_in_threadpool(_log, request, principal, body, purpose)
    return JSONResponse(body)


def _export(request: Request, app: CautionApplication, principal: Principal, person: Person, reference: str,
            purpose: str, now: datetime) -> dict[str, Any]:
    engine, force = app.engine, principal.force
    if person is Person.VICTIM and queries.victim_references_missing(engine, force):
        raise ProblemError(503, "read-model-behind", "The read model needs a rebuild",
                           "Some caution summaries predate the victim's reference (migration 0009); rebuild the "
                           "read models, then ask again.", headers={"Retry-After": "60"})
    found = queries.cautions_of_person(engine, force, **{f"{person.value}_reference": reference})
    log = request.app.state.consultations.about(force, found)
    sections = []
    for caution_id in found:
        caution = app.get_caution(UUID(caution_id))
        if caution.force != force:  # the read model is the force's; the record says so too
            continue
        about = [entry for entry in log if entry["caution_id"] == caution_id]
        sections.append(caution_section(caution, app.events.get(caution.id), person, app.personal, about))
    return export(person, reference, force, now, purpose, sections)


def _log(request: Request, principal: Principal, body: dict[str, Any], purpose: str) -> None:
    """Before the answer leaves: one entry per caution disclosed."""
    for section in body["cautions"]:
        log_consultation(request, principal, UUID(section["caution_id"]), Seen.SUBJECT_ACCESS, purpose)
