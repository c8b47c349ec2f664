"""GET /api/v1/sessions/{id}/report: the X or Z report as JSON, HTML, PDF, plain text or
ESC/POS; GET …/report-link: a signed link to it that opens without authentication for a
few minutes (terminals sign in with a bearer token, which a browser window cannot send);
POST …/print and GET …/print-jobs: the profile's receipt printer."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, Query, Router, Schema

from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.identity.roles import may_see_reports
from opentill.pos.models import Session
from opentill.pos.selectors import session_for_read
from opentill.reports import printing
from opentill.reports.models import PrintJob
from opentill.reports.responses import (
    Paper,
    ReportFormat,
    bad_choice,
    check_format,
    export_response,
    report_response,
)
from opentill.reports.selectors import session_report

router = Router(tags=["reports"])

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
    from opentill.reports.links import REPORT_LINK_MAX_AGE, report_link_url

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
        raise bad_choice("format", format, allowed)
    try:
        data = exports.dataset(dataset, start, end, store_ids=visible_store_ids(request.user))
    except exports.ExportError as exc:
        raise Problem(
            "validation_error", str(exc), errors=[{"loc": ["query", "to"], "msg": str(exc)}]
        ) from None
    return export_response(data, format, exports.export_filename(dataset, format, start, end))
