"""Invoices and credit notes, individual or consolidated at close."""

from __future__ import annotations

from django.db import models

from opentill.common.fields import MoneyField


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    number = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    consolidated = models.BooleanField(default=False)
    customer = models.ForeignKey(
        "catalog.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    # The customer as issued: a later rename of the customer leaves the invoice as it was.
    customer_name = models.CharField(max_length=200, blank=True)
    customer_tax_id = models.CharField("customer VAT number", max_length=50, blank=True)
    customer_address = models.TextField(blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    session = models.ForeignKey("pos.Session", on_delete=models.PROTECT, related_name="invoices")
    net_total = MoneyField(help_text="Positive amount of the document")
    tax_total = MoneyField()
    # The cash rounding of the orders the document carries, so that the total is what was
    # paid: total = net_total + tax_total + rounding.
    rounding = MoneyField(default=0)
    total = MoneyField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="invoice_total_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    total=models.F("net_total") + models.F("tax_total") + models.F("rounding")
                ),
                name="invoice_total_is_net_tax_rounding",
            ),
        ]

    def __str__(self) -> str:
        return self.number
