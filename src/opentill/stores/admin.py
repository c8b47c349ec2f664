from django.contrib import admin

from opentill.audit.admin import AuditedAdmin
from opentill.stores.models import Company, Store


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = [
        "name",
        "currency",
        "locale",
        "prices_include_tax",
        "cash_rounding",
        "tax_rounding",
    ]


@admin.register(Store)
class StoreAdmin(AuditedAdmin):
    list_display = ["name", "company"]
    filter_horizontal = ["managers"]
