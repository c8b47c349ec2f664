"""Reads of invoices: the orders, taxes and payments each invoice carries (SQL aggregates)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from opentill.orders.models import Order, OrderLineTax, Payment


def invoice_orders(*, invoice_ids: Iterable[int]) -> dict[int, list[str]]:
    """The uuids of each invoice's orders, oldest first."""
    uuids: dict[int, list[str]] = {}
    for invoice_id, uuid in (
        Order.objects.filter(invoice_id__in=list(invoice_ids))
        .order_by("id")
        .values_list("invoice_id", "uuid")
    ):
        uuids.setdefault(invoice_id, []).append(str(uuid))
    return uuids


def invoice_taxes(*, invoice_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each invoice's VAT breakdown: per tax as charged (name, rate for a percent tax), the
    base and the amount over its orders' lines (a credit note's come in negative)."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for invoice_id, tax_id, name, kind, rate, base, amount in (
        OrderLineTax.objects.filter(order__invoice_id__in=list(invoice_ids))
        .values("order__invoice_id", "tax_id", "name", "kind", "rate")
        .annotate(sum_base=Sum("base"), sum_amount=Sum("amount"))
        .order_by("order__invoice_id", "kind", "rate", "name", "tax_id")
        .values_list(
            "order__invoice_id", "tax_id", "name", "kind", "rate", "sum_base", "sum_amount"
        )
    ):
        rows.setdefault(invoice_id, []).append(
            {
                "tax": tax_id,
                "name": name,
                "kind": kind,
                "rate": rate,
                "base": base,
                "amount": amount,
            }
        )
    return rows


def invoice_payments(*, invoice_ids: Iterable[int]) -> dict[int, list[tuple[int, str, Decimal]]]:
    """What each invoice's orders were paid with: (method id, name, amount) per method."""
    rows: dict[int, list[tuple[int, str, Decimal]]] = {}
    for invoice_id, method_id, name, amount in (
        Payment.objects.filter(order__invoice_id__in=list(invoice_ids))
        .values("order__invoice_id", "payment_method_id", "payment_method__name")
        .annotate(sum_amount=Sum("amount"))
        .order_by("order__invoice_id", "payment_method__name")
        .values_list("order__invoice_id", "payment_method_id", "payment_method__name", "sum_amount")
    ):
        rows.setdefault(invoice_id, []).append((method_id, name, amount))
    return rows
