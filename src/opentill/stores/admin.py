from django.contrib import admin

from opentill.audit.admin import AuditedAdmin
from opentill.stores.models import Company, Store


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = [
        "name",
        "currency",
        "locale",
        "tax_rounding",
        "discount_rounding",
        "cash_rounding",
        "cash_rounding_mode",
        "cash_rounding_scope",
    ]
    fieldsets = [
        (None, {"fields": ["name", "currency", "locale", "time_zone", "walk_in_customer"]}),
        (
            "Taxes and rounding (docs/taxes.md)",
            {
                "fields": [
                    "prices_include_tax",
                    "tax_rounding",
                    "discount_rounding",
                    "cash_rounding",
                    "cash_rounding_mode",
                    "cash_rounding_scope",
                ]
            },
        ),
        ("Accounts", {"fields": ["rounding_account", "receivable_account"]}),
    ]


@admin.register(Store)
class StoreAdmin(AuditedAdmin):
    list_display = ["name", "company"]
    filter_horizontal = ["managers"]
