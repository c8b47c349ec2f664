"""GET /api/v1/sessions/{id}/report: the X or Z report as JSON or a printable page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from ninja import Router

from opentill.common.problems import Problem
from opentill.pos.api import session_for_read
from opentill.reports.selectors import session_report

router = Router(tags=["reports"])
FORMATS = ("json", "html")


@router.get("/sessions/{session_id}/report", response=dict[str, Any])
def report(request: HttpRequest, session_id: int, format: str = "json") -> Any:
    if format not in FORMATS:
        raise Problem(
            "validation_error",
            f"Unknown format {format!r}; use one of: {', '.join(FORMATS)}.",
            errors=[{"loc": ["query", "format"], "msg": f"one of {', '.join(FORMATS)}"}],
        )
    session = session_for_read(session_id, request.user)
    data = session_report(session=session, user=request.user)
    if format == "html":
        return HttpResponse(
            render_to_string("reports/session_report.html", {"r": data}),
            content_type="text/html; charset=utf-8",
        )
    return data
