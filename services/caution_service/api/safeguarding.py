"""Safeguarding and risk on one caution (issue 19): concerns raised and acknowledged, DASH re-assessments and the
police's review after a rise to high, and a scrutiny panel's review of the case.

What the victim said goes no further than the victim contact service: it is sealed under the victim's key whoever
raises the concern, and read back only on `GET .../safeguarding-concerns`, by that role, each read logged with its
reason (DPA 2018 s.62). The police are told that there is a concern, its kind and urgency, and whom to contact.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from shared.auth import Principal, Role
from shared.openapi import problems
from shared.problems import ProblemError

from ..consultations import Seen
from ..disclosure import concern_details, seal_concern_details
from ..domain.caution import Caution
from ..domain.values import ConcernSource
from .commands import ERRORS, Police, run_on_caution
from .deps import (
    AppDep,
    PurposeDep,
    command_context,
    command_docs,
    log_consultation,
    personal_data_reader,
    readable_caution,
)
from .execution import CommandContext
from .schemas import (
    AcknowledgementIn,
    CautionPublic,
    ConcernIn,
    ConcernsRead,
    PanelReviewIn,
    RiskAssessmentIn,
    RiskReviewDecisionIn,
)

router = APIRouter(prefix="/v1/cautions/{caution_id}", tags=["safeguarding"])

ConcernRaiser = Annotated[CommandContext, Depends(command_context(Role.VICTIM_CONTACT, Role.PROVIDER))]
RiskAssessor = Annotated[CommandContext, Depends(command_context(Role.POLICE, Role.VICTIM_CONTACT))]
PanelRecorder = Annotated[CommandContext, Depends(command_context(Role.POLICE, Role.PROVIDER))]
VictimContactReader = Annotated[Principal, Depends(personal_data_reader(Role.VICTIM_CONTACT))]
ConcernEntry = Annotated[int, Path(ge=1, le=100_000, description="The entry that raised the concern.")]


@router.post("/safeguarding-concerns", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def raise_concern(caution_id: UUID, body: ConcernIn, ctx: ConcernRaiser) -> JSONResponse:
    """Raise a safeguarding concern to the force's police, on an open or a closed caution: by the victim contact
    service, or by the provider from a workshop session (naming the session). What was said (`details`) is sealed
    under the victim's key: only the victim contact service reads it. The police must acknowledge it."""
    from_session = ctx.principal.role is Role.PROVIDER
    source = ConcernSource.WORKSHOP_SESSION if from_session else ConcernSource.VICTIM_CONTACT
    keyring = ctx.app.keyring

    def concern(c: Caution) -> None:
        c.raise_safeguarding_concern(
            body.category, body.urgency, source, seal_concern_details(keyring, c, body.details),
            occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by,
            session_id=body.session_id)

    return await run_on_caution(ctx, caution_id, "safeguarding-concerns", body, concern)


@router.post("/safeguarding-concerns/{entry}/acknowledgement", response_model=CautionPublic, responses=ERRORS,
             openapi_extra=command_docs())
async def acknowledge_concern(caution_id: UUID, entry: ConcernEntry, body: AcknowledgementIn,
                              ctx: Police) -> JSONResponse:
    """The police acknowledge the concern raised in entry `entry`, saying what they did (kept from the event
    feed). Refused for an entry that is not a concern (422) or one already acknowledged (409)."""
    return await run_on_caution(ctx, caution_id, f"safeguarding-concerns/{entry}/acknowledgement", body,
                                lambda c: c.acknowledge_safeguarding_concern(
                                    entry, body.action_taken, occurred_at=body.occurred_at, recorded_at=ctx.now(),
                                    recorded_by=ctx.recorded_by))


@router.post("/risk-assessments", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def reassess_risk(caution_id: UUID, body: RiskAssessmentIn, ctx: RiskAssessor) -> JSONResponse:
    """A DASH re-assessment during the caution, with the reason (kept from the event feed). A rise to high asks
    the police to review the caution (`review_caution_after_risk_rise`)."""
    return await run_on_caution(ctx, caution_id, "risk-assessments", body, lambda c: c.reassess_risk(
        body.dash_risk, body.reason, occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/risk-review-decisions", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def decide_risk_review(caution_id: UUID, body: RiskReviewDecisionIn, ctx: Police) -> JSONResponse:
    """The police's review after the victim's risk rose to high: continue, vary or withdraw (the variation or
    withdrawal is then recorded with its own command). Refused (409) when no review is due."""
    return await run_on_caution(ctx, caution_id, "risk-review-decisions", body, lambda c: c.decide_risk_review(
        body.decision, body.reason, occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.post("/panel-reviews", response_model=CautionPublic, responses=ERRORS, openapi_extra=command_docs())
async def record_panel_review(caution_id: UUID, body: PanelReviewIn, ctx: PanelRecorder) -> JSONResponse:
    """The scrutiny panel's review of this one caution, open or closed (POST /v1/scrutiny/reviews records a
    panel's review of many at once)."""
    return await run_on_caution(ctx, caution_id, "panel-reviews", body, lambda c: c.record_panel_review(
        body.panel_id, body.held_on, body.members, body.kind, body.decision, body.actions,
        occurred_at=body.occurred_at, recorded_at=ctx.now(), recorded_by=ctx.recorded_by))


@router.get("/safeguarding-concerns", operation_id="getSafeguardingConcerns", response_model=ConcernsRead,
            responses=problems(400, 401, 403, 404, 422))
def concerns(request: Request, caution_id: UUID, principal: VictimContactReader, app: AppDep,
             purpose: PurposeDep = None) -> JSONResponse:
    """Every safeguarding concern raised on the caution, with what was said: for the victim contact service alone,
    and each read kept in the consultation log with its reason (send `X-Purpose`)."""
    if not (purpose and purpose.strip()):
        raise ProblemError(400, "purpose-required", "Say why you need what was said",
                           "Send an X-Purpose header: every consultation of what the victim said is logged with its "
                           "reason.")
    caution = readable_caution(request, app, caution_id, principal)
    raised: list[Any] = []
    acknowledged: dict[int, str] = {}
    for event in app.events.get(caution_id):
        if isinstance(event, Caution.SafeguardingConcernRaised):
            raised.append(event)
        elif isinstance(event, Caution.SafeguardingConcernAcknowledged):
            acknowledged[event.concern] = event.occurred_at.isoformat()
    body = {"caution_id": str(caution_id), "concerns": [
        {"entry": e.originator_version, "category": e.category.value, "urgency": e.urgency.value,
         "source": e.source.value, "session_id": e.session_id, "raised_at": e.occurred_at.isoformat(),
         "raised_by_role": e.recorded_by.role, "acknowledged_at": acknowledged.get(e.originator_version),
         "struck_out": caution.is_struck(e.originator_version),
         "details": concern_details(e.details_sealed, caution, principal.role, app.personal)}
        for e in raised]}
    log_consultation(request, principal, caution_id, Seen.VICTIM_DETAILS, purpose)
    return JSONResponse(body)
