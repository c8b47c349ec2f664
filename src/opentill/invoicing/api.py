"""Invoices of a session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opentill.common.schemas import problems
from opentill.invoicing.models import Invoice
from opentill.money import fmt
from opentill.orders.models import Order
from opentill.pos.selectors import session_for_read

router = Router(tags=["invoicing"])


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
    orders: list[str]


def invoices_out(invoices: list[Invoice]) -> list[dict[str, Any]]:
    uuids: dict[int, list[str]] = {}
    for invoice_id, uuid in (
        Order.objects.filter(invoice__in=invoices).values_list("invoice_id", "uuid").order_by("id")
    ):
        uuids.setdefault(invoice_id, []).append(str(uuid))
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
            "net_total": fmt(i.net_total),
            "tax_total": fmt(i.tax_total),
            "rounding": fmt(i.rounding),
            "total": fmt(i.total),
            "orders": uuids.get(i.pk, []),
        }
        for i in invoices
    ]


@router.get(
    "/sessions/{session_id}/invoices", response={200: list[InvoiceOut], **problems(403, 404, 422)}
)
def session_invoices(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    session = session_for_read(session_id, request.user)
    return invoices_out(list(Invoice.objects.filter(session=session).order_by("id")))
