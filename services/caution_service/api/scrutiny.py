"""The scrutiny panel (issue 19): police and provider review cases together.

`GET /v1/scrutiny/cases` lists the force's cases a panel should see (breach referrals, accepted excuses,
safeguarding concerns, cautions run out of time) and whether a panel has reviewed each; `POST /v1/scrutiny/reviews`
records one panel's review of several cases in one transaction (scrutiny.py); `GET /v1/scrutiny/reviews` lists the
panels held. Every list is the caller's force's; none holds personal data (cautions by id and police reference, a
panel's members only as a count), so these reads are not consultations of anyone's data.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import problems
from shared.problems import ProblemError
from shared.timeformats import IsoDate

from ..idempotency import Receipt, StoredResponse, fingerprint_of
from ..projections import panel_queries
from ..projections.queries import BadCursor
from ..scrutiny import PanelCase, Reviewed, ScrutinyCommands
from .deps import command_context, command_docs
from .execution import CommandContext, to_response
from .records import MinPosition
from .records import _caught_up as caught_up  # read-your-writes exactly as the caution reads
from .schemas import Line, Ref, Strict, Text, example

router = APIRouter(prefix="/v1/scrutiny", tags=["scrutiny panel"])

ERRORS = problems(400, 401, 403, 404, 409, 413, 422)
PanelReader = Annotated[Principal, Depends(allow(Role.POLICE, Role.PROVIDER))]
PanelRecorder = Annotated[CommandContext, Depends(command_context(Role.POLICE, Role.PROVIDER, versioned=False))]
Kind = Literal["breach_referral", "accepted_excuse", "safeguarding_concern", "out_of_time"]
MAX_CASES = 100  # a quarter's cases for a force's panel
MAX_MEMBERS = 30


class PanelCaseIn(Strict):
    caution_id: UUID
    kind: Kind = Field(description="Which of the caution's cases the panel reviewed.")
    decision: Text = Field(description="What the panel decided about the case.")
    actions: list[Line] = Field(default_factory=list, max_length=20, description="What is to be done, if anything.")


class PanelReviewIn(Strict):
    """One panel's review: the day it sat, its members by reference (no names), and each case it reviewed."""

    model_config = example(held_on="2026-04-20", members=["PC-4412", "RP-FAC-0012", "PCC-OBS-3"], cases=[
        {"caution_id": "6f1c2f0e-3c1b-4d7e-9b1a-2f0c9e5d4a10", "kind": "breach_referral",
         "decision": "Referral was proportionate; the excuse gave no reason outside the offender's control",
         "actions": ["Remind officers to record the contact attempts before referral"]}])

    held_on: IsoDate = Field(description="The UK day the panel sat: today or earlier.")
    members: list[Ref] = Field(min_length=1, max_length=MAX_MEMBERS, description="Who sat, by reference.")
    cases: list[PanelCaseIn] = Field(min_length=1, max_length=MAX_CASES)


class ReviewedCaseOut(BaseModel):
    caution_id: str
    kind: Kind
    decision: str
    actions: list[str]


class PanelReviewOut(BaseModel):
    panel_id: str
    held_on: str
    members: int = Field(description="How many sat on the panel.")
    cases: list[ReviewedCaseOut]
    position: int | None = Field(description="The store position of the review: pass as `min_position` to read it.")


class PanelCaseView(BaseModel):
    caution_id: str
    entry: int = Field(description="The case's entry number in the caution's record.")
    police_reference: str
    kind: Kind
    happened_on: str = Field(description="The UK day of the case.")
    reviewed: bool
    reviewed_panel_id: str | None
    reviewed_on: str | None
    position: int


