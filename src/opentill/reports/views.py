"""Back-office pages of the reports context: the dashboard, the exports and the session
page's Print button. Managers and accountants only; a manager listed on stores sees those.
And the signed report link (``/reports/s/<token>``) that a terminal opens in a window."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from opentill.common.problems import Problem, problem_document
from opentill.identity.roles import is_accountant, is_manager
from opentill.pos.access import session_may_read
from opentill.pos.models import Session
from opentill.reports import exports, printing
from opentill.reports.dashboard import dashboard
from opentill.reports.models import PrintJob
from opentill.stores.access import visible_store_ids

DEFAULT_DAYS = 30


def may_see_reports(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or is_manager(user) or is_accountant(user)))


def _check(request: HttpRequest) -> None:
    if not may_see_reports(request.user):
        raise PermissionDenied("Reports are for managers and accountants.")


def _range(request: HttpRequest) -> tuple[date, date, str]:
    today = timezone.localdate()
    error = ""
    try:
        end = date.fromisoformat(request.GET["to"]) if request.GET.get("to") else today
        start = (
            date.fromisoformat(request.GET["from"])
            if request.GET.get("from")
            else end - timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError:
        start, end, error = today - timedelta(days=DEFAULT_DAYS - 1), today, "Dates are YYYY-MM-DD."
    if end < start:
        start, end, error = end, start, "The range was reversed."
    if (end - start).days > 366:
        start, error = end - timedelta(days=366), "The dashboard shows at most a year."
    return start, end, error


def dashboard_view(request: HttpRequest) -> HttpResponse:
    _check(request)
    start, end, error = _range(request)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "panels": dashboard(start=start, end=end, store_ids=visible_store_ids(request.user)),
        "start": start,
        "end": end,
        "error": error,
    }
    return TemplateResponse(request, "reports/admin/dashboard.html", context)


def exports_view(request: HttpRequest) -> HttpResponseBase:
    _check(request)
    today = timezone.localdate()
    data = request.GET
    error = ""
    if data.get("download"):
        try:
            start = date.fromisoformat(data.get("from", ""))
            end = date.fromisoformat(data.get("to", ""))
            name, format = data.get("dataset", ""), data.get("format", "")
            if format not in exports.FORMATS:
                raise exports.ExportError(f"unknown format {format!r}")
            if format == "beancount" and name != "journal":
                raise exports.ExportError("the beancount format is for journal entries only")
            dataset = exports.dataset(name, start, end, store_ids=visible_store_ids(request.user))
        except (ValueError, exports.ExportError) as exc:
            error = str(exc)
        else:
            return export_response(
                dataset, format, exports.export_filename(name, format, start, end)
            )
    start = today.replace(day=1)
    counts = None
    if data.get("from") and data.get("to"):
        try:
            start = date.fromisoformat(data["from"])
            end = date.fromisoformat(data["to"])
            stores = visible_store_ids(request.user)
            counts = {
                n: exports.dataset(n, start, end, store_ids=stores).count()
                for n in exports.DATASETS
            }
        except (ValueError, exports.ExportError) as exc:
            error = error or str(exc)
    context = {
        **admin.site.each_context(request),
        "title": "Exports for accountants",
        "datasets": [
            ("sessions", "Sessions"),
            ("orders", "Orders"),
            ("payments", "Payments"),
            ("journal", "Journal entries"),
        ],
        "formats": [
            ("csv", "CSV"),
            ("xlsx", "Excel (XLSX)"),
            ("beancount", "beancount (journal entries)"),
        ],
        "start": data.get("from") or start.isoformat(),
        "end": data.get("to") or today.isoformat(),
        "dataset": data.get("dataset", "orders"),
        "format": data.get("format", "csv"),
        "counts": counts,
        "error": error,
    }
    return TemplateResponse(request, "reports/admin/exports.html", context)


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


@require_POST
def print_view(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session page's "Send to printer" button."""
    session = get_object_or_404(Session.objects.select_related("profile__store"), pk=session_id)
    if not session_may_read(session, request.user):
        raise PermissionDenied("You may not read this session.")
    back = reverse("admin:pos_session_change", args=[session.pk]) + "#printing"
    if not printing.printer_configured(session.profile):
        messages.error(request, f"The profile {session.profile.name} has no receipt printer.")
        return HttpResponseRedirect(back)
    job = printing.print_session(session=session, user=request.user)
    if job.status == PrintJob.Status.SENT:
        messages.success(request, f"{job.kind} report sent to {job.printer}.")
    else:
        messages.error(request, f"Printing on {job.printer} failed: {job.error}")
    return HttpResponseRedirect(back)


# --- the signed report link -------------------------------------------------------------

REPORT_LINK_SALT = "opentill.reports.link"
REPORT_LINK_MAX_AGE = 600  # seconds


