"""Reading the consultation log: an admin of a force sees who consulted or was given what, and why."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import problems
from shared.problems import ProblemError

from ..consultations import BadCursor
from .record_schemas import ConsultationChainCheck, ConsultationPage

router = APIRouter(prefix="/v1", tags=["consultation log"])
Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]


@router.get("/consultations", operation_id="listConsultations", response_model=ConsultationPage,
            responses=problems(400, 401, 403, 422))
async def consultations(
    request: Request,
    principal: Admin,
    caution_id: Annotated[UUID | None, Query(description="Only this caution's.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> JSONResponse:
    """Your force's log of reads of personal data (consultations), of records given out (disclosures) and of reads
    refused, newest first."""
    try:
        items, next_cursor = await run_in_threadpool(
            request.app.state.consultations.page, principal.force, caution_id, limit, cursor)
    except BadCursor:
        raise ProblemError(400, "bad-cursor", "Unknown cursor",
                           "The cursor is not one this service gave out.") from None
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=headers)


@router.get("/consultations/verification", response_model=ConsultationChainCheck, responses=problems(401, 403))
async def verify_consultations(request: Request, principal: Admin) -> JSONResponse:
    """Recompute your force's log chain: intact, or the first entry altered, removed or added behind the service."""
    check = await run_in_threadpool(request.app.state.consultations.verify, principal.force)
    return JSONResponse({"force": principal.force, "intact": check.intact, "entries_checked": check.entries_checked,
                         "digest": check.digest, "first_broken_id": check.first_broken_id, "problem": check.problem})
