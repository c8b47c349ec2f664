from django.contrib import admin

from opentill.audit.models import AuditEvent
from opentill.common.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_repr", "session"]
    list_filter = ["action", "object_type", "user"]
    search_fields = ["object_repr", "detail", "session__name"]
    date_hierarchy = "at"
    list_select_related = ["user", "session"]
    fields = [
        "at",
        "user",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "session",
        "before",
        "after",
        "detail",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    def get_actions(self, request):
        return {}
