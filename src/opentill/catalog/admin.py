from django.contrib import admin

from opentill.catalog.models import Category, Customer, Product, StockMove, Tax


@admin.register(Tax)
class TaxAdmin(admin.ModelAdmin):
    list_display = ["name", "rate", "account", "company"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "sequence"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "tax", "category", "barcode", "stock_tracked", "active"]
    list_filter = ["category", "tax", "active", "stock_tracked"]
    search_fields = ["sku", "name", "barcode"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "tax_id", "is_walk_in"]
    search_fields = ["name", "email", "tax_id"]


@admin.register(StockMove)
class StockMoveAdmin(admin.ModelAdmin):
    list_display = ["created_at", "store", "product", "quantity", "session", "order"]
    list_filter = ["store"]

    def has_change_permission(self, request, obj=None):
        return False
