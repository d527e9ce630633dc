"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from shared.database_faults import RETRY_AFTER_SECONDS
from shared.problems import problem_response
from shared.write_probe import not_writable

from ..readiness import probe
from .deps import AppDep

router = APIRouter(tags=["health"])
RETRY = {"Retry-After": str(RETRY_AFTER_SECONDS)}
MAX_READY_LAG = 10_000  # events the read models may trail the store by and still serve

# Kubernetes' own /readyz names its checks and lets a probe leave some out (`?exclude=etcd`). Here the one
# worth leaving out is the read models' lag: it is shared by every replica, so taking replicas out of
# service cannot cure it, and commands, which never read the read models, would be refused for nothing.
Check = Literal["projections"]


@router.get("/livez")
async def livez() -> dict[str, str]:  # on the event loop: a busy thread pool must not make it look dead
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: the database cannot be written, keys cannot be "
                                                   "verified or the read models are too far behind"}})
def readyz(request: Request, app: AppDep,
           exclude: Annotated[list[Check], Query(description=(
               "Checks to leave out. `projections`: ready whatever the read models' lag, as a readiness "
               "probe for replicas that must keep recording commands while the read models catch up "
               "or are rebuilt. The lag is still reported."))] = []) -> JSONResponse:  # noqa: B006
    """The database takes writes (a one-row write is committed; on SQLite, free space is left beside it), tokens can
    be verified, and the read models are within bound of the store (unless that check is excluded)."""
    unwritable = not_writable(app.engine, probe, request.app.state.settings.ready_min_free_bytes)
    if unwritable is not None:
        return problem_response(503, "not-ready", "Not ready", f"{unwritable.capitalize()}.", headers=RETRY)
    try:
        lag = request.app.state.projector.lag()
    except Exception as e:  # any failure to reach the database means not ready
        return problem_response(503, "not-ready", "Not ready", f"The database is unavailable ({type(e).__name__}).",
                                headers=RETRY)
    keys = request.app.state.verifier.not_ready()
    if keys is not None:  # no token could be verified: every business route would answer 503
        return problem_response(503, "not-ready", "Not ready", f"{keys.capitalize()}.", headers=RETRY)
    checked = "projections" not in exclude
    if checked and lag > MAX_READY_LAG:
        return problem_response(503, "not-ready", "Not ready", f"The read models are {lag} events behind.",
                                projection_lag=lag, headers=RETRY)
    body: dict[str, object] = {"status": "ok", "database": "ok", "projection_lag": lag}
    if not checked:
        body["excluded"] = sorted(set(exclude))
    return JSONResponse(body)
