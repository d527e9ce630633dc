"""Runs a command for a route: Idempotency-Key replay, saving, and the response with its ETag."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from shared.auth import Principal
from shared.json_response import FastJSONResponse

from ..application import CautionApplication
from ..domain.caution import Caution
from ..domain.values import RecordedBy
from ..idempotency import Receipt, StoredResponse, fingerprint_of
from ..writer import GroupCommitWriter, Job
from .views import caution_public


@dataclass(frozen=True)
class CommandContext:
    app: CautionApplication
    writer: GroupCommitWriter
    principal: Principal
    clock: Callable[[], datetime]
    idempotency_key: str | None
    expected_version: int | None = None  # from If-Match

    @property
    def recorded_by(self) -> RecordedBy:
        p = self.principal
        return RecordedBy(id=p.id, role=p.role.value, force=p.force, name=p.name, rank=p.rank,
                          collar_number=p.collar_number)

    def now(self) -> datetime:
        return self.clock()

    @property
    def caller(self) -> str:
        """Whose keys these are: subjects are unique only within one identity provider (force) and role."""
        p = self.principal
        return f"{p.force}/{p.role.value}/{p.id}"


def etag(version: int) -> str:
    return f'"{version}"'


def to_response(stored: StoredResponse, replayed: bool = False) -> FastJSONResponse:
    headers = dict(stored.headers)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return FastJSONResponse(stored.body, status_code=stored.status_code, headers=headers)


async def execute(
    ctx: CommandContext,
    method_path: tuple[str, str],
    body: BaseModel,
    *,
    make: Callable[[], Caution] | None = None,
    caution_id: UUID | None = None,
    command: Callable[[Caution], None] | None = None,
    expected_version: int | None = None,
    created: bool = False,
) -> FastJSONResponse:
    """Hands the command to the group-commit writer and answers with what it recorded (or replays)."""

    def render(caution: Caution, position: int | None) -> StoredResponse:
        # Nothing sealed is opened: a command's answer confirms what was recorded, and personal data is
        # shown (and the consultation logged) only to a read that asks for it.
        view = caution_public(caution, ctx.principal.role, ctx.now().date(), None, position)
        headers = {"ETag": etag(caution.version)}
        if created:
            headers["Location"] = f"/v1/cautions/{caution.id}"
        return StoredResponse(201 if created else 200, view, headers)

    receipt = None
    if ctx.idempotency_key is not None:
        method, path = method_path
        print_ = fingerprint_of(method, path, body.model_dump(mode="json"))
        receipt = Receipt(ctx.caller, ctx.idempotency_key, print_, render)
    job = Job(render, receipt, make=make, caution_id=caution_id, command=command, expected_version=expected_version)
    job.waiter = asyncio.get_running_loop().create_future()
    ctx.writer.submit(job)
    await job.waiter
    outcome = job.future.result()  # raises the command's refusal, which the error handlers answer
    return to_response(outcome.response, replayed=outcome.replayed)
