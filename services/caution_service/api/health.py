"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from shared.problems import problem_response

from .deps import AppDep

router = APIRouter(tags=["health"])
MAX_READY_LAG = 10_000  # events the read models may trail the store by and still serve


@router.get("/livez")
async def livez() -> dict[str, str]:  # on the event loop: a busy thread pool must not make it look dead
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(request: Request, app: AppDep) -> JSONResponse:
    """The event store answers and the read models are within bound of it."""
    try:
        with app.recorder.datastore.engine.connect() as connection:  # type: ignore[attr-defined]
            connection.execute(text("SELECT 1"))
        lag = request.app.state.projector.lag()
    except Exception as e:  # any failure to reach the database means not ready
        return problem_response(503, "not-ready", "Not ready", f"The database is unavailable ({type(e).__name__}).")
    if lag > MAX_READY_LAG:
        return problem_response(503, "not-ready", "Not ready", f"The read models are {lag} events behind.", projection_lag=lag)
    return JSONResponse({"status": "ok", "database": "ok", "projection_lag": lag})
