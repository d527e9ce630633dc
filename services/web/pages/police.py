"""Police: the worklist (what the force must do, safeguarding first), issuing a caution, and each caution with its
timeline and the decisions on it (police_issue.py, police_actions.py).

The worklist is the service's (`GET /v1/worklist`), grouped the way an officer works through it: safeguarding
concerns to acknowledge (the urgent ones first), excuse decisions, breach referrals, then anything overdue and the
rest. Nothing personal goes in a URL: caution ids and entry numbers only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..backend import ApiProblem
from ..people import Person
from . import police_actions, police_issue
from .police_common import (
    CLOSED,
    PURPOSE,
    Police,
    action_text,
    backend,
    checked_id,
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
    page = (await backend(request).caution("GET", "/v1/worklist", who.token, params={
        "limit": 100, "cursor": cursor, "min_position": last_position(request)})).json()
    items: list[dict[str, Any]] = page["items"]
    concerns = await _concerns(request, who, [i for i in items if i["action"] == CONCERN])
    rest = [i for i in items if i["action"] != CONCERN]
    groups = [(heading, [i for i in rest if i["action"] in actions]) for heading, actions in GROUPS]
    grouped = {id(i) for _, found in groups for i in found}
    overdue = [i for i in rest if i["overdue"] and id(i) not in grouped]
    others = [i for i in rest if not i["overdue"] and id(i) not in grouped]
    return request.app.state.pages.render(request, "police/worklist.html", {
        "today": page["today"], "concerns": concerns, "groups": [*groups, ("Overdue", overdue),
                                                                 ("Other actions", others)],
        "empty": not items, "next_cursor": page.get("next_cursor"), "action_text": action_text})


async def _concerns(request: Request, who: Person, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The concern rows with each concern's urgency and category, urgent first. The worklist names neither, so each
    caution with a concern is read (its open concerns, oldest first, are its concern rows in order)."""
    ids = list(dict.fromkeys(row["caution_id"] for row in rows))
    read = await asyncio.gather(*(_open_concerns(request, who, caution_id) for caution_id in ids))
    open_by_caution = dict(zip(ids, read, strict=True))
    seen: dict[str, int] = {}
    found = []
    for row in rows:
        nth = seen[row["caution_id"]] = seen.get(row["caution_id"], -1) + 1
        concerns = open_by_caution[row["caution_id"]]
        concern = concerns[nth] if nth < len(concerns) else {}
        found.append({**row, "urgency": concern.get("urgency"), "category": concern.get("category"),
                      "entry": concern.get("entry")})
    return sorted(found, key=lambda c: (c["urgency"] != "urgent", not c["overdue"], c["due_on"] or ""))


async def _open_concerns(request: Request, who: Person, caution_id: str) -> list[dict[str, Any]]:
    try:
        caution = await read_caution(request, who, caution_id)
    except ApiProblem:  # gone from the force since the list was made: shown without its urgency
        return []
    return sorted(caution.get("open_safeguarding_concerns") or [], key=lambda c: c["entry"])


@router.get("/cautions/{caution_id}")
async def caution_page(request: Request, who: Police, caution_id: str) -> Response:
    caution_id = checked_id(caution_id)
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
        "caution": caution, "history": history, "actions": actions, "flash": request.session.pop("flash", None),
        "action_text": action_text, "purpose": PURPOSE["X-Purpose"]})
