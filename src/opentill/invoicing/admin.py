from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from opentill.common.admin import ReadOnlyAdmin
from opentill.invoicing.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "consolidated",
        "customer_name",
        "customer_tax_id",
        "session",
        "net_total",
        "tax_total",
        "rounding",
        "total",
        "created_at",
    ]
    list_filter = ["kind", "consolidated"]
    search_fields = ["number", "customer_name", "customer_tax_id", "session__name"]
    list_select_related = ["session"]
    # The customer as the invoice was issued to it; the link leads to the customer today.
    fields = [
        "number",
        "kind",
        "consolidated",
        "customer_name",
        "customer_tax_id",
        "customer_address",
        "customer_email",
        "customer",
        "session",
        "net_total",
        "tax_total",
        "rounding",
        "total",
        "created_at",
    ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A rounding line only on a document that carries some cash rounding."""
        fields = list(super().get_fields(request, obj))
        if obj is None or not obj.rounding:
            fields.remove("rounding")
        return fields
