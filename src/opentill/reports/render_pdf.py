"""The report as an A4 PDF (ReportLab, pure Python: no system library), laid out from the
same :class:`~opentill.reports.document.Document` as the HTML, text and ESC/POS formats."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from opentill.reports.document import RIGHT, Document, Section, build_document
from opentill.reports.document import Paragraph as DocParagraph
from opentill.reports.document import Table as DocTable
from opentill.reports.model import SessionReport

FONT = "OpenTillSans"
FONT_BOLD = "OpenTillSans-Bold"
MARGIN = 16 * mm
INK = colors.HexColor("#111111")
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#cccccc")


def _fonts() -> None:
    """Bitstream Vera, shipped inside ReportLab: embedded, so accents print everywhere and
    the text extracts exactly."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=10.5, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=17, leading=21),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=10, leading=13, textColor=GREY),
        "h2": ParagraphStyle(
            "h2", base, fontName=FONT_BOLD, fontSize=9.5, leading=12, spaceBefore=9, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", base, leading=10),
        "bold": ParagraphStyle("bold", base, fontName=FONT_BOLD, leading=10),
        "footer": ParagraphStyle("footer", base, fontSize=7.5, textColor=GREY, alignment=TA_CENTER),
    }


class _Rule(Flowable):
    """The line under a section title."""

    def __init__(self, width: float) -> None:  # float ok: points on the page
        super().__init__()
        self.width = width
        self.height = 1.2

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1.2)
        self.canv.line(0, 0, self.width, 0)


def _table(
    block: DocTable,
    width: float,  # float ok: points
    st: dict[str, ParagraphStyle],
) -> Flowable:
    aligns = [c.align for c in block.columns]
    if not block.rows:
        return Paragraph(escape(block.empty), st["cell"])

    def cells(row: list[str], bold: bool = False) -> list[Any]:
        style = st["bold"] if bold else st["cell"]
        return [
            cell if align == RIGHT else Paragraph(escape(cell), style)
            for cell, align in zip(row, aligns, strict=True)
        ]

    data: list[list[Any]] = []
    if block.header:
        data.append(cells([c.title for c in block.columns], bold=True))
    data += [cells(row) for row in block.rows]
    if block.total:
        data.append(cells(block.total, bold=True))

    if block.header:
        every = [
            [c.title for c in block.columns],
            *block.rows,
            *([block.total] if block.total else []),
        ]
        numeric = [
            max(18 * mm, max(pdfmetrics.stringWidth(row[i], FONT_BOLD, 8.5) for row in every) + 8)
            for i in range(len(aligns))
        ]
        text_cols = [i for i, a in enumerate(aligns) if a != RIGHT]
        free = width - sum(numeric[i] for i, a in enumerate(aligns) if a == RIGHT)
        col_widths = [
            numeric[i] if a == RIGHT else free / len(text_cols) for i, a in enumerate(aligns)
        ]
    else:
        kv_width = min(width, 110 * mm)
        col_widths = [kv_width - 38 * mm, 38 * mm]
    table = Table(data, colWidths=col_widths, repeatRows=1 if block.header else 0, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    for i, align in enumerate(aligns):
        if align == RIGHT:
            style.append(("ALIGN", (i, 0), (i, -1), "RIGHT"))
    if block.header:
        style += [
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ]
    if block.total:
        style += [
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 8.5),
            ("LINEABOVE", (0, -1), (-1, -1), 1, INK),
            ("LINEBELOW", (0, -1), (-1, -1), 0, colors.white),
        ]
    table.setStyle(TableStyle(style))
    return table


def _is_kv(section: Section) -> bool:
    return all(isinstance(b, DocTable) and not b.header for b in section.blocks)


def _section(
    section: Section,
    width: float,  # float ok: points
    st: dict[str, ParagraphStyle],
) -> list[Flowable]:
    flow: list[Flowable] = [
        Paragraph(escape(section.title.upper()), st["h2"]),
        _Rule(width),
        Spacer(1, 1.5 * mm),
    ]
    for block in section.blocks:
        if isinstance(block, DocParagraph):
            flow.append(Paragraph(escape(block.text), st["base"]))
        else:
            flow.append(_table(block, width, st))
        flow.append(Spacer(1, 1.5 * mm))
    return flow


def _signatures(
    doc: Document,
    width: float,  # float ok: points
    st: dict[str, ParagraphStyle],
) -> Flowable:
    n = len(doc.signatures)
    gap = 12 * mm
    box = (width - gap * (n - 1)) / n
    cells: list[Any] = []
    col_widths: list[float] = []
    for i, (role, name) in enumerate(doc.signatures):
        if i:
            cells.append("")
            col_widths.append(gap)
        cells.append(Paragraph(escape(f"{role}: {name}" if name else role), st["base"]))
        col_widths.append(box)
    sign = Table(
        [[""] * len(cells), cells],
        colWidths=col_widths,
        rowHeights=[18 * mm, None],
        hAlign="LEFT",
    )
    sign.setStyle(
        TableStyle(
            [("LINEBELOW", (i, 0), (i, 0), 0.8, INK) for i in range(0, len(cells), 2)]
            + [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
        )
    )
    return KeepTogether([Spacer(1, 6 * mm), sign])


def _story(doc: Document, width: float) -> list[Flowable]:  # float ok: points on the page
    st = _styles()
    story: list[Flowable] = [
        Paragraph(escape(doc.title), st["title"]),
        Paragraph(escape(doc.subtitle), st["subtitle"]),
        Spacer(1, 2 * mm),
    ]
    sections = list(doc.sections)
    i = 0
    while i < len(sections):
        section = sections[i]
        if _is_kv(section) and i + 1 < len(sections) and _is_kv(sections[i + 1]):
            # Two key/value sections (session and sales) side by side.
            half = (width - 10 * mm) / 2
            pair = Table(
                [[_section(section, half, st), "", _section(sections[i + 1], half, st)]],
                colWidths=[half, 10 * mm, half],
                hAlign="LEFT",
            )
            pair.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ]
                )
            )
            story.append(pair)
            i += 2
            continue
        flow = _section(section, width, st)
        # Small sections stay on one page; long tables may break (their header repeats).
        if sum(len(b.rows) for b in section.blocks if isinstance(b, DocTable)) <= 20:
            story.append(KeepTogether(flow))
        else:
            story += [CondPageBreak(30 * mm), *flow]
        i += 1
    story.append(_signatures(doc, width, st))
    return story


def _numbered_canvas(doc: Document) -> type[pdfcanvas.Canvas]:
    """A canvas that writes "page n of m" and the report's name on every page."""

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _ = self._pagesize
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawString(MARGIN, 9 * mm, doc.title)
            if doc.footer:
                self.drawCentredString(width / 2, 9 * mm, doc.footer)
            self.drawRightString(width - MARGIN, 9 * mm, f"Page {self._pageNumber} of {total}")

    return NumberedCanvas


def render_pdf(report: SessionReport) -> bytes:
    """The report as an A4 PDF document."""
    _fonts()
    doc = build_document(report)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=doc.title,
        author=report.get("company", ""),
        subject=doc.subtitle,
        creator="OpenTill",
    )
    template.build(_story(doc, template.width), canvasmaker=_numbered_canvas(doc))
    return buffer.getvalue()
