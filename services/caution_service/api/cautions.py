"""Issuing a caution and reading one (now, or as the record stood at a past time)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from shared.auth import Principal, Role
from shared.json_response import FastJSONResponse
from shared.openapi import ETAG, problems
from shared.problems import ProblemError
from shared.timeformats import DayOrMoment
from shared.uk_time import uk_date

from .. import time_axes
from ..consultations import Seen
from ..disclosure import Field, identity_json
from ..domain.caution import Caution
from ..domain.eligibility import previous_cara_cautions, with_previous_cautions
from ..domain.errors import NotEligible
from ..domain.values import (
    Gender,
    IssuingOfficer,
    Offence,
    Offender,
    OffenderIdentity,
    OffendingHistory,
    Victim,
)
from ..references import DuplicatePoliceReference
from ..time_axes import Axes
from .deps import (
    AppDep,
    ClockDep,
    PurposeDep,
    command_context,
    command_docs,
    log_consultation,
    personal_data_reader,
    readable_caution,
)
from .execution import CommandContext, etag, execute
from .record_schemas import CautionAsAsked, CautionNotThen
from .schemas import CautionCreate, CautionPublic
from .views import caution_public, disclosed

router = APIRouter(prefix="/v1/cautions", tags=["cautions"])

IssuerDep = Annotated[CommandContext, Depends(command_context(Role.POLICE, versioned=False))]
# Admin (the force's data protection decisions): the caution's state, version and each person's data state, to
# decide an erasure or restriction; disclosure.SEEN_BY opens nothing personal to it.
ReaderDep = Annotated[Principal, Depends(
    personal_data_reader(Role.POLICE, Role.PROVIDER, Role.COURT, Role.VICTIM_CONTACT, Role.ADMIN))]


def _new_caution(body: CautionCreate, ctx: CommandContext) -> Caution:
    """Each person gets a data key of their own; what identifies them is sealed under it before the event exists.

    Refused before anything is sealed or written when the force already holds the police reference (409), and
    with every failed eligibility rule when the offender has a CARA caution here within the look-back period
    (422): one indexed query (references.py). The write checks both again, where racing requests meet."""
    app, force, keyring = ctx.app, ctx.principal.force, ctx.app.keyring
    known = app.references.known_for(force, body.police_reference, body.offender.reference)
    if known.holder is not None:
        raise DuplicatePoliceReference(known.holder)
    found = previous_cara_cautions(uk_date(body.occurred_at), known.offender_cautions)
    try:
        caution = _issued(body, ctx)
    except NotEligible as e:
        raise NotEligible(with_previous_cautions(e.failures, found)) from None
    if found:
        keyring.discard_prepared([caution.offender_key, caution.victim_key])
        raise NotEligible(with_previous_cautions([], found))
    return caution


def _issued(body: CautionCreate, ctx: CommandContext) -> Caution:
    app, force, keyring = ctx.app, ctx.principal.force, ctx.app.keyring
    o, off, h, v, i = body.offender, body.offence, body.history, body.victim, body.issuing_officer
    offender_key, victim_key = keyring.prepare_key(), keyring.prepare_key()
    identity = OffenderIdentity(o.name, o.date_of_birth, Gender(o.gender))
    details = v.contact_details.model_dump(exclude_none=True) if v.contact_details else None
    try:
        return Caution.issue(
            police_reference=body.police_reference,
            force=force,
            legal_basis=body.legal_basis,
            offender=Offender(o.reference, keyring.seal(offender_key, identity_json(identity))),
            identity=identity,
            offence=Offence(off.category, off.committed_on, keyring.seal(offender_key, off.description),
                            off.relationship, off.admitted, off.evidence_sufficient_to_charge, off.charge_decision_by),
            history=OffendingHistory(h.last_domestic_abuse_disposal_on, h.serving_community_sentence),
            victim=Victim(v.reference, v.dash_risk, v.consulted, v.agrees),
            issuing_officer=IssuingOfficer(i.id, i.name, i.rank, i.authorised_person),
            conditions=app.conditions_for(force),
            victim_details_sealed=keyring.seal(victim_key, details) if details else None,
            offender_key=offender_key,
            victim_key=victim_key,
            occurred_at=body.occurred_at,
            recorded_at=ctx.now(),
            recorded_by=ctx.recorded_by,
        )
    except BaseException:
        keyring.discard_prepared([offender_key, victim_key])  # refused: nothing sealed under them is recorded
        raise


@router.post(
    "", status_code=201, response_model=CautionPublic,
    responses=problems(400, 401, 403, 409, 413, 422), openapi_extra=command_docs(versioned=False),
)
async def issue_caution(body: CautionCreate, ctx: IssuerDep) -> JSONResponse:
    """Issue a caution; every eligibility rule is checked and each failure is named. A police reference the force
    already holds is refused (409 `duplicate-police-reference`, naming that caution), unless the request is an
    Idempotency-Key replay of the one that issued it, which replays its 201."""
    return await execute(ctx, ("POST", "/v1/cautions"), body, make=lambda: _new_caution(body, ctx), created=True)


@router.get("/{caution_id}", response_model=CautionAsAsked | CautionNotThen,
            responses={**problems(400, 401, 403, 404, 422), 200: {
                "headers": {"ETag": {**ETAG, "description": f"{ETAG['description']} (for `as_of`/`on`, the "
                                                          "record's version the answer was read from); absent "
                                                          "when `exists` is false"}},
                "description": "The caution; or, `as_of`/`on` a moment before it existed, a body saying so "
                               "(`exists` false)."}})
def get_caution(
    request: Request,
    caution_id: UUID,
    principal: ReaderDep,
    app: AppDep,
    clock: ClockDep,
    purpose: PurposeDep = None,
    as_of: Annotated[DayOrMoment | None, Query(description=(
        "Show the record as it stood at this time (a date, YYYY-MM-DD, means the end of that UK day).")
    )] = None,
    on: Annotated[DayOrMoment | None, Query(description=(
        "Show the caution's state from what had happened by this time, as the record knows it now (entries "
        "recorded later included); a date means the end of that UK day.")
    )] = None,
) -> JSONResponse:
    """The caution's current state, or its state as recorded at `as_of` and/or as it stood `on` a date, with the
    personal data the caller's role may see (each such read is kept in the consultation log, DPA 2018 s.62, and so
    is each one refused, or answered 404). The victim contact role's reads of the victim's contact details need a
    reason (`X-Purpose`).

    Asked about a moment before the caution existed (issued after `on`, or not yet recorded at `as_of`), the answer
    is 200 with `exists` false and a statement saying so; an unknown caution, or another force's, is 404."""
    axes = Axes.given(as_of, on)
    current = readable_caution(request, app, caution_id, principal)
    now = clock()
    then = time_axes.Then(current, current.version)
    if axes.any:
        events = list(app.events.get(caution_id))
        then = time_axes.caution_then(events, current, axes, lambda v: app.repository.get(caution_id, version=v))
    caution, head = then.caution, then.head
    if caution is None:
        not_then = {"id": str(caution_id), "exists": False, "statement": then.statement,
                    "as_of": axes.as_of.moment.isoformat() if axes.as_of else None,
                    "on": axes.on.moment.isoformat() if axes.on else None}
        return FastJSONResponse(not_then)  # no version of the caution to name
    today = axes.today(now)
    shown = disclosed(caution, principal.role)
    shows_details = Field.VICTIM_DETAILS in shown and caution.victim_details_sealed is not None
    if shows_details and not (purpose and purpose.strip()):
        raise ProblemError(400, "purpose-required", "Say why you need the victim's contact details",
                           "Send an X-Purpose header: every consultation of the victim's contact details is logged "
                           "with its reason.")
    body = caution_public(caution, principal.role, today, app.personal)
    detail = axes.detail()  # a past state is personal data all the same
    if shows_details:
        log_consultation(request, principal, caution_id, Seen.VICTIM_DETAILS, purpose, detail)
    if any(field is not Field.VICTIM_DETAILS for field in shown):
        log_consultation(request, principal, caution_id, Seen.PERSONAL_DATA, purpose, detail)
    if axes.as_of:
        body["as_of"] = axes.as_of.moment.isoformat()
    if axes.on:
        body["on"] = axes.on.moment.isoformat()
    return FastJSONResponse(body, headers={"ETag": etag(head)})
