"""How a session report and an export are answered: the format checks, the rendering in
each format and the HTTP responses that the API endpoints and the signed link share."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any, Literal, get_args

from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from opentill.common.problems import Problem
from opentill.pos.models import Session
from opentill.reports import exports
from opentill.reports.model import SessionReport
from opentill.reports.selectors import session_report

ReportFormat = Literal["json", "html", "pdf", "text", "escpos"]
Paper = Literal["a4", "80", "58"]
FORMATS: tuple[str, ...] = get_args(ReportFormat)
PAPERS: tuple[str, ...] = get_args(Paper)
TEXT_COLUMNS = {"a4": 80, "80": 42, "58": 32}


def bad_choice(name: str, value: str, allowed: tuple[str, ...]) -> Problem:
    return Problem(
        "validation_error",
        f"Unknown {name} {value!r}; use one of: {', '.join(allowed)}.",
        errors=[{"loc": ["query", name], "msg": f"one of {', '.join(allowed)}"}],
    )


def report_filename(report: SessionReport, extension: str) -> str:
    name = report["session"]["name"].replace("/", "-")
    return f"{report['kind']}-report-{name}.{extension}"


def check_format(format: str, paper: str | None) -> None:
    """A ``validation_error`` problem unless ``format`` and ``paper`` go together."""
    if format not in FORMATS:
        raise bad_choice("format", format, FORMATS)
    if paper is not None and paper not in PAPERS:
        raise bad_choice("paper", paper, PAPERS)
    if format == "escpos" and paper == "a4":
        raise bad_choice("paper", paper, ("80", "58"))


#: ``link(format, paper)`` → the URL of the same report in another format or paper size.
LinkMaker = Callable[[str, str | None], str]


def api_link(session_id: int) -> LinkMaker:
    """Links to the API endpoint (for callers authenticated by cookie or token)."""
    base = f"/api/v1/sessions/{session_id}/report"
    return lambda format, paper: f"{base}?format={format}" + (f"&paper={paper}" if paper else "")


def render_report(
    report: SessionReport,
    *,
    format: str,
    paper: str | None,
    default_paper: int = 80,
    link: LinkMaker | None = None,
) -> tuple[bytes | str, str, str | None]:
    """(body, content type, download file name or None) of the report in ``format``.
    ``link`` makes the HTML page's links to the other papers and formats (default: the
    API endpoint)."""
    if format == "html":
        from opentill.reports.render_html import render_html

        link = link or api_link(report["session"]["id"])
        links = {
            "A4": link("html", "a4"),
            "80 mm": link("html", "80"),
            "58 mm": link("html", "58"),
            "PDF": link("pdf", None),
            "Text": link("text", None),
        }
        return (
            render_html(report, paper=paper or "a4", links=links),
            "text/html; charset=utf-8",
            None,
        )
    if format == "pdf":
        from opentill.reports.render_pdf import render_pdf

        return render_pdf(report), "application/pdf", report_filename(report, "pdf")
    if format == "text":
        from opentill.reports.render_text import render_text

        return (
            render_text(report, width=TEXT_COLUMNS[paper or "a4"]),
            "text/plain; charset=utf-8",
            None,
        )
    if format == "escpos":
        from opentill.reports.render_escpos import render_escpos

        width = int(paper) if paper in ("80", "58") else default_paper
        return (
            render_escpos(report, paper=width),
            "application/octet-stream",
            report_filename(report, "escpos"),
        )
    raise ValueError(format)


def report_response(
    session: Session,
    user: Any,
    *,
    format: str,
    paper: str | None,
    link: LinkMaker | None = None,
) -> HttpResponse:
    """The report of ``session`` as ``user`` sees it, as a response in ``format`` (checked
    with :func:`check_format` before): the API endpoint's answer and the signed link's."""
    data = session_report(session=session, user=user)
    if format == "json":
        return JsonResponse(data)
    body, content_type, filename = render_report(
        data, format=format, paper=paper, default_paper=session.profile.printer_width, link=link
    )
    response = HttpResponse(body, content_type=content_type)
    if filename:
        disposition = "inline" if format == "pdf" else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def export_response(dataset: exports.Dataset, format: str, filename: str) -> HttpResponseBase:
    """Stream the export: CSV and beancount chunk by chunk; XLSX through a temporary file
    (openpyxl writes it in streaming mode, the response reads it back in blocks)."""
    if format == "xlsx":
        spool = tempfile.TemporaryFile()
        exports.write_xlsx(dataset, spool)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    chunks = exports.csv_chunks(dataset) if format == "csv" else exports.beancount_chunks(dataset)
    response = StreamingHttpResponse(
        (c.encode() for c in chunks),
        content_type="text/csv; charset=utf-8" if format == "csv" else "text/plain; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
