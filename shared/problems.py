"""RFC 9457 problem details: every error either service returns goes through here."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException  # FastAPI's own is a subclass; routing raises Starlette's

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("cara.problems")


class ProblemRule(BaseModel):
    rule: str
    message: str
    # A register refused for one of its cautions names it: the rule is about that line.
    caution_id: str | None = Field(default=None, description="The caution a register's refused line is about.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemRule] | None = None


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, slug: str, title: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.slug, self.title, self.detail, self.extra = status, slug, title, detail, extra
        self.headers: dict[str, str] = extra.pop("headers", None) or {}


def problem_response(
    status: int, slug: str, title: str, detail: str | None = None, *, instance: str | None = None,
    headers: Mapping[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed for this role"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        errors.append({"rule": f"{where}:{err.get('type', 'invalid')}",
                       "message": f"{where}: {err.get('msg', 'invalid')}"})
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.slug, exc.title, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["rule"].endswith("json_invalid") for e in errors):
            return problem_response(400, "malformed-json", "The body is not valid JSON", errors=errors,
                                    instance=request.url.path)
        return problem_response(
            422, "validation-failed", "The request is not valid", "; ".join(e["message"] for e in errors)[:2000],
            errors=errors, instance=request.url.path,
        )

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> JSONResponse:
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "Request failed"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, slug, title, detail, instance=request.url.path, headers=exc.headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A database fault wrapped in an error of another kind still means "try again shortly".
        from .database_faults import is_database_unavailable, unavailable_response

        if is_database_unavailable(exc):
            return unavailable_response(request, exc)
        return unexpected_response(request, exc)

    from .database_faults import install_database_fault_handlers  # it answers with this module's documents

    install_database_fault_handlers(app)


def unexpected_response(request: Request, exc: BaseException) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal-error", "Internal error", "The error has been logged.",
                            instance=request.url.path)
