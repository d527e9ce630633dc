"""The Police and Crime Commissioner's outcomes report (issue 19 item 5), from the projector's sums (outcome_cells,
outcome_durations, outcome_session_cells: projections/outcomes.py), never from the event store.

Cohorts: a caution counts in the period of the UK month it was issued, whatever happened since, so "of those issued
in March, how many completed" is read down one column; figures for recent cohorts move as their cautions close.
Everything about a caution (its outcome, its days, its victim contacts, its safeguarding concerns) is in its cohort.
Sessions are the exception: they count in the UK month they were on.

Definitions (also in the answer's `definitions`):

- closed = completed + breached (prosecute, no further action) + withdrawn.
- completion rate of those closed = completed / closed; breach rate of those closed = breached / closed.
- completion rate of the cohort = completed / issued; breach rate of the cohort = breached / issued (open and
  out-of-time cautions count in the denominator: a young cohort's rates of the cohort are low because they are not
  closed yet).
- A rate is null when its denominator is 0. Rates are fractions (0-1) to 4 places.
- Median and 90th percentile: nearest rank (the smallest value at least that share of the cautions took: the
  ceil(p * n)-th value in order), so every figure is a whole number of days (minutes) that some caution took.
  Days are UK days from the UK day of issue; a caution that has not reached the step is not counted.
- Acknowledgement: minutes from the concern being recorded (when police were told) to the acknowledgement as it
  occurred; concerns not acknowledged are counted, and not timed.
- Fill rate = places filled at the register / places offered, over the sessions held (their register recorded).

Disclosure control (small numbers): a commissioner's board paper is published, and a cell counting one or two people
by a personal characteristic can identify them to anyone who knows the area. Following the Office for National
Statistics' disclosure control practice for published tables (ONS, "Disclosure control guidance for tables produced
from administrative sources"; GSS/ONS "Statistical disclosure control" guidance on threshold rules), every count of
1 to 4 in a split by gender is suppressed: null with `suppressed: true` in JSON, "<5" in CSV and PDF. So that a
suppressed cell cannot be worked back from the others and the unsplit total, when only one cell of a row
(a measure across the genders) is suppressed, the next smallest non-zero cell of that row is suppressed too
(secondary suppression), printed "c" (confidential) in CSV and PDF, as ONS tables mark it. A rate in the split is
withheld when any count it is made from is. Zeros are shown: a zero discloses nothing about a person. Splits by legal
basis and the unsplit totals count no one by a personal characteristic and are shown in full.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, true

from ..projections.outcomes import ACKNOWLEDGEMENT, DAY_MEASURES, GENDERS, OUTCOMES, SUMMED
from ..projections.tables import outcome_cells, outcome_durations, outcome_session_cells

SUPPRESS_BELOW = 5  # counts 1 to 4 in a split by gender are withheld
LEGAL_BASES = ("conditional_caution", "diversionary_caution")
BREACHED = ("breached_prosecute", "breached_nfa")
CLOSED = ("completed", *BREACHED, "withdrawn")
COUNTS = ("issued", *OUTCOMES)
RATES = ("completion_rate_of_closed", "breach_rate_of_closed", "completion_rate_of_cohort", "breach_rate_of_cohort")
CONTACTS = {"after_workshop_a": ("contact_a_contacted", "contact_a_unable", "contact_a_declined"),
            "on_completion": ("contact_completion_contacted", "contact_completion_unable",
                              "contact_completion_declined")}
CONTACT_OUTCOMES = ("contacted", "unable", "declined")

DEFINITIONS = {
    "cohort": "cautions issued in the period (UK month of issue), whatever has happened since",
    "closed": "completed + breached_prosecute + breached_nfa + withdrawn",
    "out_of_time": "open, the caution period ended with the conditions unmet, and no decision yet",
    "completion_rate_of_closed": "completed / closed",
    "breach_rate_of_closed": "(breached_prosecute + breached_nfa) / closed",
    "completion_rate_of_cohort": "completed / issued",
    "breach_rate_of_cohort": "(breached_prosecute + breached_nfa) / issued",
    "rates": "fractions 0-1 to 4 places; null when the denominator is 0",
    "percentiles": "nearest rank: the ceil(p*n)-th smallest value; days are UK days from the UK day of issue",
    "acknowledgement_minutes": "from the concern being recorded to its acknowledgement; unacknowledged not timed",
    "sessions": "held = register recorded, counted in the UK month the session was on; "
                "fill_rate = places filled at the register / places offered",
    "suppressed": "counts 1-4 in a split by gender (and, when one alone in a row, the next smallest) are withheld "
                  "(ONS disclosure control practice)",
}


@dataclass(frozen=True)
class Period:
    label: str  # "2026-03" or "2026-Q1"
    months: tuple[str, ...]


def periods(first: tuple[int, int], last: tuple[int, int], by: str) -> list[Period]:
    """The months from `first` to `last` (year, month) inclusive, as months or calendar quarters."""
    months = []
    year, month = first
    while (year, month) <= last:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if by == "month":
        return [Period(f"{y:04d}-{m:02d}", (f"{y:04d}-{m:02d}",)) for y, m in months]
    grouped: dict[str, list[str]] = {}
    for y, m in months:
        grouped.setdefault(f"{y:04d}-Q{(m - 1) // 3 + 1}", []).append(f"{y:04d}-{m:02d}")
    return [Period(label, tuple(ms)) for label, ms in grouped.items()]


def nearest_rank(counts: dict[int, int], share: float) -> int | None:
    """The smallest value at least `share` of the counted took (nearest rank); None when nothing is counted."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None  # not reached: the ranks add up to the total


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _rates(counts: dict[str, int]) -> dict[str, float | None]:
    closed = sum(counts[name] for name in CLOSED)
    breached = sum(counts[name] for name in BREACHED)
    return {"completion_rate_of_closed": rate(counts["completed"], closed),
            "breach_rate_of_closed": rate(breached, closed),
            "completion_rate_of_cohort": rate(counts["completed"], counts["issued"]),
            "breach_rate_of_cohort": rate(breached, counts["issued"])}


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


