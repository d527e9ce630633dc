"""The compliance history a court reads: ordered entries, the verdict with reasons, and the integrity chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.caution import Caution
from ..domain.values import Status
from .entries import GENESIS, entry_content, entry_from_row, entry_hash

VERDICTS = {
    Status.COMPLETED: "complied",
    Status.BREACHED: "not_complied",
    Status.WITHDRAWN: "withdrawn",
}


def verdict(c: Caution, entries: list[dict[str, Any]]) -> dict[str, Any]:
    outcome = VERDICTS.get(c.status, "in_progress")
    return {"outcome": outcome, "reasons": _reasons(c, outcome, entries)}


def _reasons(c: Caution, outcome: str, entries: list[dict[str, Any]]) -> list[str]:
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


def entry_view(row: Any) -> dict[str, Any]:
    entry = entry_from_row(row)
    return {
        **entry.content(),
        "position": row.position,
        "previous_hash": row.previous_hash,
        "hash": row.entry_hash,
        "corrected_by": [],
    }


def link_corrections(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_number = {e["entry"]: e for e in entries}
    for e in entries:
        if e["corrects_entry"] in by_number:
            by_number[e["corrects_entry"]]["corrected_by"].append(e["entry"])
    return entries


@dataclass(frozen=True)
class Verification:
    intact: bool
    entries_checked: int
    entries_pending: int
    digest: str
    first_broken_entry: int | None
    problem: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "entries_checked": self.entries_checked,
            "entries_pending": self.entries_pending,
            "digest": self.digest,
            "first_broken_entry": self.first_broken_entry,
            "problem": self.problem,
        }


def verify(events: list[Any], rows: list[Any]) -> Verification:
    """Recompute the chain from the event store and compare it, entry by entry, with the stored history."""
    expected: list[tuple[dict[str, Any], str, str]] = []  # (entry content, previous hash, hash)
    previous = GENESIS
    for event in events:
        content = entry_content(event)
        digest = entry_hash(content, previous)
        expected.append((content, previous, digest))
        previous = digest
    for index, row in enumerate(rows):
        if index >= len(expected):
            return _broken(index, row.entry, "The stored history has an entry with no event in the event store.", expected)
        content, prev_hash, digest = expected[index]
        number = content["entry"]
        if row.entry != number:
            return _broken(index, number, f"Entry {number} is missing from the stored history.", expected)
        if entry_from_row(row).content() != content:
            return _broken(index, number, f"Entry {number} differs from the event it records.", expected)
        if row.previous_hash != prev_hash or row.entry_hash != digest:
            return _broken(index, number, f"Entry {number}'s hash does not match its content and predecessor.", expected)
    checked = len(rows)
    digest = expected[checked - 1][2] if checked else GENESIS
    return Verification(True, checked, len(expected) - checked, digest, None, None)


def _broken(index: int, entry: int, problem: str, expected: list[tuple[dict[str, Any], str, str]]) -> Verification:
    digest = expected[-1][2] if expected else GENESIS
    return Verification(False, index, 0, digest, entry, problem)
