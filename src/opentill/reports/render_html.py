"""The report as a printable HTML page (A4 or 80/58 mm roll), laid out from the same
:class:`~opentill.reports.document.Document` as the PDF, text and ESC/POS formats."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from opentill.reports.document import RIGHT, Document, Paragraph, build_document
from opentill.reports.model import SessionReport

PAPERS = ("a4", "80", "58")


def _context(doc: Document) -> list[dict[str, Any]]:
    sections = []
    for section in doc.sections:
        blocks: list[dict[str, Any]] = []
        wide = False
        for block in section.blocks:
            if isinstance(block, Paragraph):
                blocks.append({"type": "p", "text": block.text})
                continue
            aligns = ["n" if c.align == RIGHT else "" for c in block.columns]
            wide = wide or len(block.columns) > 4
            blocks.append(
                {
                    "type": "table",
                    "kv": not block.header,
                    "head": list(zip([c.title for c in block.columns], aligns, strict=True)),
                    "rows": [list(zip(row, aligns, strict=True)) for row in block.rows],
                    "total": list(zip(block.total, aligns, strict=True)) if block.total else None,
                    "empty": block.empty,
                    "span": len(block.columns),
                }
            )
        sections.append({"title": section.title, "blocks": blocks, "wide": wide})
    return sections


def render_html(
    report: SessionReport, *, paper: str = "a4", links: dict[str, str] | None = None
) -> str:
    """The report page; ``paper`` sets the print layout (``a4``, ``80`` or ``58`` mm);
    ``links`` (label → URL) are shown on screen only, e.g. the PDF and the other papers."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    doc = build_document(report)
    return render_to_string(
        "reports/session_report.html",
        {
            "doc": doc,
            "sections": _context(doc),
            "paper": paper,
            "roll": paper != "a4",
            "links": links or {},
            "r": report,
        },
    )
