"""Back office: print jobs (read only) for managers and accountants: status, attempts,
next try and last error of each."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from opentill.common.admin import ReadOnlyAdmin
from opentill.identity.roles import may_see_reports
from opentill.reports.models import PrintJob
from opentill.stores.access import visible_store_ids


@admin.register(PrintJob)
class PrintJobAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "session",
        "kind",
        "printer",
        "trigger",
        "status",
        "tries",
        "next_try",
        "error",
    ]
    list_filter = ["status", "trigger", "session__profile"]
    search_fields = ["session__name", "printer", "error"]
    list_select_related = ["session"]

    @admin.display(description="Attempts")
    def tries(self, obj: PrintJob) -> str:
        return f"{obj.attempts} of {obj.max_attempts}"

    @admin.display(description="Next try")
    def next_try(self, obj: PrintJob) -> Any:
        return obj.next_attempt_at if obj.status == PrintJob.Status.PENDING else None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_reports(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_see_reports(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrintJob]:
        qs = super().get_queryset(request)
        stores = visible_store_ids(request.user)
        return qs if stores is None else qs.filter(session__profile__store_id__in=stores)
