"""The verdict on a caution's compliance, with the reasons the court reads beside it.

The outcome follows the caution's status; the reasons are sentences about its facts, or, for a
breach or a withdrawal, the history's own sentence for that decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .caution import Caution
from .values import Status

VERDICTS = {
    Status.COMPLETED: "complied",
    Status.BREACHED: "not_complied",
    Status.WITHDRAWN: "withdrawn",
}


def verdict(c: Caution, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The outcome and its reasons; `entries` are the history's entries shown with it (event_type, summary)."""
    outcome = VERDICTS.get(c.status, "in_progress")
    return {"outcome": outcome, "reasons": _reasons(c, outcome, entries)}


def _reasons(c: Caution, outcome: str, entries: Sequence[Mapping[str, Any]]) -> list[str]:
    if outcome == "complied":
        a, b = c.attended_a_at, c.attended_b_at
        assert a is not None and b is not None  # completion is refused without both
        return [
            f"Workshop A attended on {a.date()}.",
            f"Workshop B attended on {b.date()}, {(b.date() - a.date()).days} days after A.",
            "The victim was contacted after workshop A.",
            f"Both workshops inside the caution period (ended {c.period_ends_on}).",
        ]
    if outcome in ("not_complied", "withdrawn"):
        closing = "Breached" if outcome == "not_complied" else "Withdrawn"
        return [e["summary"] for e in entries if e["event_type"] == closing][-1:]
    reasons = [f"Not yet met: {item}." for item in c.unmet_conditions()]
    reasons.append(f"The caution period ends on {c.period_ends_on}.")
    if c.deadline_passed:
        reasons.append("The caution period has ended without completion; a police decision is due.")
    if c.breach_referred:
        reasons.append("An excuse was rejected; the case is referred for a breach decision.")
    return reasons
