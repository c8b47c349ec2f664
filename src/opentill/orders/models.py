"""Orders (tickets), their lines and payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opentill.common.fields import MoneyField, QuantityField, RateField


class Order(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft (pending)"
        PAID = "paid", "Paid"
        INVOICED = "invoiced", "Invoiced"
        VOID = "void", "Void"

    uuid = models.UUIDField(unique=True, help_text="Made by the terminal; sync is idempotent on it")
    session = models.ForeignKey("pos.Session", on_delete=models.PROTECT, related_name="orders")
    requested_session = models.ForeignKey(
        "pos.Session",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The session the terminal sent it to (differs for rescued orders)",
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "catalog.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    state = models.CharField(max_length=8, choices=State.choices)
    to_invoice = models.BooleanField(default=False)
    created_at = models.DateTimeField(help_text="When the terminal made it")
    synced_at = models.DateTimeField(auto_now_add=True)
    net_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField(help_text="Sum of the lines including tax")
    rounding = MoneyField(help_text="Cash rounding: amount due minus total")
    amount_due = MoneyField()
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    void_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "state"], name="order_session_state")]

    def __str__(self) -> str:
        return str(self.uuid)

    @property
    def is_refund(self) -> bool:
        return self.total < 0


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(help_text="Negative for a refund")
    unit_price = MoneyField()
    discount_percent = RateField(default=0)
    tax = models.ForeignKey("catalog.Tax", on_delete=models.PROTECT, related_name="+")
    tax_rate = RateField()
    income_account = models.ForeignKey(
        "accounting.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    discount = MoneyField(default=0, help_text="Amount taken off by the discount")
    net = MoneyField()
    tax_amount = MoneyField()
    total = MoneyField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    session = models.ForeignKey("pos.Session", on_delete=models.PROTECT, related_name="payments")
    payment_method = models.ForeignKey(
        "pos.PaymentMethod", on_delete=models.PROTECT, related_name="payments"
    )
    amount = MoneyField(help_text="Net of change; negative for a refund")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["session", "payment_method"], name="payment_session_method")
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.payment_method_id}"
