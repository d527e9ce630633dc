"""GET /v1/events (pages, with long-poll) and GET /v1/events/stream (Server-Sent Events).

The feed withholds every sealed field (feed.py), but its events name offenders by reference: pseudonymous data of
identifiable people, given to another system. So each page that carries events is logged as a disclosure (one
entry, caution "*", the positions given), and so is each stream opened; an empty page gives nothing and is not.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from shared.auth import Principal, Role
from shared.events import EventPage
from shared.openapi import problems

from ..consultations import Seen
from ..feed import read_page
from ..position_watch import PositionWatch
from .deps import AppDep, PurposeDep, log_consultation, personal_data_reader
from .shared_reads import SharedReads

router = APIRouter(prefix="/v1/events", tags=["event feed"])
# Subscribers only (API.md): an admin manages the service, it does not take every force's events. The one route
# pair that admits a national subscriber (force "*", granted in CARA_NATIONAL_SUBSCRIBERS).
Subscriber = Annotated[Principal, Depends(personal_data_reader(Role.SUBSCRIBER, national=True))]
HEARTBEAT_SECONDS = 15.0
DISCONNECT_CHECK_SECONDS = 1.0


@router.get("", response_model=EventPage, responses=problems(401, 403, 422))
async def list_events(
    request: Request,
    principal: Subscriber,
    app: AppDep,
    after: Annotated[int, Query(ge=0, description="The last position you processed (0 to start).")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float, Query(ge=0, le=30, description="Seconds to wait for new events when there are none (long-poll).")
    ] = 0,
    purpose: PurposeDep = None,
) -> JSONResponse:
    """CloudEvents 1.0 (structured JSON) after `after`, in position order, without victim data.

    Each page that carries events is kept in the consultation log, as a disclosure."""
    deadline = time.monotonic() + wait
    store_head: PositionWatch = request.app.state.store_head
    pages: SharedReads = request.app.state.feed_pages
    while True:
        key = (after, limit, principal.force)
        items, next_after, head = await pages.read(key, partial(read_page, app, *key))
        left = deadline - time.monotonic()
        if items or left <= 0:
            if items:
                await run_in_threadpool(log_consultation, request, principal, "*", Seen.EVENT_FEED, purpose,
                                        f"positions={items[0]['position']}-{items[-1]['position']}")
            return JSONResponse({"items": items, "next_after": next_after, "head": head})
        after = next_after  # skip other forces' events while waiting
        if after >= head:  # read to the head: wait for more (on the event loop, holding no thread)
            await store_head.wait_past(after, left)


@router.get(
    "/stream",
    responses={
        **problems(401, 403, 422),
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
    },
)
async def stream_events(
    request: Request,
    principal: Subscriber,
    app: AppDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    purpose: PurposeDep = None,
) -> StreamingResponse:
    """The same events as Server-Sent Events: `id` is the position; reconnect with `Last-Event-ID` to resume.

    Each stream opened is kept in the consultation log, as a disclosure (one entry for the connection)."""
    # isascii(): "²".isdigit() is true but int() refuses it
    if last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        start = int(last_event_id)
    else:
        start = after or 0

    store_head: PositionWatch = request.app.state.store_head
    await run_in_threadpool(log_consultation, request, principal, "*", Seen.EVENT_FEED, purpose,
                            f"stream after={start}")

    async def events() -> AsyncIterator[str]:
        position = start
        last_sent = time.monotonic()
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            items, position, head = await run_in_threadpool(read_page, app, position, 100, principal.force)
            for item in items:
                yield f"id: {item['position']}\nevent: {item['type']}\ndata: {json.dumps(item)}\n\n"
                last_sent = time.monotonic()
            if not items and position >= head:
                if time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                    yield ": heartbeat\n\n"
                    last_sent = time.monotonic()
                # At most a second at a time, so a subscriber that has gone away is noticed.
                until_heartbeat = HEARTBEAT_SECONDS - (time.monotonic() - last_sent)
                await store_head.wait_past(position, min(DISCONNECT_CHECK_SECONDS, until_heartbeat))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
