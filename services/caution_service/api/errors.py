"""Domain and application errors mapped to RFC 9457 problem responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.keyring import KeyUnavailable
from shared.problems import problem_response

from ..application import ConcurrentChange, DuplicateInFlight, StaleVersion
from ..domain.eligibility import CautionOnRecord, PreviousCautionFailure
from ..domain.errors import CautionNotFound, ConflictsWithState, InvalidCommand, NotEligible, SessionNotFound
from ..idempotency import KeyReused
from ..references import DuplicatePoliceReference
from ..writer import WriterBusy

log = logging.getLogger("cara.caution.errors")


def _rule(exc: InvalidCommand | ConflictsWithState) -> dict[str, str]:
    """The refusal's rule and message, and the caution it is about when one command touched several (a register)."""
    return {"rule": exc.rule, "message": exc.message, **({"caution_id": exc.caution_id} if exc.caution_id else {})}


def _caution_named(c: CautionOnRecord) -> dict[str, str]:
    return {"id": str(c.caution_id), "police_reference": c.police_reference, "issued_on": c.issued_on.isoformat(),
            "href": f"/v1/cautions/{c.caution_id}"}


def install_domain_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotEligible)
    def not_eligible(request: Request, exc: NotEligible) -> JSONResponse:
        errors = [{"rule": f.rule, "message": f.message} for f in exc.failures]
        # The CARA cautions that fail the previous-disposal rule, each with its address (None: member left out)
        previous = [_caution_named(c) for f in exc.failures if isinstance(f, PreviousCautionFailure)
                    for c in f.cautions] or None
        return problem_response(
            422, "not-eligible", "The offender is not eligible for a CARA caution",
            f"{len(errors)} eligibility rule(s) failed.", errors=errors, instance=request.url.path,
            previous_cautions=previous,
        )

    @app.exception_handler(DuplicatePoliceReference)
    def duplicate_reference(request: Request, exc: DuplicatePoliceReference) -> JSONResponse:
        existing = _caution_named(exc.existing)
        return problem_response(
            409, "duplicate-police-reference", "This police reference already has a caution in your force",
            f"Police reference {exc.existing.police_reference} is caution {existing['id']}, given on "
            f"{existing['issued_on']}. Nothing was recorded.",
            instance=request.url.path, existing_caution_id=existing["id"], existing_caution=existing,
            headers={"Link": f'<{existing["href"]}>; rel="related"'},
        )

    @app.exception_handler(InvalidCommand)
    def invalid(request: Request, exc: InvalidCommand) -> JSONResponse:
        return problem_response(
            422, "rule-violated", "The command breaks a CARA rule", exc.message,
            errors=[_rule(exc)], instance=request.url.path,
        )

    @app.exception_handler(ConflictsWithState)
    def conflict(request: Request, exc: ConflictsWithState) -> JSONResponse:
        return problem_response(
            409, "conflicts-with-state", "Not allowed in the caution's current state", exc.message,
            errors=[_rule(exc)], instance=request.url.path,
        )

    @app.exception_handler(CautionNotFound)
    def not_found(request: Request, exc: CautionNotFound) -> JSONResponse:
        return problem_response(404, "not-found", "No such caution", "No caution with that id in your force.",
                                instance=request.url.path)

    @app.exception_handler(SessionNotFound)
    def session_not_found(request: Request, exc: SessionNotFound) -> JSONResponse:
        return problem_response(404, "not-found", "No such workshop session",
                                "No workshop session with that id in your force.", instance=request.url.path)

    @app.exception_handler(StaleVersion)
    def stale(request: Request, exc: StaleVersion) -> JSONResponse:
        return problem_response(
            412, "stale-version", "The caution has changed since you read it",
            f"If-Match named version {exc.expected}; the current version is {exc.actual}. Read it again.",
            instance=request.url.path, headers={"ETag": f'"{exc.actual}"'},
        )

    @app.exception_handler(ConcurrentChange)
    def concurrent(request: Request, exc: ConcurrentChange) -> JSONResponse:
        return problem_response(409, "concurrent-change", "The caution is being changed by others", "Try again.",
                                instance=request.url.path)

    @app.exception_handler(DuplicateInFlight)
    def duplicate(request: Request, exc: DuplicateInFlight) -> JSONResponse:
        return problem_response(
            409, "idempotency-key-in-flight", "A request with this Idempotency-Key was being processed",
            "Retry with the same key to receive the recorded response.", instance=request.url.path,
        )

    @app.exception_handler(KeyReused)
    def key_reused(request: Request, exc: KeyReused) -> JSONResponse:
        return problem_response(
            422, "idempotency-key-reused", "Idempotency-Key reused with a different request",
            "This key was already used for a different request; use a new key.", instance=request.url.path,
        )

    @app.exception_handler(WriterBusy)
    def busy(request: Request, exc: WriterBusy) -> JSONResponse:
        return problem_response(503, "busy", "Too many commands waiting", "Try again shortly.",
                                instance=request.url.path, headers={"Retry-After": "1"})

    @app.exception_handler(KeyUnavailable)
    def key_unavailable(request: Request, exc: KeyUnavailable) -> JSONResponse:
        log.error("a key is not available: %s", exc)  # names key ids, never what they seal
        return problem_response(503, "key-unavailable", "A key this record needs is not configured",
                                "The service cannot open a key it needs; try again shortly.",
                                instance=request.url.path, headers={"Retry-After": "30"})
