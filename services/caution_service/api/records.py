"""The read side: lists and filters, the court's compliance history (JSON or PDF), verification, statistics."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.forces import force_name
from shared.openapi import problems
from shared.problems import ProblemError
from shared.timeformats import DayOrMoment, IsoDate
from shared.uk_time import uk_date

from .. import time_axes
from ..application import CautionApplication
from ..certificate import render_certificate
from ..consultations import Seen
from ..disclosure import data_state, entry_note
from ..domain.caution import Caution
from ..domain.errors import require_same_force
from ..domain.values import Person
from ..domain.verdict import verdict
from ..projections import queries
from ..projections.compliance import Verification, entry_view, link_corrections, verify
from ..projections.entries import GENESIS
from ..projections.projector import REBUILDING, Projector
from ..signing import sign_pdf, signer_for, subject_name
from ..time_axes import Axes
from .deps import AppDep, ClockDep, PurposeDep, log_consultation, log_denied, personal_data_reader, readable_caution
from .record_schemas import CautionPage, ComplianceHistory, OffenderSearch, Statistics, VerificationReport
from .views import caution_public

router = APIRouter(prefix="/v1", tags=["records"])

# The routes that show personal data log every refusal (deps.personal_data_reader); the others show none: the
# verification (hashes and counts) and the statistics (counts per month).
# Admin lists too (finding a caution by its police reference for a data protection decision); it sees no names.
Lister = Annotated[Principal, Depends(personal_data_reader(Role.POLICE, Role.PROVIDER, Role.COURT, Role.ADMIN))]
# A search by name is for the roles that see who the offender is.
Searcher = Annotated[Principal, Depends(personal_data_reader(Role.POLICE, Role.PROVIDER, Role.COURT))]
Discloser = Annotated[Principal, Depends(personal_data_reader(Role.COURT, Role.POLICE))]
CourtOrPolice = Annotated[Principal, Depends(allow(Role.COURT, Role.POLICE))]
StatsReader = Annotated[Principal, Depends(allow(Role.POLICE, Role.ADMIN))]
MinPosition = Annotated[int | None, Query(
    ge=0,
    description=("Wait (briefly) until the read model has reached this feed position: "
                 "send the `position` your write returned."),
)]
Status = Literal[
    "active", "excuse_decision_pending", "breach_referred", "deadline_passed", "completed", "breached", "withdrawn"
]
PDF = "application/pdf"
WAIT_SECONDS = 5.0
_Hidden = Annotated[str | None, Query(include_in_schema=False)]


async def _no_names_in_url(
    name: _Hidden = None, date_of_birth: _Hidden = None, offender_name: _Hidden = None,
    offender_date_of_birth: _Hidden = None,
) -> None:
    """Personal data a caller might try to put in the list's query string: refused, never used, with the way to
    search instead (see `search_cautions`). Declared, so the check of unknown parameters leaves them to this one."""
    if any(v is not None for v in (name, date_of_birth, offender_name, offender_date_of_birth)):
        raise ProblemError(400, "search-by-post", "Search by name with POST /v1/cautions/search",
                           "Names and dates of birth are not taken in a URL (proxies and browsers log URLs): send "
                           "them in the body of POST /v1/cautions/search.")


async def _caught_up(request: Request, min_position: int | None) -> None:
    """Read-your-writes: wait for the projections to reach the caller's write, or say they have not.

    The wait is on the event loop (position_watch.py): a thread held here is one fewer for every other read."""
    if min_position is None:
        return
    projector = request.app.state.projector
    head, reached = await run_in_threadpool(_head_and_projected, projector)
    if min_position > head:
        raise ProblemError(422, "unknown-position", "No write has that position",
                           "min_position must be a position a write returned.")
    if reached >= min_position:
        return
    projector.wakeup.set()
    if not await request.app.state.projected.wait_past(min_position - 1, WAIT_SECONDS):
        reached = await run_in_threadpool(projector.position)
        detail = ("The read models are being rebuilt; retry shortly." if reached == REBUILDING
                  else f"It has reached position {reached}; retry shortly.")
        raise ProblemError(503, "read-model-behind", "The read model has not caught up yet", detail,
                           headers={"Retry-After": "1"})


async def _projections_reach_the_store(request: Request, seconds: float = 2.0) -> None:
    """Waits (at most `seconds`) until the projections have caught up with everything recorded so far."""
    projector = request.app.state.projector
    target, reached = await run_in_threadpool(_head_and_projected, projector)
    if reached < target:
        projector.wakeup.set()
        await request.app.state.projected.wait_past(target - 1, seconds)


def _head_and_projected(projector: Projector) -> tuple[int, int]:
    """The store's head and the read models' position, read in one trip to the thread pool."""
    return projector.app.recorder.max_notification_id() or 0, projector.position()


@router.get("/cautions", response_model=CautionPage, responses=problems(400, 401, 403, 422, 503),
            dependencies=[Depends(_no_names_in_url)])
async def list_cautions(
    request: Request,
    principal: Lister,
    app: AppDep,
    clock: ClockDep,
    status: Status | None = None,
    force: Annotated[str | None, Query(max_length=64, description="Only your own force can be listed.")] = None,
    overdue: bool | None = None,
    due_before: IsoDate | None = None,
    offender_ref: Annotated[str | None, Query(max_length=100)] = None,
    police_reference: Annotated[str | None, Query(
        max_length=100, description="The police reference of one caution (a court liaison officer's lookup).")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
    purpose: PurposeDep = None,
) -> JSONResponse:
    """Cautions of your force, newest first, filtered; cursor-paged (`next_cursor`, `Link: rel="next"`).

    To find cautions by the offender's name and date of birth, POST them to /v1/cautions/search: a name
    here would be ignored by the filters, so it is refused (400) rather than answered with the whole force.

    Each list answered is kept in the consultation log (one entry, naming the filters used, never their values),
    and so is each one refused."""
    if force is not None and force != principal.force:
        await run_in_threadpool(log_denied, request, principal, 403, "forbidden")
        raise ProblemError(403, "forbidden", "Not allowed for this force",
                           "You can list only your own force's cautions.")
    await _caught_up(request, min_position)
    f = queries.CautionFilter(principal.force, status, overdue, due_before, offender_ref, police_reference)
    try:
        items, next_cursor = await run_in_threadpool(
            queries.list_summaries, app.engine, f, clock().date(), limit, cursor)
    except queries.BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    # Offender references are pseudonymous, but they are people's, and a list filtered by one says whether that
    # person has cautions: a consultation, one entry per page, caution "*". The filter's names are kept, never its
    # values (an offender reference looked up would put the person in the log).
    used = {"status": status, "force": force, "overdue": overdue, "due_before": due_before,
            "offender_ref": offender_ref, "police_reference": police_reference, "cursor": cursor}
    filters = ",".join(name for name, value in used.items() if value is not None)
    await run_in_threadpool(log_consultation, request, principal, "*", Seen.CAUTION_LIST, purpose,
                            f"filters={filters}" if filters else None)
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=headers)


@router.post("/cautions/search", response_model=CautionPage, responses=problems(400, 401, 403, 422, 503))
async def search_cautions(
    request: Request,
    body: OffenderSearch,
    principal: Searcher,
    app: AppDep,
    clock: ClockDep,
    min_position: MinPosition = None,
    purpose: PurposeDep = None,
) -> JSONResponse:
    """Your force's cautions whose offender has this name and date of birth, newest first, as the list gives them.

    The name and date of birth go in the body, never in a URL: a query string is written to proxy, gateway and
    browser logs, which keep personal data out of anyone's control (so there is no GET form). The service holds no
    name in clear to compare with: it compares keyed terms of the normalised name and date of birth (a blind index),
    which an erasure or restriction of the offender's data removes. Each caution found is kept in the consultation
    log (DPA 2018 s.62), with the `X-Purpose` given. Page with `cursor` in the body (there is no `Link` header)."""
    await _caught_up(request, min_position)
    terms = app.search_index.search_terms(body.name, body.date_of_birth, body.match)
    if not terms:
        raise ProblemError(422, "unsearchable-name", "The name has no letters or digits",
                           "Give the offender's name as it is written.")
    f = queries.CautionFilter(principal.force, search_terms=tuple(terms))
    try:
        items, next_cursor = await run_in_threadpool(
            queries.list_summaries, app.engine, f, clock().date(), body.limit, body.cursor)
    except queries.BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    if items:
        await run_in_threadpool(_log_found, request, principal, items, purpose)
    return JSONResponse({"items": items, "next_cursor": next_cursor})


def _log_found(request: Request, principal: Principal, items: list[dict[str, Any]], purpose: str | None) -> None:
    for item in items:
        log_consultation(request, principal, UUID(item["id"]), Seen.OFFENDER_SEARCH, purpose)


OnQuery = Annotated[DayOrMoment | None, Query(description=(
    "What had happened by then, as the record knows now: every entry whose event had occurred by this time, "
    "including entries recorded later (each marked `recorded_after`), and the caution's state and verdict from "
    "those events alone. A date (YYYY-MM-DD) means the end of that UK day; or an RFC 3339 time with an offset."))]
AsOfQuery = Annotated[DayOrMoment | None, Query(description=(
    "What the record said then: the entries recorded by this time (the chain's longest prefix recorded by then). "
    "A date (YYYY-MM-DD) means the end of that UK day; or an RFC 3339 time with an offset."))]


def _history(request: Request, app: CautionApplication, caution_id: UUID, principal: Principal,
             axes: Axes, waited: bool = True) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The history body and the caution's view; None, unless `waited`, when the read model trails the store
    for this caution (the caller then waits for the projections and asks again).

    The caution must be the caller's force's (else 404, as for an unknown id); before it existed on the axes asked
    about, the body says so (`exists` false) rather than 404."""
    caution = readable_caution(request, app, caution_id, principal)
    events = list(app.events.get(caution_id)) if axes.any else []
    recorded = time_axes.recorded_by(events, axes.as_of.moment) if axes.as_of else events
    head = len(recorded) if axes.as_of else caution.version
    rows = queries.history_rows(app.engine, str(caution_id), head if axes.as_of else None)
    if axes.as_of is None and (not rows or rows[-1].entry < head) and not waited:
        return None
    rows = [r for r in rows if r.entry <= head]
    shown_upto = rows[-1].entry if rows else 0
    pending = head - shown_upto
    now = request.app.state.clock()
    # Pinned to the latest recorded_at among the entries covered (not the last one's: clocks of two instances can
    # disagree), so the prefix recorded by then is exactly these entries, however much is recorded later.
    pinned = (axes.as_of.moment if axes.as_of
              else max(datetime.fromisoformat(r.recorded_at) for r in rows) if rows else now)
    body: dict[str, Any] = {
        "caution_id": str(caution_id),
        "police_reference": caution.police_reference,
        "force": caution.force,
        "legal_basis": caution.legal_basis.value,
        "as_of": axes.as_of.moment.isoformat() if axes.as_of else None,
        "on": axes.on.moment.isoformat() if axes.on else None,
        "exists": True,
        "statement": None,
        "digest": rows[-1].entry_hash if rows else GENESIS,
        "digest_covers": shown_upto,
        "entries_pending": pending,
        "verification_path": time_axes.verification_path(str(caution_id), pinned, axes.on),
    }
    # Judged as of the entries shown (a trailing read model shows fewer), so verdict and digest agree.
    then = time_axes.caution_then(events, caution, axes, lambda v: app.repository.get(caution_id, version=v),
                                  upto=shown_upto)
    if then.caution is None:
        assert then.statement is not None
        return _not_then(body, caution, then.statement), caution_public(caution, principal.role, uk_date(now), None)
    state = then.caution
    entries = [entry_view(r) for r in rows]
    if axes.on:
        basis = events[:shown_upto or head]
        happened = {e.originator_version for e in time_axes.happened_by(basis, axes.on.moment)}
        entries = [e for e in entries if e["entry"] in happened]
        for entry in entries:
            entry["recorded_after"] = datetime.fromisoformat(entry["recorded_at"]) > axes.on.moment
    entries = link_corrections(entries)
    for entry in entries:
        entry["note"] = entry_note(entry, state, principal.role, app.personal)
    today = axes.today(now)
    body["verdict"] = verdict(state, entries, today=today)
    body["spent_on"] = state.spent_on.isoformat()
    body["entries"] = entries
    view = caution_public(state, principal.role, today, app.personal)
    # Entries hold personal data only sealed (what the chain covers); the reader sees it opened here, once,
    # or what became of it ("erased on ... under ...").
    body["offender"], body["personal_data"] = view["offender"], view["personal_data"]
    return body, view


