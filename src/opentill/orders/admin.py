from django.contrib import admin

from opentill.common.admin import ReadOnlyAdmin, ReadOnlyInline
from opentill.orders.models import Order, OrderLine, Payment


class OrderLineInline(ReadOnlyInline):
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
    show_change_link = False


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["payment_method", "amount"]
    readonly_fields = fields  # type: ignore[assignment]
    show_change_link = False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "uuid",
        "session",
        "state",
        "customer",
        "total",
        "amount_due",
        "invoice",
        "created_at",
    ]
    list_filter = ["state", "session__profile", "to_invoice"]
    search_fields = ["uuid", "session__name", "customer__name"]
    list_select_related = ["session", "customer", "invoice"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, PaymentInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "session", "payment_method", "amount"]
    list_filter = ["payment_method"]
    search_fields = ["order__uuid", "session__name"]
    list_select_related = ["order", "session", "payment_method"]
