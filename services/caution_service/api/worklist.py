"""GET /v1/worklist: what the caller's role must do next in its force, one item per required action, soonest due
first; an item goes when its action is recorded (its caution's next event replaces its rows).

The police, the provider and the victim contact service each see their own role's actions only. An item names
the caution by id and police reference, the action and its due date, and for a safeguarding concern to acknowledge
its entry, urgency and category (what the police are told of any concern, never what was said): no offender's
name, nothing about the victim (the victim contact service reads those on the caution itself, where each read is
logged). So reading a worklist is not a consultation of anyone's personal data.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import problems
from shared.problems import ProblemError
from shared.timeformats import IsoDate
from shared.uk_time import uk_date

from ..domain.values import ConcernUrgency, SafeguardingCategory
from ..projections import worklist
from .deps import AppDep, ClockDep
from .records import MinPosition
from .records import _caught_up as caught_up  # read-your-writes exactly as the caution reads

router = APIRouter(prefix="/v1", tags=["records"])

WorklistReader = Annotated[Principal, Depends(allow(Role.POLICE, Role.PROVIDER, Role.VICTIM_CONTACT))]


class WorklistConcern(BaseModel):
    """The safeguarding concern to acknowledge: what the police are told of it (never what was said, which is for
    the victim contact service alone)."""

    entry: int = Field(description="The entry that raised it: the concern's id, as in "
                                   "`POST /v1/cautions/{caution_id}/safeguarding-concerns/{entry}/acknowledgement`.")
    urgency: ConcernUrgency = Field(description="How urgent it is: an urgent concern comes first among the "
                                                "actions due on its day.")
    category: SafeguardingCategory = Field(description="What it is about.")


class WorklistItem(BaseModel):
    caution_id: str
    police_reference: str
    action: str = Field(description="What must be done, as the caution's `required_actions` name it.")
    due_on: date | None = Field(description="The UK day it is due by; null when the action has no due date "
                                            "(listed after every dated one).")
    overdue: bool = Field(description="Due before today (UK day): your role's action is late.")
    concern: WorklistConcern | None = Field(description=(
        "For `acknowledge_safeguarding_concern`: which concern, and its urgency and category. Null for every other "
        "action (and, until the worklist is rebuilt after migration 0021, for a concern projected before it)."))


class WorklistPage(BaseModel):
    today: date = Field(description="The UK day the worklist is for.")
    items: list[WorklistItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("/worklist", response_model=WorklistPage, responses=problems(400, 401, 403, 422, 503))
async def get_worklist(
    request: Request,
    principal: WorklistReader,
    app: AppDep,
    clock: ClockDep,
    action: Annotated[str | None, Query(max_length=64, description="Only this action.")] = None,
    due_before: Annotated[IsoDate | None, Query(description="Only actions due before this UK day.")] = None,
    overdue: Annotated[bool | None, Query(description="true: only your late actions; false: only the others "
                                                      "(those with no due date included).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Your role's outstanding actions in your force today, soonest due first (an urgent safeguarding concern
    first among those due on the same day), then by caution; cursor-paged (`next_cursor`, `Link: rel="next"`). An
    action recorded leaves the list once the read model has its event (send the write's `position` as
    `min_position` to wait for it)."""
    await caught_up(request, min_position)
    today = uk_date(clock())
    f = worklist.WorklistFilter(principal.force, principal.role.value, action, due_before, overdue)
    try:
        items, next_cursor = await run_in_threadpool(worklist.worklist_page, app.engine, f, today, limit, cursor)
    except worklist.BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    return JSONResponse({"today": today.isoformat(), "items": items, "next_cursor": next_cursor}, headers=headers)