def _not_then(body: dict[str, Any], caution: Caution, statement: str) -> dict[str, Any]:
    """The answer for a moment before the caution existed on the axis asked about: it says so, and shows nothing
    of the person (there was no record of them to show)."""
    personal_data = {person.value: data_state(caution, person) for person in Person}
    return {**body, "exists": False, "statement": statement, "verdict": None, "spent_on": None, "entries": [],
            "offender": None, "personal_data": personal_data}


@router.get(
    "/cautions/{caution_id}/compliance-history", operation_id="getComplianceHistory",
    response_model=ComplianceHistory,
    responses={
        **problems(401, 403, 404, 406, 422, 503),
        200: {"content": {PDF: {}}, "description": "JSON, or the court certificate as PDF"},
    },
)
async def compliance_history(
    request: Request,
    caution_id: UUID,
    principal: Discloser,
    app: AppDep,
    clock: ClockDep,
    as_of: AsOfQuery = None,
    on: OnQuery = None,
    min_position: MinPosition = None,
    purpose: PurposeDep = None,
) -> Response:
    """Every entry in order with who recorded it, the verdict with reasons, and the integrity digest.

    Two time axes: `as_of` (what the record said then) and `on` (what had happened by then, as known now); both
    together give what had happened by `on` as the record stood at `as_of`. Before the caution existed on the axis
    asked about the answer says so (`exists` false, with a statement), not 404. The digest is always the head of
    the chain prefix the history covers (`on` filters what is shown, not what is hashed), and `verification_path`
    is the verification address that returns exactly this digest, however much is recorded later.

    Send `Accept: application/pdf` for the court certificate. Each one given out is kept in the
    consultation log, as a disclosure, and so is each one refused (or answered 404).
    """
    axes = Axes.given(as_of, on)
    await _caught_up(request, min_position)
    history = await run_in_threadpool(_history, request, app, caution_id, principal, axes, False)
    if history is None:
        # The store is ahead of the read model for this caution: wait (briefly) for its last entries.
        await _projections_reach_the_store(request)
        history = await run_in_threadpool(_history, request, app, caution_id, principal, axes)
    assert history is not None
    body, caution = history
    detail = axes.detail()
    if PDF in request.headers.get("accept", ""):
        if not body["exists"]:
            raise ProblemError(422, "no-record-then", "No certificate of a caution that did not exist then",
                               f"{body['statement']} Ask for the history as JSON, or choose a later moment.")
        if body["entries_pending"]:  # a certificate for a court states the whole record, or is not issued
            raise ProblemError(503, "read-model-behind", "The compliance history has not caught up yet",
                               f"{body['entries_pending']} recorded entries are not in the history yet; retry shortly.",
                               headers={"Retry-After": "1"})
        certificate = await run_in_threadpool(_certificate, request, app, caution_id, body, caution, clock)
        await run_in_threadpool(log_consultation, request, principal, caution_id, Seen.CERTIFICATE, purpose, detail)
        return certificate
    await run_in_threadpool(log_consultation, request, principal, caution_id, Seen.COMPLIANCE_HISTORY, purpose, detail)
    return JSONResponse(body)


