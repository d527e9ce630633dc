"""The verdict on a caution's compliance, with the reasons the court reads beside it.

The outcome follows the caution's status; the reasons are sentences about its facts, or, for a
breach or a withdrawal, the history's own sentence for that decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.uk_time import uk_time_text

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
    if outcome == "complied" and not c.conditions_met_by_facts:
        outcome = "not_complied"  # the completion was recorded, but the facts as corrected do not meet the conditions
    return {"outcome": outcome, "reasons": _reasons(c, outcome, entries) + correction_reasons(c, entries)}


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


# ----- corrections (issue 17) ---------------------------------------------------------------------------


def correction_reasons(c: Caution, entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the verdict must say about corrections: each entry struck out as recorded in error or re-timed (the
    verdict is decided from the facts as corrected), and a completion the corrected facts no longer support."""
    kinds = {e["entry"]: e["event_type"] for e in entries}
    reasons = []
    for e in entries:
        if e["event_type"] != "EntryCorrected":
            continue
        d, by = e["details"], e["entry"]
        corrected = f"Entry {d['corrects_version']} ({d['corrected_type']})"
        reason = str(d["reason"]).rstrip(".")
        if d.get("recorded_in_error"):
            reasons.append(f"{corrected} was recorded in error (corrected by entry {by}): {reason}.")
        elif d.get("corrected_occurred_at"):
            when = uk_time_text(datetime.fromisoformat(d["corrected_occurred_at"]))
            reasons.append(f"{corrected} happened at {when} (corrected by entry {by}): {reason}.")
    if c.status is Status.COMPLETED and not c.conditions_met_by_facts:
        closing = c.closing_entry
        which = f"entry {closing}" if closing is not None and kinds.get(closing) == "Completed" else "the completion"
        reasons.append(f"The completion ({which}) no longer rests on the facts as corrected: "
                       + "; ".join(c.unmet_by_facts()) + ".")
    return reasons
