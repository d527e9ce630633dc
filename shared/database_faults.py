"""Which errors mean "the database cannot serve now", as opposed to a bug or a conflict.

A database that is stopped, frozen, full, read-only or locked fails a request through no fault of the
caller, and the same request will succeed once it is back: that is a 503 with Retry-After, so clients
and load balancers wait and retry. A broken unique key, a value the column refuses or bad SQL will fail
the same way every time: those stay what they are (a conflict the code handles, or a 500 to fix).

The same fault reaches the handlers in several guises: SQLAlchemy's wrapper of the driver's error, the
event store's own (which the eventsourcing library and driver_sql.py raise `from` the original), or the
driver's error itself, sometimes wrapped once more. So the whole chain of causes is looked at, and the
first error of a known kind decides.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa

from .problems import problem_response, unexpected_response

log = logging.getLogger("cara.database")

RETRY_AFTER_SECONDS = 5

# Every layer's name for "could not reach, or could not write, the database right now".
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa.OperationalError, sa.InterfaceError, sa.InternalError, sa.TimeoutError, sa.DisconnectionError,
    persistence.OperationalError, persistence.InterfaceError, persistence.InternalError,
    psycopg.OperationalError, psycopg.InterfaceError, psycopg.InternalError,
    sqlite3.OperationalError, sqlite3.InterfaceError, sqlite3.InternalError,
)
# A fault of the request or of the code: never hidden behind "try again later".
_NOT_AVAILABILITY: tuple[type[BaseException], ...] = (
    sa.IntegrityError, sa.DataError, sa.ProgrammingError, sa.NotSupportedError,
    persistence.IntegrityError, persistence.DataError, persistence.ProgrammingError, persistence.NotSupportedError,
    psycopg.IntegrityError, psycopg.DataError, psycopg.ProgrammingError, psycopg.NotSupportedError,
    sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError, sqlite3.NotSupportedError,
)
# Types that may carry one of the above as their cause without being one themselves.
WRAPPERS: tuple[type[BaseException], ...] = (
    sa.DBAPIError, sa.TimeoutError, persistence.PersistenceError, psycopg.Error, sqlite3.Error,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error`, or what caused it, says the database cannot serve now (stopped, frozen, full,
    read-only, locked, timed out); False for conflicts and bugs, and for anything else."""
    for link in _chain(error):
        if isinstance(link, _NOT_AVAILABILITY):
            return False
        if isinstance(link, _UNAVAILABLE):
            return True
    return False


def describe(error: BaseException) -> str:
    """The driver's own words, first line only: SQLAlchemy's and the event store's messages carry the
    statement's parameters, which may be personal data, and the driver's message never does for these faults."""
    innermost = list(_chain(error))[-1]
    message = str(innermost).strip().splitlines()[0] if str(innermost).strip() else ""
    return f"{type(innermost).__module__}.{type(innermost).__name__}: {message}"[:300]


def unavailable_response(request: Request, error: BaseException) -> JSONResponse:
    # The route's template, never the path's values (a caution id is no secret, a query string may be).
    route = getattr(request.scope.get("route"), "path", None) or "(no route)"
    log.warning("database unavailable on %s %s: %s", request.method, route, describe(error))
    return problem_response(503, "database-unavailable", "The database is unavailable",
                            "The service cannot reach or write its database; try again shortly.",
                            instance=request.url.path, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_database_fault_handlers(app: FastAPI) -> None:
    """A 503 with Retry-After for every database fault the routes let through; any other database error
    goes on to the catch-all (a 500, logged with its traceback)."""

    def handle(request: Request, error: Exception) -> JSONResponse:
        if is_database_unavailable(error):
            return unavailable_response(request, error)
        return unexpected_response(request, error)

    for kind in WRAPPERS:
        app.add_exception_handler(kind, handle)  # type: ignore[arg-type]  # Starlette types handlers loosely
