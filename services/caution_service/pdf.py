"""What every PDF the caution service gives out shares: the embedded font, the paragraph styles, the page, the
bordered table. The court certificate (certificate.py) and the subject access export (subject_access.py) use it."""

from __future__ import annotations

import io
from collections.abc import Sequence
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
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

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


def para(text: Any, style: str = "small") -> Paragraph:
    """The text as given (escaped: caller-given text is never markup)."""
    return Paragraph(escape(str(text)), styles()[style])


def build(story: list[Flowable], title: str) -> bytes:
    """The story as an A4 PDF with the service's margins."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=title, author="CARA compliance tracker",
    )
    doc.build(story)
    return buffer.getvalue()


def grid(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, header_row: bool = False) -> Table:
    """A bordered table of cells (each a paragraph); the first column shaded as labels, or the first row as a
    header repeated on every page."""
    table = Table([list(row) for row in rows], colWidths=list(widths), repeatRows=1 if header_row else 0)
    shaded = (0, 0), ((-1, 0) if header_row else (0, -1))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", shaded[0], shaded[1],
                                colors.lightgrey if header_row else colors.whitesmoke)]))
    return table


def labelled(rows: Sequence[tuple[str, Any]]) -> Table:
    """Label and value, one pair a row, across the page."""
    return grid([[para(k), para(v)] for k, v in rows], [38 * mm, 140 * mm])
