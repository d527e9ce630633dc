"""What every PDF the caution service gives out shares: the embedded font, the paragraph styles, the page, the
bordered table. The court certificate (certificate.py) and the subject access export (subject_access.py) use it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
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
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

FONT_FILES = Path(font_source_sans_pro.__file__).parent / "files"
CELL_PADDING = 6 + 6  # reportlab's default left and right padding of a table cell, in points
SMALLEST_FONT = 5.5  # a word is shrunk at most to this size to fit its cell whole; past it, it is wrapped
MARGIN = 16 * mm


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


def fitted(text: Any, width: float, style: str = "small", *, break_after: str | None = None,
           smallest: float = SMALLEST_FONT) -> Paragraph:
    """The text as a paragraph `width` points wide in which no word is split mid-word: a word wider than the width
    shrinks the whole paragraph's type (down to SMALLEST_FONT) until it fits, and one too wide even then (a long
    account id) may break only after its own hyphens. A court reads "Work" and "shop" as two words; reportlab splits
    a word only when it is wider than the line, so none is. `break_after`: a separator after which the text always
    starts a new line (a date, then its time). `smallest`: the floor of the shrinking (an address a court copies
    whole may go lower than prose)."""
    chosen = styles()[style]
    words = str(text).split()

    def width_of(word: str, size: float) -> float:
        return pdfmetrics.stringWidth(word, chosen.fontName, size)

    widest = max((width_of(word, chosen.fontSize) for word in words), default=0.0)
    size = chosen.fontSize if widest <= width else max(smallest, chosen.fontSize * width / widest * 0.98)
    if any(width_of(word, size) > width for word in words):
        markup = " ".join(_at_hyphens(word, width, lambda w: width_of(w, size)) for word in words)
    else:
        markup = escape(str(text))
    if break_after:
        markup = markup.replace(escape(break_after), escape(break_after).rstrip() + "<br/>")
    if size == chosen.fontSize:
        return Paragraph(markup, chosen)
    shrunk = chosen.clone(f"{chosen.name}-{size:.2f}", fontSize=size, leading=size * chosen.leading / chosen.fontSize)
    return Paragraph(markup, shrunk)


def _at_hyphens(word: str, width: float, width_of: Callable[[str], float]) -> str:
    """`word` as markup: as it is when it fits, else in lines that break only after its own hyphens."""
    if width_of(word) <= width:
        return escape(word)
    lines: list[str] = []
    for part in re.findall(r"[^-]*-|[^-]+$", word):
        if lines and width_of(lines[-1] + part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return "<br/>".join(escape(line) for line in lines)


class _NumberedCanvas(Canvas):
    """Draws "Page x of y" (and the footer) on every page once the number of pages is known: each page is kept as
    drawn and written out at the end, the second pass (reportlab's own two-pass recipe)."""

    footer = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own, untyped

    def save(self) -> None:
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        styles()  # the font is registered
        self.saveState()
        self.setFont("CaraSans", 8)
        self.setFillColor(colors.dimgrey)
        width, _ = A4
        if self.footer:
            self.drawString(MARGIN, 9 * mm, self.footer)
        self.drawRightString(width - MARGIN, 9 * mm, f"Page {number} of {total}")
        self.restoreState()


def build(story: list[Flowable], title: str, footer: str = "") -> bytes:
    """The story as an A4 PDF with the service's margins, "Page x of y" and the footer on every page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=title, author="CARA compliance tracker",
    )
    footer_text = footer

    class FooteredCanvas(_NumberedCanvas):
        footer = footer_text

    doc.build(story, canvasmaker=FooteredCanvas)
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


def fitted_grid(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, header_row: bool = False) -> Table:
    """`grid` of texts, each cell `fitted` to its column so that no word in it is split (a cell already a
    paragraph is taken as it is)."""
    return grid([[text if isinstance(text, Paragraph) else fitted(text, width - CELL_PADDING)
                  for text, width in zip(row, widths, strict=True)] for row in rows], widths, header_row=header_row)


def labelled(rows: Sequence[tuple[str, Any]]) -> Table:
    """Label and value, one pair a row, across the page."""
    return fitted_grid(rows, [38 * mm, 140 * mm])
