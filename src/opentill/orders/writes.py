"""Bulk writes of a sync: orders, their lines and payments in a few multi-row INSERTs, one
financial transaction per payment method and one stock move per product for the whole batch
(the rows the services of :mod:`opentill.orders.services` decided to store)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opentill.accounting.models import FinancialTransaction
from opentill.catalog.models import StockMove
from opentill.common.db import db_value, insert_rows
from opentill.money import QUANTITY_PLACES, RATE_PLACES, ZERO, to_minor, to_stored
from opentill.orders.domain import StoredOrder
from opentill.orders.models import Order, OrderLine, OrderLineTax, Payment
from opentill.orders.posting import orders_after_sync
from opentill.pos.models import PosProfile, Session

_ORDER_FIELDS = (
    "uuid",
    "session",
    "requested_session",
    "user",
    "customer",
    "fiscal_position",
    "state",
    "to_invoice",
    "created_at",
    "synced_at",
    "net_total",
    "tax_total",
    "total",
    "rounding",
    "amount_due",
    "void_reason",
    "difference",
    "difference_account",
    "till",
    "sequence",
    "number",
)
_LINE_FIELDS = (
    "order",
    "product",
    "quantity",
    "unit_price",
    "list_price",
    "discount_percent",
    "tax_label",
    "income_account",
    "discount",
    "net",
    "tax_amount",
    "total",
)
_LINE_TAX_FIELDS = (
    "line",
    "order",
    "tax",
    "name",
    "kind",
    "rate",
    "account",
    "refund",
    "base",
    "amount",
)
_PAYMENT_FIELDS = ("order", "session", "payment_method", "amount", "tendered", "change")
_TX_FIELDS = ("account", "kind", "amount", "comment", "session", "created_at")
_STOCK_FIELDS = ("store", "product", "quantity", "session", "created_at")


def orders_insert(
    orders: Sequence[StoredOrder], *, session: Session, requested: Session, user: Any
) -> None:
    """Write the orders, their lines and payments; one financial transaction per payment
    method and one stock move per product for the whole batch."""
    now = timezone.now()
    now_db = db_value(Order, "synced_at", now)
    insert_rows(
        Order,
        _ORDER_FIELDS,
        [
            (
                db_value(Order, "uuid", o.uuid),
                session.pk,
                requested.pk,
                user.pk,
                o.customer_id,
                o.fiscal_position_id,
                o.state,
                o.to_invoice,
                db_value(Order, "created_at", o.created_at),
                now_db,
                to_stored(o.net_total),
                to_stored(o.tax_total),
                to_stored(o.total),
                to_stored(o.rounding),
                to_stored(o.amount_due),
                "",
                to_stored(o.difference),
                o.difference_account_id,
                o.till_id,
                o.sequence,
                o.number,
            )
            for o in orders
        ],
    )
    ids = dict(Order.objects.filter(uuid__in=[o.uuid for o in orders]).values_list("uuid", "pk"))
    for o in orders:
        o.pk = ids[o.uuid]
        o.session_id = session.pk
    insert_rows(
        OrderLine,
        _LINE_FIELDS,
        [
            (
                o.pk,
                line.product_id,
                to_minor(line.quantity, QUANTITY_PLACES),
                to_stored(line.unit_price),
                None if line.list_price is None else to_stored(line.list_price),
                to_minor(line.discount_percent, RATE_PLACES),
                line.tax_label,
                line.income_account_id,
                to_stored(line.discount),
                to_stored(line.net),
                to_stored(line.tax_amount),
                to_stored(line.total),
            )
            for o in orders
            for line in o.lines
        ],
    )
    _line_taxes_insert(orders)
    insert_rows(
        Payment,
        _PAYMENT_FIELDS,
        [
            (
                o.pk,
                session.pk,
                p.payment_method_id,
                to_stored(p.amount),
                to_stored(p.tendered),
                to_stored(p.change),
            )
            for o in orders
            for p in o.payments
        ],
    )
    # Payments raise (refunds lower) their method's financial account: one transaction per
    # method and batch keeps expected amounts a SUM over few rows, whatever the volume.
    # A training session's tickets move no cash and no stock (docs/fiscal.md, training mode).
    per_account: dict[int, Decimal] = {}
    count: dict[int, int] = {}
    for o in orders if not session.training else ():
        for p in o.payments:
            per_account[p.account_id] = per_account.get(p.account_id, ZERO) + p.amount
            count[p.account_id] = count.get(p.account_id, 0) + 1
    insert_rows(
        FinancialTransaction,
        _TX_FIELDS,
        [
            (
                account_id,
                FinancialTransaction.Kind.PAYMENT,
                to_stored(amount),
                f"{session.name}: {count[account_id]} payment(s) synced",
                session.pk,
                now_db,
            )
            for account_id, amount in per_account.items()
        ],
    )
    if session.profile.stock_mode == PosProfile.StockMode.REAL_TIME and not session.training:
        moved: dict[int, Decimal] = {}
        for o in orders:
            if o.state != Order.State.PAID:
                continue
            for line in o.lines:
                if line.stock_tracked:
                    moved[line.product_id] = moved.get(line.product_id, ZERO) + line.quantity
        insert_rows(
            StockMove,
            _STOCK_FIELDS,
            [
                (
                    session.profile.store_id,
                    product_id,
                    to_minor(-quantity, QUANTITY_PLACES),
                    session.pk,
                    now_db,
                )
                for product_id, quantity in sorted(moved.items())
                if quantity
            ],
        )
    # Invoices and real-time entries follow the order the terminal sent (not the insert order).
    orders_after_sync(orders=sorted(orders, key=lambda o: o.index), session=session)


def _line_taxes_insert(orders: Sequence[StoredOrder]) -> None:
    """Each line's taxes, one row per tax and line (lines get their ids back in one query:
    an order's lines were inserted in order)."""
    if not any(line.taxes for o in orders for line in o.lines):
        return
    line_ids: dict[int, list[int]] = {}
    for order_id, line_id in (
        OrderLine.objects.filter(order_id__in=[o.pk for o in orders])
        .order_by("order_id", "id")
        .values_list("order_id", "id")
    ):
        line_ids.setdefault(order_id, []).append(line_id)
    rows = []
    for o in orders:
        assert o.pk is not None
        for line, line_id in zip(o.lines, line_ids[o.pk], strict=True):
            for t in line.taxes:
                rows.append(
                    (
                        line_id,
                        o.pk,
                        t.tax_id,
                        t.name,
                        t.kind,
                        to_minor(t.rate, RATE_PLACES),
                        t.account_id,
                        line.quantity < 0,
                        to_stored(t.base),
                        to_stored(t.amount),
                    )
                )
    insert_rows(OrderLineTax, _LINE_TAX_FIELDS, rows)
