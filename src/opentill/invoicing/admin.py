from django.contrib import admin

from opentill.common.admin import ReadOnlyAdmin
from opentill.invoicing.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "consolidated",
        "customer",
        "session",
        "net_total",
        "tax_total",
        "total",
        "created_at",
    ]
    list_filter = ["kind", "consolidated"]
    search_fields = ["number", "customer__name", "session__name"]
    list_select_related = ["customer", "session"]
