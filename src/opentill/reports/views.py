"""Back-office pages of the reports context: the dashboard, the exports and the session
page's Print button. Managers and accountants only; a manager listed on stores sees those.
The signed report link is in ``links``; the responses it shares with the API in
``responses``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opentill.identity.roles import may_see_reports
from opentill.pos.access import session_may_read
from opentill.pos.models import Session
from opentill.reports import exports, printing
from opentill.reports.dashboard import dashboard
from opentill.reports.models import PrintJob
from opentill.reports.responses import export_response
from opentill.stores.access import visible_store_ids

DEFAULT_DAYS = 30


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


def fiscal_archives_view(request: HttpRequest) -> HttpResponse:
    """Each till's period closes with the link to the signed archive of each (the API's
    download: it is recorded in the till's journal)."""
    from opentill.fiscal.period_close import period_closes_list
    from opentill.pos.models import PosProfile

    _check(request)
    stores = visible_store_ids(request.user)
    tills = PosProfile.objects.select_related("store").order_by("code")
    if stores is not None:
        tills = tills.filter(store_id__in=stores)
    rows = [
        {
            "till": till,
            "closes": [
                {
                    **close,
                    "url": f"/api/v1/profiles/{till.pk}/fiscal/archive?period={close['period']}",
                }
                for close in period_closes_list(till)
            ],
        }
        for till in tills
    ]
    context = {**admin.site.each_context(request), "title": "Fiscal archives", "tills": rows}
    return TemplateResponse(request, "reports/admin/fiscal_archives.html", context)


def admin_urls(site: admin.AdminSite) -> list[URLPattern]:
    wrap = site.admin_view
    return [
        path("reports/dashboard/", wrap(dashboard_view), name="reports_dashboard"),
        path("reports/exports/", wrap(exports_view), name="reports_exports"),
        path(
            "reports/fiscal-archives/", wrap(fiscal_archives_view), name="reports_fiscal_archives"
        ),
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
            {
                "name": "Fiscal archives",
                "object_name": "FiscalArchives",
                "admin_url": reverse("admin:reports_fiscal_archives"),
                "view_only": True,
                "perms": {"view": True},
            },
        ],
    }