def _certificate(request: Request, app: CautionApplication, caution_id: UUID, body: dict[str, Any],
                 caution: dict[str, Any], clock: Callable[[], datetime]) -> Response:
    """The court certificate of this history: rendered, signed (PAdES), given out. Its verification address is the
    one that returns exactly this history's digest (`verification_path`, with the same time axes)."""
    settings = request.app.state.settings
    base = str(request.base_url).rstrip("/")
    path = body.get("verification_path", f"/v1/cautions/{caution_id}/compliance-history/verification")
    check = verify(list(app.events.get(caution_id)), queries.history_rows(app.engine, str(caution_id)))
    signer = signer_for(settings)
    force = force_name(caution["force"], settings.force_names)
    pdf = render_certificate(body, caution, clock(), base + path, check, force_name=force,
                             system_version=request.app.version, signed_by=subject_name(signer))
    signed = sign_pdf(pdf, signer, reason=f"Compliance certificate of caution {caution['police_reference']}",
                      location=force)
    # Header values must be Latin-1 without CR/LF: keep only safe characters of the caller-given reference.
    filename = f"cara-certificate-{re.sub(r'[^A-Za-z0-9._-]+', '_', caution['police_reference'])}.pdf"
    return Response(signed, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.get(
    "/cautions/{caution_id}/compliance-history/verification", operation_id="verifyComplianceHistory",
    response_model=VerificationReport,
    responses=problems(401, 403, 404, 422),
)
def verify_history(
    caution_id: UUID, principal: CourtOrPolice, app: AppDep, as_of: AsOfQuery = None, on: OnQuery = None,
) -> JSONResponse:
    """Recompute the integrity chain from the event store: intact, or the first entry that does not match.

    With `as_of`, the chain's prefix recorded by then: the digest a history or certificate `as_of` that moment
    carries (each gives its `verification_path`, with `as_of` pinned, so the address always returns its digest).
    `on` changes nothing that is checked: a history `on` a date shows only what had happened by then, but its
    digest is the head of the whole prefix, every entry included (the chain covers them all); it is echoed back
    so the address names the history it verifies."""
    axes = Axes.given(as_of, on)
    caution = app.get_caution(caution_id)
    require_same_force(caution.force, principal.force, caution_id)
    report = chain_check(app, caution_id, axes.as_of.moment if axes.as_of else None)
    return JSONResponse({
        "caution_id": str(caution_id),
        "as_of": axes.as_of.moment.isoformat() if axes.as_of else None,
        "on": axes.on.moment.isoformat() if axes.on else None,
        **report.as_dict(),
    })


def chain_check(app: CautionApplication, caution_id: UUID, as_of: datetime | None = None) -> Verification:
    """The stored history (up to the prefix recorded by `as_of`) checked against the event store: what the
    verification address answers."""
    events = list(app.events.get(caution_id))
    if as_of is not None:
        events = time_axes.recorded_by(events, as_of)
    return verify(events, queries.history_rows(app.engine, str(caution_id), len(events) if as_of else None))


def history_check(app: CautionApplication, caution_id: UUID, body: dict[str, Any]) -> Verification:
    """The check a certificate of this history body states: of the entries its digest covers (`digest_covers`),
    no more, so it agrees with the digest printed and with what `verification_path` answers."""
    covers = body["digest_covers"]
    events = list(app.events.get(caution_id))[:covers]
    return verify(events, queries.history_rows(app.engine, str(caution_id), covers))


@router.get("/statistics", operation_id="getStatistics", response_model=Statistics, responses=problems(401, 403, 422))
def force_statistics(
    principal: StatsReader,
    app: AppDep,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
) -> JSONResponse:
    """Per month for your force: issued, completed, breached, withdrawn, median days to complete."""
    items = queries.force_statistics(app.engine, principal.force, since, until)
    return JSONResponse({"items": items})

