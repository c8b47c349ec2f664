"""Accounting of sold orders: postings per session (aggregated in SQL) or per order."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum

from opentill.accounting.journal import Posting, sales_postings
from opentill.accounting.models import JournalEntry
from opentill.accounting.services import journal_entry_create
from opentill.common.problems import Problem
from opentill.money import RATE_PLACES, ZERO, fmt
from opentill.orders.models import Order, OrderLine, Payment

if TYPE_CHECKING:
    from opentill.orders.services import StoredOrder
from opentill.pos.models import PosProfile, Session

SOLD = (Order.State.PAID, Order.State.INVOICED)


def _rate_label(prefix: str, rate: Decimal) -> str:
    text = fmt(rate, RATE_PLACES) or "0"
    return f"{prefix} {text.rstrip('0').rstrip('.')}%"


def _rounding_account(session: Session, amount: Decimal) -> list[tuple[int, Decimal]]:
    if amount == 0:
        return []
    account_id = session.profile.store.company.rounding_account_id
    if account_id is None:
        raise Problem(
            "invalid_state", "Cash rounding happened but the company has no rounding account."
        )
    return [(account_id, amount)]


def session_sales_postings(*, session: Session) -> list[Posting]:
    """Sales per income account and tax rate, taxes, cash rounding and payments per method of
    the session's sold orders: a handful of GROUP BY queries, lines independent of volume."""
    # One pass over the lines: net and tax per income account, tax account and rate.
    grouped = list(
        OrderLine.objects.filter(order__session=session, order__state__in=SOLD)
        .values("income_account_id", "tax__account_id", "tax_rate")
        .annotate(sum_net=Sum("net"), sum_tax=Sum("tax_amount"))
        .order_by("income_account_id", "tax__account_id", "tax_rate")
        .values_list("income_account_id", "tax__account_id", "tax_rate", "sum_net", "sum_tax")
    )
    sales = [(income, _rate_label("Sales", rate), net) for income, _, rate, net, _ in grouped]
    taxes = [(tax_acc, _rate_label("VAT", rate), tax) for _, tax_acc, rate, _, tax in grouped]
    rounding = (
        Order.objects.filter(session=session, state__in=SOLD).aggregate(r=Sum("rounding"))["r"]
        or ZERO
    )
    payments = [
        (account, name, amount)
        for account, name, amount in Payment.objects.filter(session=session, order__state__in=SOLD)
        .values("payment_method__financial_account__ledger_account_id", "payment_method__name")
        .annotate(amount=Sum("amount"))
        .order_by("payment_method__name")
        .values_list(
            "payment_method__financial_account__ledger_account_id", "payment_method__name", "amount"
        )
    ]
    # Held orders a manager accepted: paid − due per account (a handful of rows at most).
    differences = list(
        Order.objects.filter(session=session, state__in=SOLD)
        .exclude(difference=0)
        .values("difference_account_id")
        .annotate(amount=Sum("difference"))
        .order_by("difference_account_id")
        .values_list("difference_account_id", "amount")
    )
    return sales_postings(
        sales=sales,
        taxes=taxes,
        rounding=_rounding_account(session, rounding),
        payments=payments,
        differences=differences,
    )


def _order_postings(order: StoredOrder, session: Session) -> list[Posting]:
    return sales_postings(
        sales=[
            (line.income_account_id, _rate_label("Sales", line.tax_rate), line.net)
            for line in order.lines
        ],
        taxes=[
            (line.tax_account_id, _rate_label("VAT", line.tax_rate), line.tax_amount)
            for line in order.lines
        ],
        rounding=_rounding_account(session, order.rounding),
        payments=[(p.ledger_account_id, p.method_name, p.amount) for p in order.payments],
        differences=[(order.difference_account_id, order.difference)]
        if order.difference and order.difference_account_id is not None
        else [],
    )


def orders_after_sync(*, orders: Sequence[StoredOrder], session: Session) -> None:
    """Run in the sync transaction: individual invoices for orders that ask for one, and a
    journal entry per paid order when the profile posts in real time."""
    from opentill.invoicing.services import invoices_for_orders

    invoices_for_orders(orders=orders, session=session)
    if session.profile.posting_mode != PosProfile.PostingMode.PER_ORDER:
        return
    for order in orders:
        if order.state not in SOLD:
            continue
        journal_entry_create(
            kind=JournalEntry.Kind.ORDER,
            reference=f"{session.name} order {order.uuid}",
            postings=_order_postings(order, session),
            session_id=session.pk,
            order_id=order.pk,
        )
