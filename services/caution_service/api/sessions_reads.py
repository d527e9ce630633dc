"""Reading workshop sessions: the force's sessions in time order, and one session with its roster.

Sessions are the force's like its cautions: another force's session is 404, never listed. They hold no personal data
(cautions by id, police reference and status only), so these reads are not consultations of anyone's data.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import ETAG, problems
from shared.problems import ProblemError
from shared.timeformats import IsoDate

from ..projections import session_queries
from ..projections.queries import BadCursor
from .deps import AppDep
from .execution import etag
from .records import MinPosition
from .records import _caught_up as caught_up  # read-your-writes exactly as the caution reads
from .session_views import SessionPage, SessionWithRoster

router = APIRouter(prefix="/v1/workshop-sessions", tags=["workshop sessions"])

SessionReader = Annotated[Principal, Depends(allow(Role.POLICE, Role.PROVIDER))]
SessionStatus = Literal["planned", "held", "cancelled"]


@router.get("", response_model=SessionPage, responses=problems(400, 401, 403, 422, 503))
async def list_sessions(
    request: Request,
    principal: SessionReader,
    app: AppDep,
    starts_from: Annotated[IsoDate | None, Query(alias="from", description="First UK day (included).")] = None,
    starts_to: Annotated[IsoDate | None, Query(alias="to", description="Last UK day (included).")] = None,
    venue_id: Annotated[str | None, Query(max_length=36)] = None,
    workshop: Literal["A", "B"] | None = None,
    status: SessionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Your force's workshop sessions, earliest first (then by id), filtered by the UK days they start on, venue,
    workshop and status; cursor-paged (`next_cursor`, `Link: rel="next"`)."""
    if starts_from is not None and starts_to is not None and starts_to < starts_from:
        raise ProblemError(422, "validation-failed", "The request is not valid", "`to` is before `from`.",
                           errors=[{"rule": "to:before_from", "message": "`to` is before `from`."}])
    await caught_up(request, min_position)
    f = session_queries.SessionFilter(principal.force, starts_from, starts_to, venue_id, workshop, status)
    try:
        items, next_cursor = await run_in_threadpool(session_queries.list_sessions, app.engine, f, limit, cursor)
    except BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=headers)


@router.get("/{session_id}", response_model=SessionWithRoster,
            responses={**problems(401, 403, 404, 422, 503), 200: {"headers": {"ETag": ETAG}}})
async def get_session(
    request: Request, session_id: UUID, principal: SessionReader, app: AppDep, min_position: MinPosition = None,
) -> JSONResponse:
    """The session, its bookings and register, and its roster: each caution's police reference, current status and
    register outcome. The ETag is the session's version (for the commands' `If-Match`)."""
    await caught_up(request, min_position)
    found = await run_in_threadpool(session_queries.find_session, app.engine, principal.force, str(session_id))
    if found is None:
        raise ProblemError(404, "not-found", "No such workshop session", "No workshop session with that id in your "
                                                                          "force.")
    return JSONResponse(found, headers={"ETag": etag(found["version"])})
