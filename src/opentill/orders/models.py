"""Orders (tickets), their lines and payments."""

from __future__ import annotations

from decimal import Decimal

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
    fiscal_position = models.ForeignKey(
        "catalog.FiscalPosition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The position that mapped the order's taxes (e.g. Take-away)",
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
    difference = MoneyField(
        default=0,
        help_text="Paid minus amount due: not zero only for a held order a manager accepted",
    )
    difference_account = models.ForeignKey(
        "accounting.LedgerAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the difference is booked (see orders.services.difference_account)",
    )
    # The ticket number (issue #13): one continuous series per till, whatever session the
    # ticket landed in (a rescued ticket keeps its number). Paid orders only: a draft is
    # numbered when it is paid (as a new order). Empty on orders stored before numbering.
    till = models.ForeignKey(
        "pos.PosProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The till whose series numbers the ticket",
    )
    sequence = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The ticket's place in its till's series: 1, 2, 3 …"
    )
    number = models.CharField(
        max_length=40,
        null=True,
        blank=True,
        help_text="The ticket number as printed: the till's code and the sequence, TILL1-000123",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["session", "state"], name="order_session_state"),
            # A period's orders (dashboard, exports) without reading the years before it.
            models.Index(fields=["created_at"], name="order_created_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(difference=0) | models.Q(difference_account__isnull=False),
                name="order_difference_has_account",
            ),
            models.UniqueConstraint(fields=["till", "sequence"], name="order_till_sequence"),
            models.CheckConstraint(
                condition=models.Q(till__isnull=True, sequence__isnull=True, number__isnull=True)
                | models.Q(till__isnull=False, sequence__gt=0, number__isnull=False),
                name="order_number_whole",
            ),
        ]

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
    list_price = MoneyField(
        null=True,
        blank=True,
        help_text="The price as rung, before the order's fiscal position (unit_price is the "
        "price charged); empty on lines stored before it was kept: the same as unit_price",
    )
    discount_percent = RateField(default=0)
    tax_label = models.CharField(
        max_length=200,
        blank=True,
        help_text="The key its sales are booked under, from its taxes: '21%', '10% + 21%'",
    )
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


class OrderLineTax(models.Model):
    """One tax of one order line as it was charged: the base, the amount, and the tax's name,
    kind, rate and account at the time (a later change of the tax leaves it as it was)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="taxes")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    tax = models.ForeignKey("catalog.Tax", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8)
    rate = RateField(default=0)
    account = models.ForeignKey(
        "accounting.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    refund = models.BooleanField(help_text="A refund line's tax (negative quantity)")
    base = MoneyField(help_text="What the tax was computed on")
    amount = MoneyField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order"], name="order_line_tax_order")]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}"


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    session = models.ForeignKey("pos.Session", on_delete=models.PROTECT, related_name="payments")
    payment_method = models.ForeignKey(
        "pos.PaymentMethod", on_delete=models.PROTECT, related_name="payments"
    )
    amount = MoneyField(help_text="Net of change; negative for a refund")
    tendered = MoneyField(
        help_text="What the customer handed over for this payment (amount + change); "
        "equals amount when no change was given"
    )
    change = MoneyField(default=Decimal(0), help_text="Handed back in cash; 0 for a refund")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["session", "payment_method"], name="payment_session_method")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tendered=models.F("amount") + models.F("change")),
                name="payment_tendered_is_amount_plus_change",
            ),
            models.CheckConstraint(
                condition=models.Q(change__gte=0), name="payment_change_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) | models.Q(change=0),
                name="payment_refund_has_no_change",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.payment_method_id}"


class HeldOrder(models.Model):
    """A ticket the till sent (and usually took money for) that the server could not book as
    sent: stored whole with the reason, counted in no total, resolved by a manager."""

    class State(models.TextChoices):
        HELD = "held", "Held (waits for a manager)"
        ACCEPTED = "accepted", "Accepted (booked as an order)"
        VOIDED = "voided", "Voided"

    uuid = models.UUIDField(unique=True, help_text="The ticket's uuid, as the terminal made it")
    session = models.ForeignKey(
        "pos.Session",
        on_delete=models.PROTECT,
        related_name="held_orders",
        help_text="The session it is held in (the rescue session when its own was closing)",
    )
    requested_session = models.ForeignKey("pos.Session", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    payload = models.JSONField(help_text="The order object exactly as the terminal sent it")
    error = models.JSONField(help_text="Why it was held: a problem document")
    state = models.CharField(max_length=8, choices=State.choices, default=State.HELD)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.CharField(max_length=255, blank=True)
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_from",
        help_text="The order booked when a manager accepted it",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "state"], name="held_order_session_state")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["held", "accepted", "voided"]),
                name="held_order_state_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(state="held", resolved_by__isnull=True, resolved_at__isnull=True)
                    | (
                        ~models.Q(state="held")
                        & models.Q(resolved_by__isnull=False, resolved_at__isnull=False)
                    )
                ),
                name="held_order_resolved_says_who_and_when",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(state="accepted", order__isnull=False)
                    | (~models.Q(state="accepted") & models.Q(order__isnull=True))
                ),
                name="held_order_accepted_has_its_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="voided") | ~models.Q(resolution_reason=""),
                name="held_order_voided_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"held {self.uuid}"
