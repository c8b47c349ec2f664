"""URL map: API v1, back office, health."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import include, path

from opentill.api import api
from opentill.common.problems import problem_document
from opentill.reports.links import report_link_view


def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a query; 503 with the failing part otherwise."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure of the database is the answer, not an error
        response = JsonResponse(
            {"status": "unavailable", "database": f"{type(exc).__name__}: {exc}".strip()},
            status=503,
        )
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    return redirect("/admin/")


urlpatterns = [
    path("", home),
    path("health", health),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("terminal/", include("opentill.terminal.urls")),
    path("reports/s/<str:token>", report_link_view, name="report-link"),
]


def _api_or_default(request: HttpRequest, code: str, detail: str, default):
    if request.path.startswith("/api/"):
        body = problem_document(code, detail)
        return JsonResponse(body, status=body["status"], content_type="application/problem+json")
    return default


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return _api_or_default(request, "not_found", f"No endpoint at {request.path}.", None)
    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    from django.views.defaults import server_error

    if request.path.startswith("/api/"):
        return _api_or_default(request, "server_error", "An unexpected error occurred.", None)
    return server_error(request)