def report_link_url(
    *, session_id: int, format: str, paper: str | None, user_id: int, issued: int | None = None
) -> str:
    """``/reports/s/<token>``: the report of the session in ``format`` and ``paper`` as the
    user sees it, for REPORT_LINK_MAX_AGE seconds from ``issued`` (default: now). The
    token is signed (TimestampSigner, via ``signing.dumps``) with the secret key."""
    payload = {
        "s": session_id,
        "f": format,
        "p": paper,
        "u": user_id,
        "t": int(time.time()) if issued is None else issued,
    }
    token = signing.dumps(payload, salt=REPORT_LINK_SALT)
    return reverse("report-link", args=[token])


def _link_refused(request: HttpRequest, detail: str) -> HttpResponse:
    """403: a short page for a browser, a problem document for a client that wants JSON."""
    if "json" in request.headers.get("Accept", ""):
        body = problem_document("forbidden", detail)
        return JsonResponse(body, status=403, content_type="application/problem+json")
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Report link refused</title>'
        f'<p style="font-family:sans-serif">{escape(detail)}</p></html>'
    )
    return HttpResponse(page, status=403, content_type="text/html; charset=utf-8")


@require_safe
@never_cache
@xframe_options_sameorigin
def report_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The report behind a signed link, rendered exactly like GET …/report: no sign-in, but
    the signature, its age and the user's permission to read the session are checked."""
    from opentill.pos.api import session_for_read
    from opentill.reports.api import check_format, report_response

    expired = "This report link has expired: open the report again from the terminal."
    try:
        payload = signing.loads(token, salt=REPORT_LINK_SALT, max_age=REPORT_LINK_MAX_AGE)
        session_id, format, paper, user_id, issued = (
            payload["s"],
            payload["f"],
            payload["p"],
            payload["u"],
            payload["t"],
        )
        check_format(format, paper)
    except signing.SignatureExpired:
        return _link_refused(request, expired)
    except (signing.BadSignature, ValueError, TypeError, KeyError, Problem):
        return _link_refused(request, "This report link is not valid.")
    # Links on the page to other formats are signed anew; they expire with this one.
    if not isinstance(issued, int) or time.time() - issued > REPORT_LINK_MAX_AGE:
        return _link_refused(request, expired)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    try:
        if user is None:
            raise Problem("forbidden", "unknown or inactive user")
        session = session_for_read(session_id, user)
    except Problem:
        return _link_refused(request, "This report link no longer gives access to the report.")

    def link(other_format: str, other_paper: str | None) -> str:
        return report_link_url(
            session_id=session.pk,
            format=other_format,
            paper=other_paper,
            user_id=user.pk,
            issued=issued,
        )

    response = report_response(session, user, format=format, paper=paper, link=link)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def session_page_context(session: Session) -> dict[str, Any]:
    """What the back-office session page shows about reports: links and print jobs."""
    base = f"/api/v1/sessions/{session.pk}/report"
    return {
        "report_links": [
            ("A4", f"{base}?format=html&paper=a4"),
            ("80 mm", f"{base}?format=html&paper=80"),
            ("PDF", f"{base}?format=pdf"),
            ("Text", f"{base}?format=text"),
        ],
        "printer": (
            f"{session.profile.printer_host}:{session.profile.printer_port}"
            if printing.printer_configured(session.profile)
            else ""
        ),
        "print_jobs": list(
            PrintJob.objects.filter(session=session).select_related("created_by")[:20]
        ),
        "print_url": reverse("admin:reports_session_print", args=[session.pk]),
    }


def admin_urls(site: admin.AdminSite) -> list[URLPattern]:
    wrap = site.admin_view
    return [
        path("reports/dashboard/", wrap(dashboard_view), name="reports_dashboard"),
        path("reports/exports/", wrap(exports_view), name="reports_exports"),
        path(
            "reports/session/<int:session_id>/print/",
            wrap(print_view),
            name="reports_session_print",
        ),
    ]


def app_list_section(request: HttpRequest) -> dict[str, Any] | None:
    """The "Reports" section of the back-office index (managers and accountants)."""
    if not may_see_reports(request.user):
        return None
    dashboard_url = reverse("admin:reports_dashboard")
    return {
        "name": "Reports",
        "app_label": "reports_section",
        "app_url": dashboard_url,
        "has_module_perms": True,
        "models": [
            {
                "name": "Dashboard",
                "object_name": "Dashboard",
                "admin_url": dashboard_url,
                "view_only": True,
                "perms": {"view": True},
            },
            {
                "name": "Exports for accountants",
                "object_name": "Exports",
                "admin_url": reverse("admin:reports_exports"),
                "view_only": True,
                "perms": {"view": True},
            },
        ],
    }
