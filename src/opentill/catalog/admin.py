from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from opentill.audit.admin import AuditedAdmin
from opentill.catalog.models import (
    Category,
    Customer,
    FiscalPosition,
    FiscalPositionAccount,
    FiscalPositionTax,
    Product,
    StockMove,
    Tax,
)
from opentill.common.admin import ReadOnlyAdmin
from opentill.stores.models import Company


@admin.register(Tax)
class TaxAdmin(AuditedAdmin):
    list_display = [
        "name",
        "kind",
        "rate",
        "amount",
        "price_include",
        "include_base_amount",
        "sequence",
        "account",
        "company",
    ]
    list_filter = ["kind", "price_include", "company"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new tax is price-included when the company's prices include tax (the company's
        switch only pre-fills the tax's own flag)."""
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        company = Company.objects.order_by("id").first()
        if company is not None and "price_include" not in initial:
            initial["price_include"] = company.prices_include_tax
        return initial


class FiscalPositionTaxInline(admin.TabularInline):
    model = FiscalPositionTax
    extra = 1
    verbose_name = "tax mapping"
    verbose_name_plural = "tax mappings (no replacement: exempt)"


class FiscalPositionAccountInline(admin.TabularInline):
    model = FiscalPositionAccount
    extra = 0
    verbose_name = "income account mapping"
    verbose_name_plural = "income account mappings"


@admin.register(FiscalPosition)
class FiscalPositionAdmin(AuditedAdmin):
    list_display = ["name", "company"]
    inlines = [FiscalPositionTaxInline, FiscalPositionAccountInline]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "sequence"]


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = [
        "sku",
        "name",
        "price",
        "tax_names",
        "category",
        "barcode",
        "stock_tracked",
        "active",
    ]
    list_filter = ["category", "taxes", "active", "stock_tracked"]
    search_fields = ["sku", "name", "barcode"]
    filter_horizontal = ["taxes"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("taxes")

    @admin.display(description="taxes")
    def tax_names(self, obj: Product) -> str:
        return ", ".join(t.name for t in obj.taxes.all())


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ["name", "email", "tax_id", "fiscal_position", "is_walk_in"]
    search_fields = ["name", "email", "tax_id"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "store", "product", "quantity", "session"]
    list_filter = ["store"]
    list_select_related = ["store", "product", "session"]
