from django.contrib import admin

from opentill.audit.admin import AuditedAdmin
from opentill.catalog.models import Category, Customer, Product, StockMove, Tax
from opentill.common.admin import ReadOnlyAdmin


@admin.register(Tax)
class TaxAdmin(AuditedAdmin):
    list_display = ["name", "rate", "account", "company"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "sequence"]


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ["sku", "name", "price", "tax", "category", "barcode", "stock_tracked", "active"]
    list_filter = ["category", "tax", "active", "stock_tracked"]
    search_fields = ["sku", "name", "barcode"]


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ["name", "email", "tax_id", "is_walk_in"]
    search_fields = ["name", "email", "tax_id"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "store", "product", "quantity", "session"]
    list_filter = ["store"]
    list_select_related = ["store", "product", "session"]