class _Sums:
    """One period's sums, read from the cells."""

    def __init__(self) -> None:
        self.counts = _zero_counts()
        self.by_basis: dict[str, dict[str, int]] = {basis: _zero_counts() for basis in LEGAL_BASES}
        self.by_gender: dict[str, dict[str, int]] = {gender: _zero_counts() for gender in GENDERS}
        self.summed: dict[str, int] = dict.fromkeys(SUMMED, 0)
        self.durations: dict[str, dict[int, int]] = {m: defaultdict(int) for m in (*DAY_MEASURES, ACKNOWLEDGEMENT)}
        self.sessions = [0, 0, 0]

    def add_cell(self, legal_basis: str, gender: str, outcome: str, sums: dict[str, int]) -> None:
        n = sums["cautions"]
        for counts in (self.counts, self.by_basis.setdefault(legal_basis, _zero_counts()),
                       self.by_gender.setdefault(gender, _zero_counts())):
            counts["issued"] += n
            counts[outcome] = counts.get(outcome, 0) + n
        for name, value in sums.items():
            self.summed[name] += value

    def json(self, label: str, months: Sequence[str]) -> dict[str, Any]:
        held, places, filled = self.sessions
        return {
            "period": label,
            "months": list(months),
            "cohort": dict(self.counts),
            "rates": _rates(self.counts),
            "by_legal_basis": {basis: {**counts, **_rates(counts)} for basis, counts in self.by_basis.items()},
            "by_gender": suppressed_split(self.by_gender),
            "days": {measure: {"median": nearest_rank(self.durations[measure], 0.5),
                               "p90": nearest_rank(self.durations[measure], 0.9),
                               "counted": sum(self.durations[measure].values())} for measure in DAY_MEASURES},
            "victim_contacts": {stage: dict(zip(CONTACT_OUTCOMES, (self.summed[c] for c in columns), strict=True))
                                for stage, columns in CONTACTS.items()},
            "safeguarding": {
                "concerns": self.summed["concerns"],
                "acknowledged": self.summed["concerns_acknowledged"],
                "acknowledgement_minutes": {"median": nearest_rank(self.durations[ACKNOWLEDGEMENT], 0.5),
                                            "p90": nearest_rank(self.durations[ACKNOWLEDGEMENT], 0.9)},
            },
            "sessions": {"held": held, "places": places, "filled": filled, "fill_rate": rate(filled, places)},
        }


