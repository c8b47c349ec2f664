from django.contrib import admin

from opentill.orders.models import Order, OrderLine, Payment


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = [
        "product",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "net",
        "tax_amount",
        "total",
    ]
    readonly_fields = fields  # type: ignore[assignment]
    extra = 0
    can_delete = False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["payment_method", "amount"]
    readonly_fields = fields  # type: ignore[assignment]
    extra = 0
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["uuid", "session", "state", "customer", "total", "amount_due", "created_at"]
    list_filter = ["state", "session__profile"]
    search_fields = ["uuid", "session__name"]
    list_select_related = ["session", "customer"]
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderLineInline, PaymentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["order", "session", "payment_method", "amount"]
    list_filter = ["payment_method"]
    list_select_related = ["order", "session", "payment_method"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
