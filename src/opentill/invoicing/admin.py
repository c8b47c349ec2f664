from django.contrib import admin

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
        "total",
        "created_at",
    ]
