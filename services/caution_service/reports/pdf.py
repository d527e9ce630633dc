"""The outcomes report as a PDF a commissioner can put in a board paper: the cohort's outcomes by period as stacked
bars and the completion rates as a trend line (reportlab's own charts, vector, in the PDF), then the tables.

Small counts by gender print as "<5" (reports/outcomes.py says the rule)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.uk_time import uk_moment_text

from ..pdf import MARGIN, styles
from .outcomes import COUNTS, GENDERS, shown

FONT = "CaraSans"
OUTCOME_COLOURS = {  # colour-blind-safe (Okabe-Ito), and distinct in greyscale print
    "completed": colors.HexColor("#009E73"),
    "breached_prosecute": colors.HexColor("#D55E00"),
    "breached_nfa": colors.HexColor("#E69F00"),
    "withdrawn": colors.HexColor("#999999"),
    "out_of_time": colors.HexColor("#CC79A7"),
    "open": colors.HexColor("#56B4E9"),
}
LABELS = {"issued": "Issued", "open": "Open", "completed": "Completed", "breached_prosecute": "Breached: prosecute",
          "breached_nfa": "Breached: no further action", "withdrawn": "Withdrawn", "out_of_time": "Out of time",
          "not_recorded": "Not recorded", "female": "Female", "male": "Male", "other": "Other",
          "conditional_caution": "Conditional caution", "diversionary_caution": "Diversionary caution"}
WIDTH = A4[0] - 2 * MARGIN
_GRID = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                    ("FONTNAME", (0, 0), (-1, 0), "CaraSans-Bold"), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])


def outcomes_chart(answer: dict[str, Any]) -> Drawing:
    """Each period's cohort as one bar, stacked by outcome."""
    periods = answer["periods"]
    drawing = Drawing(WIDTH, 78 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 40, int(WIDTH - 180), int(78 * mm - 60)
    chart.categoryAxis.style = "stacked"
    order = ("completed", "breached_prosecute", "breached_nfa", "withdrawn", "out_of_time", "open")
    chart.data = [[p["cohort"][name] for p in periods] for name in order]
    chart.categoryAxis.categoryNames = [p["period"] for p in periods]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 45 if len(periods) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(periods) > 6 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = True
    chart.barSpacing = 0
    for i, name in enumerate(order):
        chart.bars[i].fillColor = OUTCOME_COLOURS[name]
        chart.bars[i].strokeColor = colors.white
        chart.bars[i].strokeWidth = 0.3
    legend = Legend()
    legend.x, legend.y = int(WIDTH - 140), int(78 * mm - 25)
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = len(order)  # one column beside the bars
    legend.colorNamePairs = [(OUTCOME_COLOURS[name], LABELS[name]) for name in reversed(order)]
    drawing.add(chart)
    drawing.add(legend)
    drawing.add(String(0, 78 * mm - 10, "Cautions issued in each period, by outcome so far", fontName="CaraSans-Bold",
                       fontSize=9))
    return drawing


def rates_chart(answer: dict[str, Any]) -> Drawing:
    """The completion rates (of those closed, and of the cohort) and the breach rate of those closed, by period."""
    periods = answer["periods"]
    drawing = Drawing(WIDTH, 70 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 30, 40, int(WIDTH - 180), int(70 * mm - 60)
    series = (("completion_rate_of_closed", "Completion rate (of those closed)", colors.HexColor("#009E73")),
              ("completion_rate_of_cohort", "Completion rate (of the cohort)", colors.HexColor("#0072B2")),
              ("breach_rate_of_closed", "Breach rate (of those closed)", colors.HexColor("#D55E00")))
    # A period with nothing to divide by leaves a gap in its line (no point is drawn for None). A line with no point
    # at all is left out (reportlab cannot draw it), and with none to draw the chart says so.
    lines = [([None if p["rates"][name] is None else 100 * p["rates"][name] for p in periods], label, colour)
             for name, label, colour in series]
    lines = [line for line in lines if any(value is not None for value in line[0])]
    drawing.add(String(0, 70 * mm - 10, "Completion and breach rates by period", fontName="CaraSans-Bold", fontSize=9))
    if not lines:
        drawing.add(String(30, 70 * mm - 40, "No caution of these periods has closed yet.", fontName=FONT, fontSize=8))
        return drawing
    chart.data = [values for values, _, _ in lines]
    chart.categoryAxis.categoryNames = [p["period"] for p in periods]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 45 if len(periods) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(periods) > 6 else "n"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.joinedLines = True
    for i, (_, _, colour) in enumerate(lines):
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 1.6
        chart.lines[i].symbol = makeMarker("FilledCircle", size=3, fillColor=colour, strokeColor=colour)
    legend = Legend()
    legend.x, legend.y = int(WIDTH - 140), int(70 * mm - 25)
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = len(lines)
    legend.colorNamePairs = [(colour, label) for _, label, colour in lines]
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def _percent(value: Any) -> str:
    if isinstance(value, dict):
        return "c" if value.get("suppressed") else _percent(value.get("rate"))
    return "none" if value is None else f"{100 * value:.0f}%"


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    """A grid whose header cells wrap (the long ones would run into each other)."""
    header = [Paragraph(str(cell), styles()["small"]) for cell in rows[0]]
    table = Table([header, *rows[1:]], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_GRID)
    return table


def render(answer: dict[str, Any], scope_name: str, generated_at: datetime) -> bytes:
    s = styles()
    total = answer["total"]
    periods = answer["periods"]
    story: list[Any] = [
        Paragraph("Conditional caution outcomes: report to the Police and Crime Commissioner", s["Title"]),
        Paragraph(f"{scope_name}. Cohorts issued {answer['from']} to {answer['to']}, by {answer['by']}. "
                  f"Figures as recorded at {uk_moment_text(generated_at)}; a cohort's figures change as its "
                  "cautions close.", s["small"]),
        Spacer(0, 3 * mm),
        _table([["Whole range", "Issued", "Completed", "Breached", "Withdrawn", "Out of time", "Open",
                 "Completion (closed)", "Completion (cohort)"],
                [total["period"], total["cohort"]["issued"], total["cohort"]["completed"],
                 total["cohort"]["breached_prosecute"] + total["cohort"]["breached_nfa"],
                 total["cohort"]["withdrawn"], total["cohort"]["out_of_time"], total["cohort"]["open"],
                 _percent(total["rates"]["completion_rate_of_closed"]),
                 _percent(total["rates"]["completion_rate_of_cohort"])]]),
        Spacer(0, 4 * mm),
        outcomes_chart(answer),
        rates_chart(answer),
        PageBreak(),
        Paragraph("Outcomes by period", s["Heading2"]),
        _table([["Period", *(LABELS[name] for name in COUNTS), "Completion (closed)", "Breach (closed)"]]
               + [[p["period"], *(p["cohort"][name] for name in COUNTS),
                   _percent(p["rates"]["completion_rate_of_closed"]), _percent(p["rates"]["breach_rate_of_closed"])]
                  for p in periods]),
        Paragraph("By legal basis (whole range)", s["Heading2"]),
        _table([["Legal basis", *(LABELS[name] for name in COUNTS), "Completion (closed)"]]
               + [[LABELS.get(basis, basis), *(figures[name] for name in COUNTS),
                   _percent(figures["completion_rate_of_closed"])]
                  for basis, figures in total["by_legal_basis"].items()]),
        Paragraph("By gender (whole range; counts of 1 to 4 shown as &lt;5)", s["Heading2"]),
        _table([["Gender", *(LABELS[name] for name in COUNTS), "Completion (closed)"]]
               + [[LABELS[gender], *(shown(total["by_gender"][gender][name]) for name in COUNTS),
                   _percent(total["by_gender"][gender]["completion_rate_of_closed"])] for gender in GENDERS]),
        Paragraph("Timeliness, victim contact, safeguarding and sessions by period", s["Heading2"]),
        _table([["Period", "First contact (days) median / p90", "Workshop A median / p90", "Completion median / p90",
                 "Victim contacted after A / unable / declined", "Concerns (acknowledged)",
                 "Acknowledged in (min) median / p90", "Sessions held", "Fill rate"]]
               + [[p["period"], *(f"{shown(p['days'][m]['median'])} / {shown(p['days'][m]['p90'])}"
                                  for m in ("first_contact", "workshop_a", "completion")),
                   " / ".join(str(v) for v in p["victim_contacts"]["after_workshop_a"].values()),
                   f"{p['safeguarding']['concerns']} ({p['safeguarding']['acknowledged']})",
                   f"{shown(p['safeguarding']['acknowledgement_minutes']['median'])} / "
                   f"{shown(p['safeguarding']['acknowledgement_minutes']['p90'])}",
                   p["sessions"]["held"], _percent(p["sessions"]["fill_rate"])] for p in [*periods, total]],
               widths=[22 * mm, 20 * mm, 18 * mm, 18 * mm, 26 * mm, 18 * mm, 22 * mm, 14 * mm, 14 * mm]),
        Spacer(0, 3 * mm),
        Paragraph("Definitions", s["Heading2"]),
        *(Paragraph(f"<b>{name.replace('_', ' ')}</b>: {text}", s["small"])
          for name, text in answer["definitions"].items()),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                      title="Conditional caution outcomes", author="CARA").build(story)
    return out.getvalue()
