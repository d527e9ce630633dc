"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from .deps import AppDep

router = APIRouter(tags=["health"])


@router.get("/livez")
def livez() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(app: AppDep) -> JSONResponse:
    """The event store answers."""
    try:
        with app.recorder.datastore.engine.connect() as connection:  # type: ignore[attr-defined]
            connection.execute(text("SELECT 1"))
    except Exception as e:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": type(e).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
