"""Invoice writes: individual invoices at sync, consolidated invoices at close."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from opentill.common.problems import Problem
from opentill.common.services import sequence_next
from opentill.invoicing.models import Invoice
from opentill.invoicing.rules import CREDIT_NOTE, INVOICE, OrderRow, check_groups, load_rule
from opentill.money import ZERO
from opentill.orders.models import Order
from opentill.pos.models import Session

CHUNK = 900  # ids per UPDATE … WHERE id IN (…): below SQLite's variable limit everywhere


def _number(kind: str) -> str:
    year = timezone.localdate().year
    prefix = "INV" if kind == INVOICE else "CN"
    return f"{prefix}/{year}/{sequence_next(key=f'invoice:{prefix}:{year}'):06d}"


def _walk_in(session: Session) -> int:
    company = session.profile.store.company
    if company.walk_in_customer_id is None:
        raise Problem(
            "invalid_state",
            f"Company {company.name} has no walk-in customer for anonymous invoices.",
        )
    return company.walk_in_customer_id


def invoices_for_orders(*, orders: Sequence[Order], session: Session) -> list[Invoice]:
    """An individual invoice (or credit note) for each synced order asking for one."""
    walk_in: int | None = None
    created = []
    for order in orders:
        if not order.to_invoice or order.state != Order.State.PAID:
            continue
        customer_id = order.customer_id
        if customer_id is None:
            walk_in = walk_in or _walk_in(session)
            customer_id = walk_in
        kind = CREDIT_NOTE if order.total < 0 else INVOICE
        invoice = Invoice.objects.create(
            number=_number(kind),
            kind=kind,
            consolidated=False,
            customer_id=customer_id,
            session=session,
            net_total=abs(order.net_total),
            tax_total=abs(order.tax_total),
            total=abs(order.total),
        )
        Order.objects.filter(pk=order.pk).update(invoice=invoice, state=Order.State.INVOICED)
        order.invoice = invoice
        order.state = Order.State.INVOICED
        created.append(invoice)
    return created


def invoices_consolidate(*, session: Session) -> list[Invoice]:
    """Group the session's paid orders without an invoice by the profile's invoicing rule."""
    rows = list(
        Order.objects.filter(
            session=session, state=Order.State.PAID, invoice__isnull=True
        ).values_list("id", "customer_id", "total")
    )
    if not rows:
        return []
    profile = session.profile
    orders = [
        OrderRow(id=i, customer_id=c, total=t, store_id=profile.store_id, profile_id=profile.pk)
        for i, c, t in rows
    ]
    rule = load_rule(profile.invoicing_rule or settings.OPENTILL_INVOICING_RULE)
    groups = rule.group(orders, walk_in_customer_id=_walk_in(session))
    check_groups(orders, groups)
    invoices = []
    for group in groups:
        invoice = Invoice.objects.create(
            number=_number(group.kind),
            kind=group.kind,
            consolidated=True,
            customer_id=group.customer_id,
            session=session,
            net_total=ZERO,
            tax_total=ZERO,
            total=ZERO,
        )
        ids = list(group.order_ids)
        for start in range(0, len(ids), CHUNK):
            Order.objects.filter(pk__in=ids[start : start + CHUNK]).update(
                invoice=invoice, state=Order.State.INVOICED
            )
        sums = Order.objects.filter(invoice=invoice).aggregate(
            net=Sum("net_total"), tax=Sum("tax_total"), total=Sum("total")
        )
        invoice.net_total = abs(sums["net"] or Decimal(0))
        invoice.tax_total = abs(sums["tax"] or Decimal(0))
        invoice.total = abs(sums["total"] or Decimal(0))
        invoice.save(update_fields=["net_total", "tax_total", "total"])
        invoices.append(invoice)
    return invoices
