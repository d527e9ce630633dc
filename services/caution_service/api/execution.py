"""Runs a command for a route: Idempotency-Key replay, saving, and the response with its ETag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.auth import Principal
from shared.problems import ProblemError

from ..application import CautionApplication, Saved
from ..domain.caution import Caution
from ..domain.values import RecordedBy
from ..idempotency import Receipt, StoredResponse, fingerprint, replay
from .views import caution_public


@dataclass(frozen=True)
class CommandContext:
    app: CautionApplication
    principal: Principal
    clock: Callable[[], datetime]
    idempotency_key: str | None

    @property
    def recorded_by(self) -> RecordedBy:
        p = self.principal
        return RecordedBy(id=p.id, role=p.role.value, force=p.force)

    def now(self) -> datetime:
        return self.clock()

    @property
    def caller(self) -> str:
        """Whose keys these are: subjects are unique only within one identity provider (force) and role."""
        p = self.principal
        return f"{p.force}/{p.role.value}/{p.id}"


def etag(version: int) -> str:
    return f'"{version}"'


def to_response(stored: StoredResponse, replayed: bool = False) -> JSONResponse:
    headers = dict(stored.headers)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)


def execute(
    ctx: CommandContext,
    method_path: tuple[str, str],
    body: BaseModel,
    do: Callable[[Receipt | None], Saved],
    *,
    created: bool = False,
) -> JSONResponse:
    def render(caution: Caution, position: int) -> StoredResponse:
        view = caution_public(caution, ctx.principal.role, ctx.now().date(), ctx.app.vault, position)
        headers = {"ETag": etag(caution.version)}
        if created:
            headers["Location"] = f"/v1/cautions/{caution.id}"
        return StoredResponse(201 if created else 200, view, headers)

    receipt = None
    if ctx.idempotency_key is not None:
        method, path = method_path
        print_ = fingerprint(method, path, body.model_dump_json().encode())
        previous = ctx.app.idempotency.find(ctx.caller, ctx.idempotency_key)
        if previous is not None:
            if previous.fingerprint != print_:
                raise ProblemError(
                    422, "idempotency-key-reused", "Idempotency-Key reused with a different request",
                    "This key was already used for a different request; use a new key.",
                )
            return to_response(replay(previous), replayed=True)
        receipt = Receipt(ctx.caller, ctx.idempotency_key, print_, render)
    saved = do(receipt)
    return to_response(saved.response or render(saved.caution, saved.position))
