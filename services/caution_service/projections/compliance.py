"""The compliance history a court reads: ordered entries and the integrity chain (the verdict is domain/verdict.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .entries import GENESIS, entry_content, entry_from_row, entry_hash


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
            return _broken(index, row.entry, "The stored history has an entry with no event in the event store.",
                           expected)
        content, prev_hash, digest = expected[index]
        number = content["entry"]
        if row.entry != number:
            return _broken(index, number, f"Entry {number} is missing from the stored history.", expected)
        if entry_from_row(row).content() != content:
            return _broken(index, number, f"Entry {number} differs from the event it records.", expected)
        if row.previous_hash != prev_hash or row.entry_hash != digest:
            return _broken(index, number, f"Entry {number}'s hash does not match its content and predecessor.",
                           expected)
    checked = len(rows)
    digest = expected[checked - 1][2] if checked else GENESIS
    return Verification(True, checked, len(expected) - checked, digest, None, None)


def _broken(index: int, entry: int, problem: str, expected: list[tuple[dict[str, Any], str, str]]) -> Verification:
    digest = expected[-1][2] if expected else GENESIS
    return Verification(False, index, 0, digest, entry, problem)
