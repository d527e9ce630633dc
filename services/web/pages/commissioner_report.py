"""The outcomes report as the commissioner's dashboard shows it: figures in words, and bar charts drawn here as
inline SVG (no script; the page's CSP admits no inline style, so bars are sized by attributes and coloured by
class). Each chart is an image with a text alternative naming what it shows, and the page puts a table of the same
figures under it: the chart is for a glance, the table for reading.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

OUTCOMES = {"completed": "Completed", "breached_prosecute": "Breached: prosecuted",
            "breached_nfa": "Breached: no further action", "withdrawn": "Withdrawn", "open": "Open",
            "out_of_time": "Out of time, no decision yet"}
RATES = {"completion_rate_of_closed": "completed, of those closed",
         "breach_rate_of_closed": "breached, of those closed",
         "completion_rate_of_cohort": "completed, of all issued", "breach_rate_of_cohort": "breached, of all issued"}
STEPS = {"first_contact": "First contact by the provider", "workshop_a": "Workshop A attended",
         "completion": "Completion"}
BASES = {"conditional_caution": "Conditional caution", "diversionary_caution": "Diversionary caution"}
GENDERS = {"female": "Female", "male": "Male", "other": "Other", "not_recorded": "Not recorded"}
CONTACT_STAGES = {"after_workshop_a": "After workshop A", "on_completion": "On completion"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW_HEIGHT, PAD = 230, 330, 80, 30, 6


def percent(value: float | None) -> str:
    """A rate (0-1) as "66.7%"; "No figure" when it has no denominator (nothing to divide by yet)."""
    if value is None:
        return "No figure"
    text = f"{value * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def number(value: Any, unit: str = "") -> str:
    if value is None:
        return "No figure"
    return f"{value:,}{unit}"


def period_words(label: str) -> str:
    """"2026-03" -> "March 2026"; "2026-Q1" -> "January to March 2026"."""
    year, _, part = label.partition("-")
    if part.startswith("Q") and part[1:].isdigit():
        first = (int(part[1:]) - 1) * 3
        return f"{MONTHS[first]} to {MONTHS[first + 2]} {year}"
    if part.isdigit() and 1 <= int(part) <= 12:
        return f"{MONTHS[int(part) - 1]} {year}"
    return label


def split_cell(cell: Any) -> str:
    """A figure of the split by gender: "<5" where a small count is withheld, "c" where a count is withheld so that
    another cannot be worked out (or a rate rests on one withheld), as the CSV and PDF print them."""
    if isinstance(cell, dict):
        if cell.get("suppressed"):
            return "c" if cell.get("secondary") or "rate" in cell else "<5"
        if "rate" in cell:
            return percent(cell["rate"])
        return number(cell.get("count"))
    return number(cell)


def bar_chart(chart_id: str, description: str, rows: list[tuple[str, float | None, str]]) -> Markup:
    """Horizontal bars, one per (label, value, value as words); an image named by `description`."""
    top = max((value or 0 for _, value, _ in rows), default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = PAD * 2 + ROW_HEIGHT * max(len(rows), 1)
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="{}" viewBox="0 0 {} {}" '
                    'width="100%" role="img" aria-label="{}" focusable="false"><title>{}</title>')
             .format(chart_id, width, height, description, description)]
    for index, (label, value, shown) in enumerate(rows):
        y = PAD + index * ROW_HEIGHT
        middle = y + ROW_HEIGHT / 2
        bar = round(BAR_WIDTH * (value or 0) / top, 1)
        parts.append(Markup(
            '<text class="app-bar-label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>'
            '<rect class="app-bar" x="{}" y="{}" width="{}" height="{}"></rect>'
            '<text class="app-bar-label" x="{}" y="{}" dominant-baseline="middle">{}</text>').format(
            LABEL_WIDTH - 8, middle, label, LABEL_WIDTH, y + 5, bar, ROW_HEIGHT - 10,
            LABEL_WIDTH + bar + 6, middle, shown))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def dashboard(report: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, worked out from the report: headline figures, rates, each chart with its rows."""
    total = report["total"]
    cohort = total["cohort"]
    breached = cohort["breached_prosecute"] + cohort["breached_nfa"]
    periods = report["periods"]
    span = f"{period_words(periods[0]['period'])} to {period_words(periods[-1]['period'])}"
    outcome_rows = [(words, cohort[code], number(cohort[code])) for code, words in OUTCOMES.items()]
    period_rows = [(period_words(p["period"]), p["cohort"]["issued"], number(p["cohort"]["issued"]))
                   for p in periods]
    day_rows = [(words, total["days"][code]["median"], number(total["days"][code]["median"], " days"))
                for code, words in STEPS.items()]
    return {
        "span": span,
        "headline": [(cohort["issued"], "cautions issued"), (cohort["completed"], "completed"),
                     (breached, "breached"), (cohort["open"] + cohort["out_of_time"], "still open")],
        "rates": [(percent(total["rates"][code]), words) for code, words in RATES.items()],
        "charts": {
            "outcomes": bar_chart("chart-outcomes", f"Bar chart: what became of the {cohort['issued']} cautions "
                                  f"issued from {span}. The table after it gives the figures.", outcome_rows),
            "periods": bar_chart("chart-periods", f"Bar chart: cautions issued in each period from {span}. "
                                 "The table after it gives the figures.", period_rows),
            "days": bar_chart("chart-days", "Bar chart: median days from issue to each step. The table after it "
                              "gives the figures.", day_rows),
        },
        "outcome_rows": outcome_rows,
        "total": total,
        "periods": [{"words": period_words(p["period"]), **p} for p in periods],
    }
