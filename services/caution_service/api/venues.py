"""The force's venues, kept by its workshop provider: add, list, rename, retire and bring back.

A venue is never deleted (sessions name it); a retired one takes no new sessions (`venues.venue_for`).
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import LOCATION, problems
from shared.problems import ProblemError

from .. import venues
from ..projections.session_queries import utc
from .deps import AppDep, ClockDep
from .session_views import VenueChange, VenueCreate, VenueList, VenuePublic

router = APIRouter(prefix="/v1/venues", tags=["venues"])

Keeper = Annotated[Principal, Depends(allow(Role.PROVIDER))]
Reader = Annotated[Principal, Depends(allow(Role.PROVIDER, Role.POLICE))]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    shown = {name: row[name] for name in ("force", "name", "address", "postcode", "accessible", "notes", "active",
                                          "created_by", "updated_by")}
    return {"id": row["venue_id"], **shown, "created_at": utc(row["created_at"]).isoformat(),
            "updated_at": utc(row["updated_at"]).isoformat()}


def _name_taken(name: str) -> ProblemError:
    return ProblemError(409, "venue-name-taken", "The force already has an active venue of that name",
                        f"An active venue is already called {name!r}: give this one another name, or retire that one.")


def _not_found() -> ProblemError:
    return ProblemError(404, "not-found", "No such venue", "No venue with that id in your force.")


@router.post("", status_code=201, response_model=VenuePublic,
             responses={**problems(400, 401, 403, 409, 413, 422), 201: {"headers": {"Location": LOCATION}}})
async def add_venue(body: VenueCreate, principal: Keeper, app: AppDep, clock: ClockDep) -> JSONResponse:
    """Add a venue where your force's sessions can be planned (provider). Two active venues may not share a name."""
    details = venues.VenueDetails(body.name, body.address, body.postcode, body.accessible, body.notes)
    try:
        row = await run_in_threadpool(venues.add_venue, app.engine, principal.force, details,
                                      clock().astimezone(UTC), principal.id)
    except venues.VenueNameTaken as e:
        raise _name_taken(str(e)) from None
    return JSONResponse(_public(row), status_code=201, headers={"Location": f"/v1/venues/{row['venue_id']}"})


@router.get("", response_model=VenueList, responses=problems(401, 403, 422))
async def list_venues(
    principal: Reader, app: AppDep,
    include_retired: Annotated[bool, Query(description="Retired venues too (they take no new sessions).")] = False,
) -> JSONResponse:
    """Your force's venues by name: the active ones, or with `include_retired` every one."""
    rows = await run_in_threadpool(venues.list_venues, app.engine, principal.force, include_retired)
    return JSONResponse({"items": [_public(row) for row in rows]})


@router.get("/{venue_id}", response_model=VenuePublic, responses=problems(401, 403, 404, 422))
async def get_venue(venue_id: UUID, principal: Reader, app: AppDep) -> JSONResponse:
    try:
        row = await run_in_threadpool(venues.get_venue, app.engine, principal.force, str(venue_id))
    except venues.VenueNotFound:
        raise _not_found() from None
    return JSONResponse(_public(row))


@router.patch("/{venue_id}", response_model=VenuePublic, responses=problems(400, 401, 403, 404, 409, 413, 422))
async def change_venue(venue_id: UUID, body: VenueChange, principal: Keeper, app: AppDep,
                       clock: ClockDep) -> JSONResponse:
    """Rename or re-describe a venue, retire it (`active: false`: it takes no new sessions; those planned there
    stay) or bring it back (`active: true`). Sessions already planned keep the name they were planned with."""
    changes = body.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise ProblemError(422, "validation-failed", "The request is not valid", "A field given may not be null.",
                           errors=[{"rule": f"{name}:null", "message": "may not be null"}
                                   for name, value in changes.items() if value is None])
    try:
        row = await run_in_threadpool(venues.change_venue, app.engine, principal.force, str(venue_id), changes,
                                      clock().astimezone(UTC), principal.id)
    except venues.VenueNotFound:
        raise _not_found() from None
    except venues.VenueNameTaken as e:
        raise _name_taken(str(e)) from None
    return JSONResponse(_public(row))
