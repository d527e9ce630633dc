"""The court certificate: the compliance history as a PDF a court can file. Victim by reference only."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import font_source_sans_pro
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .projections.compliance import Verification

LEGAL_BASIS = {
    "conditional_caution": "Conditional caution, Criminal Justice Act 2003 ss.22-27",
    "diversionary_caution": "Diversionary caution, Police, Crime, Sentencing and Courts Act 2022 Part 6",
}
OUTCOMES = {
    "complied": "COMPLIED with the conditions",
    "not_complied": "DID NOT COMPLY with the conditions",
    "withdrawn": "WITHDRAWN (the caution was set aside)",
    "in_progress": "IN PROGRESS (the caution period has not concluded)",
}
FONT_FILES = Path(font_source_sans_pro.__file__).parent / "files"


@cache
def styles() -> dict[str, ParagraphStyle]:
    """An embedded font with Latin Extended glyphs: names such as Łukasz Wójcik must print, not show boxes."""
    pdfmetrics.registerFont(TTFont("CaraSans", str(FONT_FILES / "SourceSansPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont("CaraSans-Bold", str(FONT_FILES / "SourceSansPro-Bold.ttf")))
    pdfmetrics.registerFontFamily("CaraSans", normal="CaraSans", bold="CaraSans-Bold")
    base = getSampleStyleSheet()
    bold = {"Title", "Heading2", "Heading4"}
    chosen: dict[str, ParagraphStyle] = {}
    for name in ("Title", "Heading2", "Heading4", "BodyText"):
        style = base[name]
        assert isinstance(style, ParagraphStyle)  # the sample sheet also holds list styles
        chosen[name] = style.clone(f"cara-{name}", fontName="CaraSans-Bold" if name in bold else "CaraSans")
    chosen["small"] = chosen["BodyText"].clone("cara-small", fontSize=8, leading=10)
    chosen["url"] = chosen["BodyText"].clone("cara-url", fontName="Courier", fontSize=7, leading=9)
    return chosen


def _p(text: Any, style: str = "small") -> Paragraph:
    return Paragraph(escape(str(text)), styles()[style])


def render_certificate(
    history: dict[str, Any], caution: dict[str, Any], generated_at: datetime, base_url: str, check: Verification
) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"CARA compliance certificate {caution['police_reference']}", author="CARA compliance tracker",
    )
    story: list[Any] = [
        _p("CARA compliance certificate", "Title"),
        _p(f"Generated {generated_at.isoformat(timespec='seconds')}"
           + (f"; the record as it stood at {history['as_of']}" if history.get("as_of")
              else "; the record as it stands now"),
           "BodyText"),
        Spacer(1, 4 * mm),
        _facts_table(caution),
        Spacer(1, 5 * mm),
        _p(f"Verdict: {OUTCOMES[history['verdict']['outcome']]}", "Heading2"),
    ]
    story += [_p(f"- {reason}", "BodyText") for reason in history["verdict"]["reasons"]]
    story += [Spacer(1, 4 * mm), _p("Timeline", "Heading2"), _timeline(history["entries"])]
    story += [
        Spacer(1, 5 * mm),
        _p("Integrity", "Heading2"),
        _p(f"Digest (SHA-256 chain over {len(history['entries'])} entries):", "BodyText"),
        _p(history["digest"], "url"),
        _p("Each entry's hash covers its content and the previous entry's hash, so any later change to any "
           "entry changes this digest. To verify, request the address below: it recomputes the chain from the "
           "event store and must report intact with the same digest.", "BodyText"),
        _p(f"{base_url}/v1/cautions/{caution['id']}/compliance-history/verification", "url"),
        _p(_check_line(check), "Heading4"),
    ]
    doc.build(story)
    return buffer.getvalue()


def _check_line(check: Verification) -> str:
    if check.intact:
        return f"Checked against the event store when generated: intact ({check.entries_checked} entries)."
    return ("WARNING: checked against the event store when generated: "
            f"NOT INTACT at entry {check.first_broken_entry}. {check.problem}")


def _facts_table(c: dict[str, Any]) -> Table:
    o, off, officer, cond = c["offender"], c["offence"], c["issuing_officer"], c["conditions"]
    rows = [
        ("Caution", f"{c['police_reference']} (system id {c['id']})"),
        ("Force", c["force"]),
        ("Legal basis", LEGAL_BASIS.get(c["legal_basis"], c["legal_basis"])),
        ("Offender", _offender(o, c["personal_data"]["offender"])),
        ("Offence", f"{off['category'].replace('_', ' ')} on {off['committed_on']}"),
        ("Victim", f"reference {c['victim']['reference']} (details withheld)"),
        ("Issued", f"{c['issued_at']} by {officer['name']} ({officer['rank'].replace('_', ' ')}, {officer['id']})"),
        ("Conditions", f"attend workshop A, then workshop B at least {cond['min_days_between_workshops']} days later, "
                       "both within the caution period; "
                       f"first provider contact within {cond['first_contact_days']} days"),
        ("Caution period ends", c["period_ends_on"]),
    ]
    table = Table([[_p(k), _p(v)] for k, v in rows], colWidths=[38 * mm, 140 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    return table


def _offender(offender: dict[str, Any], data: dict[str, Any]) -> str:
    """By the force's reference alone: a certificate leaves the system, so it carries no name or date of birth
    (the court reads those from the API), and says when the person's data was erased or restricted."""
    line = f"reference {offender['reference']}"
    if data["state"] != "held":
        line += f"; personal data {data['state']} on {data['on']} under {data['legal_basis']}: {data['reason']}"
    return line


def _human(iso: str) -> str:
    """`2026-03-02T10:00:00+00:00` as `02 Mar 2026 10:00 (UTC+00:00)`: readable, and it wraps cleanly."""
    moment = datetime.fromisoformat(iso)
    offset = moment.isoformat()[-6:] if moment.utcoffset() is not None else ""
    return f"{moment:%d %b %Y %H:%M} (UTC{offset})"


def _timeline(entries: list[dict[str, Any]]) -> Table:
    header = [_p(h) for h in ("No.", "Happened", "Recorded", "Recorded by", "What happened")]
    rows = [header]
    for e in entries:
        by = e["recorded_by"]
        corrected_by = ", ".join(map(str, e["corrected_by"]))
        what = e["summary"] + (f" (corrected by entry {corrected_by})" if e["corrected_by"] else "")
        rows.append([_p(e["entry"]), _p(_human(e["occurred_at"])), _p(_human(e["recorded_at"])),
                     _p(f"{by['role']} {by['id']} ({by['force']})"), _p(what)])
    table = Table(rows, colWidths=[10 * mm, 32 * mm, 32 * mm, 34 * mm, 70 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    return table
