"""The compliance history as a file with its chain, for anyone to check offline (shared/history_verifier.py).

Each entry is given exactly as it was hashed (projections/entries.Entry.content()), with the hash of the entry
before it and its own, under a header naming the caution, the digest and the hash method in words. Personal data is
in the entries only as they hold it, sealed under its person's key: an export opens none of it, so it can be
handed to a defence, and it still verifies once a person's data is erased (their key destroyed).
docs/verifying-a-compliance-history.md is its description.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from shared.auth import Principal, Role
from shared.history_verifier import FORMAT, FORMAT_VERSION, GENESIS, HASH_METHOD
from shared.openapi import problems
from shared.problems import ProblemError
from shared.timeformats import Moment

from ..application import CautionApplication
from ..consultations import Seen
from ..projections import queries
from ..projections.entries import entry_from_row
from .deps import AppDep, ClockDep, PurposeDep, log_consultation, personal_data_reader, readable_caution
from .records import _projections_reach_the_store

router = APIRouter(prefix="/v1", tags=["records"])

Discloser = Annotated[Principal, Depends(personal_data_reader(Role.COURT, Role.POLICE))]
VERIFIER = ("python -m shared.history_verifier EXPORT.json [--digest HEX] (standard library only; "
            "docs/verifying-a-compliance-history.md)")
PERSONAL_DATA = ("Personal data in the entries' details is sealed, encrypted under its person's key, exactly as it "
                 "was hashed: this export opens none of it.")


class ExportedRecordedBy(BaseModel):
    id: str
    role: str
    force: str
    name: str | None = Field(None, description="The recorder's name, when their token gave one (absent otherwise)")
    rank: str | None = Field(None, description="A police officer's rank, when given (absent otherwise)")
    collar_number: str | None = Field(None, description="A police officer's collar number, when given (absent "
                                                        "otherwise)")


class ExportedContent(BaseModel):
    """Exactly what the entry's hash covers, as it was hashed: re-encode it canonically to recompute the hash."""

    caution_id: str
    entry: int
    event_type: str
    summary: str
    occurred_at: str
    recorded_at: str
    recorded_by: ExportedRecordedBy
    details: dict[str, Any] = Field(description="What the event recorded; personal data only sealed")
    corrects_entry: int | None


class ExportedEntry(BaseModel):
    content: ExportedContent
    previous_hash: str = Field(description="The hash of the entry before (64 zeros for the first)")
    hash: str


class HistoryExport(BaseModel):
    format: str = Field(description=f'Always "{FORMAT}"')
    format_version: int
    caution_id: str
    police_reference: str
    force: str
    as_of: str | None = Field(description="The entries recorded by then, when asked for; null for all of them")
    exported_at: str
    hash_method: str
    verifier: str
    personal_data: str
    entry_count: int
    digest: str = Field(description="The last entry's hash (64 zeros when there is none): the certificate's digest")
    entries: list[ExportedEntry]


def _export(request: Request, app: CautionApplication, caution_id: UUID, principal: Principal,
            as_of: datetime | None, clock: Callable[[], datetime], waited: bool) -> dict[str, Any] | None:
    """The export; None, unless `waited`, while the read model trails the store for this caution."""
    caution = readable_caution(request, app, caution_id, principal)
    rows = queries.history_rows(app.engine, str(caution_id))
    complete = bool(rows) and rows[-1].entry >= caution.version and rows[-1].entry == len(rows)
    if not complete:
        if not waited:
            return None
        # An export states the whole chain (or the whole prefix asked for), or is not given.
        raise ProblemError(503, "read-model-behind", "The compliance history has not caught up yet",
                           "Recorded entries are not in the history yet; retry shortly.", headers={"Retry-After": "1"})
    if as_of is not None:
        # A prefix: every entry recorded by then, and none after the first one that was not (the chain is in order).
        rows = list(itertools.takewhile(lambda r: datetime.fromisoformat(r.recorded_at) <= as_of, rows))
    entries = [{"content": entry_from_row(r).content(), "previous_hash": r.previous_hash, "hash": r.entry_hash}
               for r in rows]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "caution_id": str(caution_id),
        "police_reference": caution.police_reference,
        "force": caution.force,
        "as_of": as_of.isoformat() if as_of else None,
        "exported_at": clock().isoformat(),
        "hash_method": HASH_METHOD,
        "verifier": VERIFIER,
        "personal_data": PERSONAL_DATA,
        "entry_count": len(entries),
        "digest": entries[-1]["hash"] if entries else GENESIS,
        "entries": entries,
    }


@router.get(
    "/cautions/{caution_id}/compliance-history/export", operation_id="exportComplianceHistory",
    response_model=HistoryExport, responses=problems(401, 403, 404, 422, 503),
)
async def export_history(
    request: Request,
    caution_id: UUID,
    principal: Discloser,
    app: AppDep,
    clock: ClockDep,
    as_of: Annotated[Moment | None, Query(
        description="RFC 3339 time: only the entries recorded by then (the chain as it stood)")] = None,
    purpose: PurposeDep = None,
) -> Response:
    """The compliance history as a JSON file with its integrity chain, to check offline without this service.

    Each entry is exactly the content its hash covers, with the hash before it and its own; check it with
    `python -m shared.history_verifier EXPORT.json --digest <the certificate's digest>`. Personal data stays
    sealed. Each export given out is kept in the consultation log, as a disclosure, and so is each one refused."""
    document = await run_in_threadpool(_export, request, app, caution_id, principal, as_of, clock, False)
    if document is None:
        await _projections_reach_the_store(request)
        document = await run_in_threadpool(_export, request, app, caution_id, principal, as_of, clock, True)
    assert document is not None
    detail = f"export as_of={as_of.isoformat()}" if as_of else "export"
    await run_in_threadpool(log_consultation, request, principal, caution_id, Seen.COMPLIANCE_HISTORY, purpose, detail)
    # Header values must be Latin-1 without CR/LF: keep only safe characters of the caller-given reference.
    filename = f"cara-history-{re.sub(r'[^A-Za-z0-9._-]+', '_', document['police_reference'])}.json"
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