def suppressed_split(split: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """A split by gender with small counts withheld (the module's docstring says the rule): each count as
    {"count": n | null, "suppressed": bool}, with `"secondary": true` on a count withheld only so that another
    cannot be worked out; each rate null with `suppressed: true` when a count it rests on is withheld."""
    withheld: dict[str, set[str]] = {gender: set() for gender in split}
    secondary: dict[str, set[str]] = {gender: set() for gender in split}
    for measure in COUNTS:
        row = {gender: counts[measure] for gender, counts in split.items()}
        primary = [g for g, n in row.items() if 0 < n < SUPPRESS_BELOW]
        for gender in primary:
            withheld[gender].add(measure)
        if len(primary) == 1:
            others = sorted((n, g) for g, n in row.items() if g not in primary and n > 0)
            if others:
                withheld[others[0][1]].add(measure)
                secondary[others[0][1]].add(measure)
    answer: dict[str, dict[str, Any]] = {}
    for gender, counts in split.items():
        cells: dict[str, Any] = {}
        for measure in COUNTS:
            hidden = measure in withheld[gender]
            cells[measure] = {"count": None if hidden else counts[measure], "suppressed": hidden}
            if measure in secondary[gender]:
                cells[measure]["secondary"] = True
        # every rate rests on issued or on closed (completed, breached, withdrawn); open and out of time alone not
        rests_on = bool(withheld[gender] & {*CLOSED, "issued"})
        for name, value in _rates(counts).items():
            cells[name] = {"rate": None if rests_on else value, "suppressed": rests_on}
        answer[gender] = cells
    return answer


def report(engine: Engine, force: str | None, chosen: list[Period], by: str) -> dict[str, Any]:
    """The report for one force, or every force (`force` None), over the chosen periods, with the whole range's
    figures as `total`."""
    months = [m for p in chosen for m in p.months]
    first, last = months[0], months[-1]
    c, d, s = outcome_cells.c, outcome_durations.c, outcome_session_cells.c

    def of_force(column: Any) -> Any:
        return column == force if force is not None else true()

    cells = (select(c.cohort_month, c.legal_basis, c.gender, c.outcome, *(func.sum(c[n]).label(n) for n in SUMMED))
             .where(of_force(c.force), c.cohort_month.between(first, last))
             .group_by(c.cohort_month, c.legal_basis, c.gender, c.outcome))
    durations = (select(d.cohort_month, d.measure, d.value, func.sum(d.count).label("n"))
                 .where(of_force(d.force), d.cohort_month.between(first, last))
                 .group_by(d.cohort_month, d.measure, d.value))
    sessions = (select(s.month, func.sum(s.sessions_held), func.sum(s.places), func.sum(s.filled))
                .where(of_force(s.force), s.month.between(first, last)).group_by(s.month))
    with engine.connect() as connection:
        cell_rows = connection.execute(cells).all()
        duration_rows = connection.execute(durations).all()
        session_rows = connection.execute(sessions).all()
    period_of = {m: p.label for p in chosen for m in p.months}
    sums: dict[str, _Sums] = {p.label: _Sums() for p in chosen}
    total = _Sums()
    for row in cell_rows:
        values = {name: int(getattr(row, name) or 0) for name in SUMMED}
        for target in (sums[period_of[row.cohort_month]], total):
            target.add_cell(row.legal_basis, row.gender, row.outcome, values)
    for row in duration_rows:
        for target in (sums[period_of[row.cohort_month]], total):
            target.durations.setdefault(row.measure, defaultdict(int))[int(row.value)] += int(row.n or 0)
    for month, held, places, filled in session_rows:
        for target in (sums[period_of[month]], total):
            target.sessions = [a + int(b or 0) for a, b in zip(target.sessions, (held, places, filled), strict=True)]
    return {
        "scope": force if force is not None else "national",
        "from": first,
        "to": last,
        "by": by,
        "definitions": DEFINITIONS,
        "periods": [sums[p.label].json(p.label, p.months) for p in chosen],
        "total": total.json(f"{chosen[0].label} to {chosen[-1].label}", months),
    }


def shown(cell: Any) -> str:
    """A count or rate as CSV and PDF print it: "<5" where withheld as small, "c" (confidential, as ONS tables mark
    it) where withheld so that another cannot be worked out, "" where there is none."""
    if isinstance(cell, dict):
        if cell.get("suppressed"):
            return "c" if cell.get("secondary") or "rate" in cell else "<5"
        cell = cell.get("count", cell.get("rate"))
    if cell is None:
        return ""
    return f"{cell:.4f}" if isinstance(cell, float) else str(cell)


def flat_rows(answer: dict[str, Any]) -> Iterable[tuple[str, str, str, str, str]]:
    """The report as (period, section, group, measure, value) rows: what the CSV holds, one figure a row."""
    for period in [*answer["periods"], answer["total"]]:
        label = period["period"]
        for name, value in period["cohort"].items():
            yield label, "cohort", "all", name, shown(value)
        for name, value in period["rates"].items():
            yield label, "rates", "all", name, shown(value)
        for basis, figures in period["by_legal_basis"].items():
            for name, value in figures.items():
                yield label, "legal_basis", basis, name, shown(value)
        for gender, figures in period["by_gender"].items():
            for name, value in figures.items():
                yield label, "gender", gender, name, shown(value)
        for measure, figures in period["days"].items():
            for name, value in figures.items():
                yield label, "days", measure, name, shown(value)
        for stage, figures in period["victim_contacts"].items():
            for name, value in figures.items():
                yield label, "victim_contacts", stage, name, shown(value)
        safeguarding = period["safeguarding"]
        yield label, "safeguarding", "all", "concerns", shown(safeguarding["concerns"])
        yield label, "safeguarding", "all", "acknowledged", shown(safeguarding["acknowledged"])
        for name, value in safeguarding["acknowledgement_minutes"].items():
            yield label, "safeguarding", "acknowledgement_minutes", name, shown(value)
        for name, value in period["sessions"].items():
            yield label, "sessions", "all", name, shown(value)
