"""GET /api/v1/sessions/{id}/report: the X or Z report as JSON, HTML, PDF, plain text or
ESC/POS; GET …/report-link: a signed link to it that opens without authentication for a
few minutes (terminals sign in with a bearer token, which a browser window cannot send);
POST …/print and GET …/print-jobs: the profile's receipt printer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal, get_args

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from ninja import Field, Query, Router, Schema

from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.pos.api import session_for_read
from opentill.pos.models import Session
from opentill.reports import printing
from opentill.reports.models import PrintJob
from opentill.reports.selectors import session_report

router = Router(tags=["reports"])
ReportFormat = Literal["json", "html", "pdf", "text", "escpos"]
Paper = Literal["a4", "80", "58"]
FORMATS: tuple[str, ...] = get_args(ReportFormat)
PAPERS: tuple[str, ...] = get_args(Paper)
TEXT_COLUMNS = {"a4": 80, "80": 42, "58": 32}

_TEXT = {"schema": {"type": "string"}}
_BYTES = {"schema": {"type": "string", "format": "binary"}}
# What each format answers, for the OpenAPI document.
_REPORT_MEDIA = {
    "responses": {
        200: {
            "content": {
                "text/html": _TEXT,
                "application/pdf": _BYTES,
                "text/plain": _TEXT,
                "application/octet-stream": _BYTES,
            }
        }
    }
}
_EXPORT_MEDIA = {
    "responses": {
        200: {
            "description": "the file, streamed",
            "content": {
                "text/csv": _TEXT,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _BYTES,
                "text/plain": _TEXT,
            },
        }
    }
}


def _bad(name: str, value: str, allowed: tuple[str, ...]) -> Problem:
    return Problem(
        "validation_error",
        f"Unknown {name} {value!r}; use one of: {', '.join(allowed)}.",
        errors=[{"loc": ["query", name], "msg": f"one of {', '.join(allowed)}"}],
    )


def report_filename(report: dict[str, Any], extension: str) -> str:
    name = report["session"]["name"].replace("/", "-")
    return f"{report['kind']}-report-{name}.{extension}"


def check_format(format: str, paper: str | None) -> None:
    """A ``validation_error`` problem unless ``format`` and ``paper`` go together."""
    if format not in FORMATS:
        raise _bad("format", format, FORMATS)
    if paper is not None and paper not in PAPERS:
        raise _bad("paper", paper, PAPERS)
    if format == "escpos" and paper == "a4":
        raise _bad("paper", paper, ("80", "58"))


#: ``link(format, paper)`` → the URL of the same report in another format or paper size.
LinkMaker = Callable[[str, str | None], str]


def api_link(session_id: int) -> LinkMaker:
    """Links to the API endpoint (for callers authenticated by cookie or token)."""
    base = f"/api/v1/sessions/{session_id}/report"
    return lambda format, paper: f"{base}?format={format}" + (f"&paper={paper}" if paper else "")


def render_report(
    report: dict[str, Any],
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


@router.get(
    "/sessions/{session_id}/report",
    response={200: dict[str, Any], **problems(403, 404, 422)},
    openapi_extra=_REPORT_MEDIA,
)
def report(
    request: HttpRequest,
    session_id: int,
    format: ReportFormat = "json",
    paper: Paper | None = None,
) -> Any:
    """X report while open, Z report once closed. ``paper``: ``a4`` (default), ``80`` or
    ``58`` mm for HTML and text; ``80`` or ``58`` for ESC/POS (default: the profile's)."""
    check_format(format, paper)
    session = session_for_read(session_id, request.user)
    if format == "json":
        return session_report(session=session, user=request.user)
    return report_response(session, request.user, format=format, paper=paper)


class ReportLinkOut(Schema):
    url: str
    expires_in: int = Field(..., description="seconds the link stays valid")


@router.get(
    "/sessions/{session_id}/report-link",
    response={200: ReportLinkOut, **problems(403, 404, 422)},
)
def report_link(
    request: HttpRequest,
    session_id: int,
    format: ReportFormat = "html",
    paper: Paper | None = None,
) -> dict[str, Any]:
    """A link to the report (``format`` and ``paper`` as for …/report) that opens without
    authentication, as the requesting user sees it, for 10 minutes: for a browser window
    of a terminal that signs in with a bearer token. Same permission as the report."""
    from opentill.reports.views import REPORT_LINK_MAX_AGE, report_link_url

    check_format(format, paper)
    session = session_for_read(session_id, request.user)
    user_id = request.user.pk
    assert user_id is not None  # the API authenticates every request
    url = report_link_url(session_id=session.pk, format=format, paper=paper, user_id=user_id)
    return {"url": url, "expires_in": REPORT_LINK_MAX_AGE}


@router.post(
    "/sessions/{session_id}/print", response={200: dict[str, Any], **problems(403, 404, 409, 422)}
)
def print_report(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Print the X/Z report on the profile's receipt printer now (the Print button). The
    answer is the print job: ``status`` ``sent`` or ``failed`` with its ``error``."""
    session: Session = session_for_read(session_id, request.user)
    if not printing.printer_configured(session.profile):
        raise Problem(
            "invalid_state", f"The profile {session.profile.name!r} has no receipt printer."
        )
    job = printing.print_session(session=session, user=request.user)
    return printing.print_job_out(job)


@router.get(
    "/sessions/{session_id}/print-jobs",
    response={200: list[dict[str, Any]], **problems(403, 404, 422)},
)
def print_jobs(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    """The session's print jobs, newest first: automatic on close and from Print buttons."""
    session = session_for_read(session_id, request.user)
    return [printing.print_job_out(j) for j in PrintJob.objects.filter(session=session)[:50]]


class ExportQuery(Schema):
    start: date = Field(..., alias="from", description="first day, YYYY-MM-DD")
    end: date = Field(..., alias="to", description="last day (inclusive), YYYY-MM-DD")
    format: Literal["csv", "xlsx", "beancount"] = Field(
        "csv", description="csv, xlsx or (journal only) beancount"
    )


@router.get(
    "/exports/{dataset}",
    response={200: None, **problems(403, 404, 422)},
    openapi_extra=_EXPORT_MEDIA,
)
def export(request: HttpRequest, dataset: str, query: Query[ExportQuery]) -> HttpResponseBase:
    """Managers and accountants: ``sessions``, ``orders``, ``payments`` or ``journal`` of the
    days ``from``–``to`` (inclusive) as ``csv``, ``xlsx`` or (journal) ``beancount``,
    streamed. Managers listed on stores get those stores' records."""
    from opentill.reports import exports
    from opentill.reports.views import export_response, may_see_reports
    from opentill.stores.access import visible_store_ids

    if not may_see_reports(request.user):
        raise Problem("forbidden", "Exports are for managers and accountants.")
    if dataset not in exports.DATASETS:
        raise Problem(
            "not_found", f"No export {dataset!r}; use one of: {', '.join(exports.DATASETS)}."
        )
    start, end, format = query.start, query.end, query.format
    if format not in exports.FORMATS or (format == "beancount" and dataset != "journal"):
        allowed = exports.FORMATS if dataset == "journal" else ("csv", "xlsx")
        raise _bad("format", format, allowed)
    try:
        data = exports.dataset(dataset, start, end, store_ids=visible_store_ids(request.user))
    except exports.ExportError as exc:
        raise Problem(
            "validation_error", str(exc), errors=[{"loc": ["query", "to"], "msg": str(exc)}]
        ) from None
    return export_response(data, format, exports.export_filename(dataset, format, start, end))
