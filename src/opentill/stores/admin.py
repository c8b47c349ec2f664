from django.contrib import admin

from opentill.stores.models import Company, Store


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "prices_include_tax", "cash_rounding", "tax_rounding"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "company"]
