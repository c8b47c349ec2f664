"""Invoices of a session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opentill.common.schemas import problems
from opentill.invoicing import selectors
from opentill.invoicing.models import Invoice
from opentill.money import RATE_PLACES, fmt
from opentill.pos.selectors import session_for_read

router = Router(tags=["invoicing"])


class InvoiceTaxOut(Schema):
    tax: int
    name: str
    kind: str
    rate: str | None = Field(..., description="a percent tax's rate, else null")
    base: str
    amount: str


class InvoicePaymentOut(Schema):
    payment_method: int
    name: str
    amount: str


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str
    consolidated: bool
    customer: int
    customer_name: str
    customer_tax_id: str
    customer_address: str
    customer_email: str
    net_total: str
    tax_total: str
    rounding: str  # cash rounding of its orders: total = net_total + tax_total + rounding
    total: str
    taxes: list[InvoiceTaxOut] = Field(..., description="the VAT breakdown, per tax charged")
    payments: list[InvoicePaymentOut] = Field(
        ..., description="what its orders were paid with; they add up to total"
    )
    orders: list[str]


def invoices_out(invoices: list[Invoice], places: int) -> list[dict[str, Any]]:
    """A session's invoices; ``places``: the decimals of the company's currency."""
    ids = [i.pk for i in invoices]
    uuids = selectors.invoice_orders(invoice_ids=ids)
    taxes = selectors.invoice_taxes(invoice_ids=ids)
    payments = selectors.invoice_payments(invoice_ids=ids)
    return [
        {
            "id": i.pk,
            "number": i.number,
            "kind": i.kind,
            "consolidated": i.consolidated,
            "customer": i.customer_id,
            # The customer as issued, whatever it has been renamed to since.
            "customer_name": i.customer_name,
            "customer_tax_id": i.customer_tax_id,
            "customer_address": i.customer_address,
            "customer_email": i.customer_email,
            "net_total": fmt(i.net_total, places),
            "tax_total": fmt(i.tax_total, places),
            "rounding": fmt(i.rounding, places),
            "total": fmt(i.total, places),
            "taxes": [
                {
                    **t,
                    "rate": fmt(t["rate"], RATE_PLACES) if t["kind"] == "percent" else None,
                    "base": fmt(t["base"], places),
                    "amount": fmt(t["amount"], places),
                }
                for t in taxes.get(i.pk, [])
            ],
            "payments": [
                {"payment_method": pk, "name": name, "amount": fmt(amount, places)}
                for pk, name, amount in payments.get(i.pk, [])
            ],
            "orders": uuids.get(i.pk, []),
        }
        for i in invoices
    ]


@router.get(
    "/sessions/{session_id}/invoices", response={200: list[InvoiceOut], **problems(403, 404, 422)}
)
def session_invoices(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    session = session_for_read(session_id, request.user)
    invoices = list(Invoice.objects.filter(session=session).order_by("id"))
    return invoices_out(invoices, session.places)