class PanelCasePage(BaseModel):
    items: list[PanelCaseView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PanelHeldCase(BaseModel):
    caution_id: str
    entry: int
    police_reference: str
    kind: Kind
    happened_on: str


class PanelView(BaseModel):
    panel_id: str
    held_on: str
    members: int
    cases: list[PanelHeldCase]


class PanelPage(BaseModel):
    items: list[PanelView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


def _days(day_from: Any, day_to: Any) -> None:
    if day_from is not None and day_to is not None and day_to < day_from:
        raise ProblemError(422, "validation-failed", "The request is not valid", "`to` is before `from`.",
                           errors=[{"rule": "to:before_from", "message": "`to` is before `from`."}])


def _link(request: Request, next_cursor: str | None) -> dict[str, str]:
    return {"Link": f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'} if next_cursor else {}


@router.get("/cases", response_model=PanelCasePage, responses=problems(400, 401, 403, 422, 503))
async def list_cases(
    request: Request,
    principal: PanelReader,
    day_from: Annotated[IsoDate | None, Query(alias="from", description="First UK day (included).")] = None,
    day_to: Annotated[IsoDate | None, Query(alias="to", description="Last UK day (included).")] = None,
    kind: Kind | None = None,
    reviewed: Annotated[bool | None, Query(description="Only cases a panel has (true) or has not (false) "
                                                       "reviewed.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Your force's cases for the scrutiny panel, earliest day first: breach referrals (excuses rejected), accepted
    excuses, safeguarding concerns and cautions whose period ended unmet, each with the panel that reviewed it, if
    any; cursor-paged (`next_cursor`, `Link: rel="next"`)."""
    _days(day_from, day_to)
    await caught_up(request, min_position)
    f = panel_queries.CaseFilter(principal.force, day_from, day_to, kind, reviewed)
    engine = request.app.state.cautions.engine
    try:
        items, next_cursor = await run_in_threadpool(panel_queries.list_cases, engine, f, limit, cursor)
    except BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=_link(request, next_cursor))


@router.get("/reviews", response_model=PanelPage, responses=problems(400, 401, 403, 422, 503))
async def list_reviews(
    request: Request,
    principal: PanelReader,
    day_from: Annotated[IsoDate | None, Query(alias="from", description="First UK day (included).")] = None,
    day_to: Annotated[IsoDate | None, Query(alias="to", description="Last UK day (included).")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """The panels that reviewed your force's cases, earliest first: the day each sat, how many sat, and the cases
    it reviewed; cursor-paged."""
    _days(day_from, day_to)
    await caught_up(request, min_position)
    engine = request.app.state.cautions.engine
    try:
        items, next_cursor = await run_in_threadpool(panel_queries.list_panels, engine, principal.force, day_from,
                                                     day_to, limit, cursor)
    except BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=_link(request, next_cursor))


def _answer(reviewed: Reviewed) -> StoredResponse:
    review = reviewed.review
    body = {"panel_id": review.panel_id, "held_on": review.held_on.isoformat(), "members": len(review.members),
            "cases": [{"caution_id": str(case.caution_id), "kind": case.kind, "decision": case.decision,
                       "actions": list(case.actions)} for case in review.cases],
            "position": None}  # filled in once saved
    return StoredResponse(201, body, {})


@router.post("/reviews", status_code=201, response_model=PanelReviewOut, responses=ERRORS,
             openapi_extra=command_docs(versioned=False))
def record_review(body: PanelReviewIn, ctx: PanelRecorder, request: Request) -> JSONResponse:
    """Record a scrutiny panel's review (police or provider): a CaseReviewedByPanel on each caution named, all in
    one transaction, under one new panel id. Another force's caution is 404; a kind of case the caution's record
    does not hold is refused (422 `not_a_case_for_the_panel`), as is a panel held after today (422
    `panel_not_yet_held`). The review is recorded at the request's time when the panel sat today, else at the end
    of its day."""
    receipt = None
    if ctx.idempotency_key is not None:
        print_ = fingerprint_of("POST", "/v1/scrutiny/reviews", body.model_dump(mode="json"))
        receipt = Receipt(ctx.caller, ctx.idempotency_key, print_,
                          lambda reviewed, position: _answer(reviewed).at_position(position))
    commands = ScrutinyCommands(request.app.state.cautions)  # it keeps nothing between requests
    cases = [PanelCase(case.caution_id, case.kind, case.decision, list(case.actions)) for case in body.cases]
    outcome = commands.record_review(ctx.principal.force, body.held_on, list(body.members), cases, ctx.recorded_by,
                                     ctx.now(), receipt, _answer)
    return to_response(outcome.response, outcome.replayed)
