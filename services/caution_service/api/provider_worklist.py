"""The provider's worklist: what the force's workshop provider must do next, in four lists.

Cautions waiting for first contact (due date, overdue flagged), cautions with a workshop to book (and the last day
its session may be on), the sessions of the next 14 days with their rosters, and sessions still without a register a
day after they ended. Each list is one indexed query over the read models; nothing is loaded from the event store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import problems
from shared.uk_time import uk_date

from ..projections import session_queries, worklist_queries
from .deps import AppDep, ClockDep
from .records import MinPosition
from .records import _caught_up as caught_up  # read-your-writes exactly as the caution reads
from .session_views import Worklist

router = APIRouter(prefix="/v1/provider", tags=["workshop sessions"])

WorklistReader = Annotated[Principal, Depends(allow(Role.PROVIDER, Role.POLICE))]
SOON = timedelta(days=14)
REGISTER_GRACE = timedelta(days=1)


@router.get("/worklist", response_model=Worklist, responses=problems(401, 403, 422, 503))
async def provider_worklist(
    request: Request, principal: WorklistReader, app: AppDep, clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many in each caution list.")] = 200,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Your force's provider worklist as of now (UK day). The police may read it too."""
    await caught_up(request, min_position)
    now = clock()
    today = uk_date(now)
    force, engine = principal.force, app.engine
    first_contact, first_more = await run_in_threadpool(worklist_queries.first_contacts_due, engine, force, today,
                                                        limit)
    booking, booking_more = await run_in_threadpool(worklist_queries.bookings_needed, engine, force, today, limit)
    soon = await run_in_threadpool(session_queries.sessions_between, engine, force, now, now + SOON, "planned")
    overdue = await run_in_threadpool(session_queries.registers_overdue, engine, force, now - REGISTER_GRACE)
    return JSONResponse({"today": today.isoformat(), "first_contact": first_contact, "first_contact_more": first_more,
                         "booking": booking, "booking_more": booking_more, "sessions_soon": soon,
                         "registers_overdue": overdue})
