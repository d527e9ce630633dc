"""What `GET /v1/consumer` says about the feed consumer, and what of it an operator must act on.

Issue 15's loss showed lag 0 and no error while events were missing: a position that moves tells nothing
about the events it moved past. So an open gap (events held back until it is filled) and any skipped event
(set aside, never notified) are errors here, not only a failed read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .store import utc


def _when(value: datetime | None) -> str | None:
    return utc(value).isoformat() if value else None


def last_gap(state: dict[str, Any]) -> dict[str, Any] | None:
    if state["gap_before"] is None:
        return None
    after, before = state["gap_after"], state["gap_before"]
    return {"after": after, "before": before, "missing": max(0, before - after - 1),
            "found_at": _when(state["gap_found_at"]), "filled_at": _when(state["gap_filled_at"]),
            "filled_by": state["gap_filled_by"]}


def errors(state: dict[str, Any]) -> list[str]:
    found = [state["last_error"]] if state["last_error"] else []
    gap = last_gap(state)
    if gap is not None and gap["filled_at"] is None:
        found.append(f"events {gap['after'] + 1} to {gap['before'] - 1} have not arrived; the events after them "
                     "wait until they do")
    if state["skipped_total"]:
        found.append(f"{state['skipped_total']} skipped event(s) made no notification; see skipped")
    return found


def status(state: dict[str, Any], source: str) -> dict[str, Any]:
    found = errors(state)
    return {
        "status": "error" if found else "ok",
        "errors": found,
        "source": source,
        "position": state["position"],
        "head": state["head"],
        "lag": max(0, state["head"] - state["position"]),
        "last_error": state["last_error"],
        "last_error_at": _when(state["last_error_at"]),
        "updated_at": _when(state["updated_at"]),
        "gaps": state["gaps"],
        "last_gap": last_gap(state),
        "skipped_total": state["skipped_total"],
        "skipped": [{**s, "skipped_at": _when(s["skipped_at"])} for s in state["skipped"]],
    }
