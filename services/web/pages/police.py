"""Police: the worklist (what the force must do, safeguarding first), issuing a caution, and each caution with its
timeline and the decisions on it (police_issue.py, police_actions.py).

The worklist is the service's (`GET /v1/worklist`), grouped the way an officer works through it: safeguarding
concerns to acknowledge (the urgent ones first, each linked straight to acknowledging it: the worklist names the
concern's entry, urgency and category, so no caution is read, and no read logged, to list them), excuse decisions,
breach referrals, then anything overdue and the rest. Nothing personal goes in a URL: caution ids and entry numbers
only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..addresses import known_id
from ..backend import backend_of
from . import police_actions, police_issue
from .police_common import (
    CLOSED,
    PURPOSE,
    Police,
    action_text,
    last_position,
    read_caution,
    read_history,
)

router = APIRouter(prefix="/police")
router.include_router(police_issue.router)
router.include_router(police_actions.router)

CONCERN = "acknowledge_safeguarding_concern"
# (heading, the actions it holds); overdue items not in a named group come next, then the rest.
GROUPS = [("Excuse decisions due", {"decide_excuse"}),
          ("Breach referrals to decide", {"decide_breach_or_vary"})]


@router.get("/worklist")
async def worklist(request: Request, who: Police, cursor: str | None = None) -> Response:
    page = (await backend_of(request).caution("GET", "/v1/worklist", who.token, params={
        "limit": 100, "cursor": cursor, "min_position": last_position(request)})).json()
    items: list[dict[str, Any]] = page["items"]
    concerns = sorted((i for i in items if i["action"] == CONCERN), key=_most_pressing)
    rest = [i for i in items if i["action"] != CONCERN]
    groups = [(heading, [i for i in rest if i["action"] in actions]) for heading, actions in GROUPS]
    grouped = {id(i) for _, found in groups for i in found}
    overdue = [i for i in rest if i["overdue"] and id(i) not in grouped]
    others = [i for i in rest if not i["overdue"] and id(i) not in grouped]
    return request.app.state.pages.render(request, "police/worklist.html", {
        "today": page["today"], "concerns": concerns, "groups": [*groups, ("Overdue", overdue),
                                                                 ("Other actions", others)],
        "empty": not items, "next_cursor": page.get("next_cursor"), "action_text": action_text})


def _most_pressing(item: dict[str, Any]) -> tuple[bool, bool, str]:
    """Urgent concerns first, then the late ones, then by the day raised: the service puts an urgent concern first
    only among the actions due on its day, after a routine one raised the day before. The item's `concern` (entry,
    urgency, category) is null only for a row the service projected before it named concerns."""
    concern = item.get("concern") or {}
    return concern.get("urgency") != "urgent", not item["overdue"], item["due_on"] or ""


@router.get("/cautions/{caution_id}")
async def caution_page(request: Request, who: Police, caution_id: str) -> Response:
    caution_id = known_id(caution_id)
    caution, history = await asyncio.gather(read_caution(request, who, caution_id),
                                            read_history(request, who, caution_id))
    status = caution["status"]
    is_open = status not in CLOSED
    actions = {
        "excuse": status == "excuse_decision_pending",
        "breach": status in ("breach_referred", "deadline_passed")
        or any(a["action"] == "decide_breach_or_vary" for a in caution["required_actions"]),
        "vary": is_open, "withdraw": is_open, "correct": bool(history.get("entries")),
    }
    return request.app.state.pages.render(request, "police/caution.html", {
        "caution": caution, "history": history, "actions": actions,
        "action_text": action_text, "purpose": PURPOSE["X-Purpose"]})
