"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from shared.problems import problem_response

from .deps import AppDep

router = APIRouter(tags=["health"])
MAX_READY_LAG = 10_000  # events the read models may trail the store by and still serve

# Kubernetes' own /readyz names its checks and lets a probe leave some out (`?exclude=etcd`). Here the one
# worth leaving out is the read models' lag: it is shared by every replica, so taking replicas out of
# service cannot cure it, and commands, which never read the read models, would be refused for nothing.
Check = Literal["projections"]


@router.get("/livez")
async def livez() -> dict[str, str]:  # on the event loop: a busy thread pool must not make it look dead
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(request: Request, app: AppDep,
           exclude: Annotated[list[Check], Query(description=(
               "Checks to leave out. `projections`: ready whatever the read models' lag, as a readiness "
               "probe for replicas that must keep recording commands while the read models catch up "
               "or are rebuilt. The lag is still reported."))] = []) -> JSONResponse:  # noqa: B006
    """The event store answers, tokens can be verified, and the read models are within bound of the store
    (unless that check is excluded)."""
    try:
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        lag = request.app.state.projector.lag()
    except Exception as e:  # any failure to reach the database means not ready
        return problem_response(503, "not-ready", "Not ready", f"The database is unavailable ({type(e).__name__}).")
    keys = request.app.state.verifier.not_ready()
    if keys is not None:  # no token could be verified: every business route would answer 503
        return problem_response(503, "not-ready", "Not ready", f"{keys.capitalize()}.")
    checked = "projections" not in exclude
    if checked and lag > MAX_READY_LAG:
        return problem_response(503, "not-ready", "Not ready", f"The read models are {lag} events behind.",
                                projection_lag=lag)
    body: dict[str, object] = {"status": "ok", "database": "ok", "projection_lag": lag}
    if not checked:
        body["excluded"] = sorted(set(exclude))
    return JSONResponse(body)
