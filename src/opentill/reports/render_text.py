"""The report as plain text lines of a fixed width: a text file (80 columns) and the lines
a thermal printer prints (42 columns on 80 mm paper, 32 on 58 mm). Pure: no Django import.

Tables keep their columns when they fit the width (wrapping long text cells), and fall
back to one block per row (the row's name, then one "column ... value" line per figure)
when they do not, so a narrow printer never cuts a number.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from opentill.reports.document import RIGHT, Document, Paragraph, Table, build_document
from opentill.reports.model import SessionReport

TEXT_WIDTH = 80
MIN_TEXT_COLUMN = 8

# Line styles, for renderers that can emphasise (ESC/POS): plain text ignores them.
NORMAL = "normal"
TITLE = "title"
HEADING = "heading"
BOLD = "bold"
CENTER = "center"


@dataclass(frozen=True)
class Line:
    text: str
    style: str = NORMAL


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _kv_lines(label: str, value: str, width: int, style: str = NORMAL) -> list[Line]:
    if len(label) + 1 + len(value) <= width:
        return [Line(label + " " * (width - len(label) - len(value)) + value, style)]
    lines = [Line(t, style) for t in _wrap(label, width)]
    lines += [Line(t.rjust(width), style) for t in _wrap(value, width)]
    return lines


def _fit(widths: list[int], aligns: list[str], width: int, gap: int) -> list[int] | None:
    """Column widths that fit ``width`` with ``gap`` spaces between columns, shrinking the
    text (left-aligned) columns first; ``None`` when even that is not enough."""
    widths = list(widths)
    gaps = gap * (len(widths) - 1)
    while sum(widths) + gaps > width:
        text_cols = [i for i, a in enumerate(aligns) if a != RIGHT and widths[i] > MIN_TEXT_COLUMN]
        if not text_cols:
            return None
        widest = max(text_cols, key=lambda i: widths[i])
        widths[widest] -= 1
    # The spare width goes to the last text column, so figures line up at the right margin.
    text_cols = [i for i, a in enumerate(aligns) if a != RIGHT] or [0]
    widths[text_cols[-1]] += width - (sum(widths) + gaps)
    return widths


def _row_lines(
    cells: list[str], widths: list[int], aligns: list[str], style: str, gap: int
) -> list[Line]:
    wrapped = [
        _wrap(cell, w) if a != RIGHT else [cell]
        for cell, w, a in zip(cells, widths, aligns, strict=True)
    ]
    height = max(len(w) for w in wrapped)
    lines = []
    for i in range(height):
        parts = []
        for cell_lines, w, a in zip(wrapped, widths, aligns, strict=True):
            text = cell_lines[i] if i < len(cell_lines) else ""
            parts.append(text.rjust(w) if a == RIGHT else text.ljust(w))
        lines.append(Line((" " * gap).join(parts).rstrip(), style))
    return lines


def table_lines(table: Table, width: int) -> list[Line]:
    if not table.rows:
        return [Line(t) for t in _wrap(table.empty, width)] if table.empty else []
    if not table.header:
        return [ln for row in table.rows for ln in _kv_lines(row[0], row[1], width)] + (
            _kv_lines(table.total[0], table.total[1], width, BOLD) if table.total else []
        )
    aligns = [c.align for c in table.columns]
    titles = [c.title for c in table.columns]
    every = [titles, *table.rows, *([table.total] if table.total else [])]
    natural = [max(len(row[i]) for row in every) for i in range(len(titles))]
    gap = 2
    widths = _fit(natural, aligns, width, gap)
    if widths is None:
        gap = 1
        widths = _fit(natural, aligns, width, gap)
    if widths is not None:
        lines = _row_lines(titles, widths, aligns, BOLD, gap)
        lines.append(Line("-" * width))
        for row in table.rows:
            lines += _row_lines(row, widths, aligns, NORMAL, gap)
        if table.total:
            lines.append(Line("-" * width))
            lines += _row_lines(table.total, widths, aligns, BOLD, gap)
        return lines
    # Too narrow for columns: one block per row.
    lines = []
    for row, style in [(r, NORMAL) for r in table.rows] + (
        [(table.total, BOLD)] if table.total else []
    ):
        lines += [Line(t, BOLD) for t in _wrap(row[0], width)]
        for title, cell in zip(titles[1:], row[1:], strict=True):
            if cell:
                lines += _kv_lines("  " + title, cell, width, style)
    return lines


def layout(doc: Document, width: int, *, title_width: int | None = None) -> list[Line]:
    """The document as lines of at most ``width`` characters (the title at most
    ``title_width``: a printer prints it double width)."""
    lines = [Line(t, TITLE) for t in _wrap(doc.title, title_width or width)]
    lines += [Line(t, CENTER) for t in _wrap(doc.subtitle, width)]
    for section in doc.sections:
        lines.append(Line(""))
        lines.append(Line(section.title.upper()[:width], HEADING))
        lines.append(Line("=" * width))
        for i, block in enumerate(section.blocks):
            if i:
                lines.append(Line(""))
            if isinstance(block, Paragraph):
                lines += [Line(t) for t in _wrap(block.text, width)]
            else:
                lines += table_lines(block, width)
    for role, name in doc.signatures:
        lines += [Line(""), Line(""), Line(f"{role}: {name}".strip().rstrip(":")[:width])]
        lines += [Line(""), Line("_" * min(width, 32))]
    if doc.footer:
        lines += [Line(""), Line(doc.footer[:width], CENTER)]
    return lines


def _center(text: str, width: int) -> str:
    return text.center(width).rstrip()


def render_text(report: SessionReport, *, width: int = TEXT_WIDTH) -> str:
    """The report as plain text, ``width`` columns wide."""
    out = []
    for line in layout(build_document(report), width):
        out.append(_center(line.text, width) if line.style in (TITLE, CENTER) else line.text)
    return "\n".join(out) + "\n"
