"""Reads of orders and held orders: what the API, the close, the back office and the reports
show, and the sums of a session's sold orders that its journal entry books."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Case, Count, Max, Min, Q, QuerySet, Sum, Value, When

from opentill.accounting.postings import Sold, SoldNet, SoldTax
from opentill.money import STORED_PLACES, ZERO, AmountError, fmt, parse_decimal
from opentill.orders.domain import NumberGap, TicketNumbers, ticket_number
from opentill.orders.models import HeldOrder, Order, OrderLine, OrderLineTax, Payment

SOLD_STATES = (Order.State.PAID, Order.State.INVOICED)
SOLD = SOLD_STATES


def held_orders_of_session(*, session_id: int, unresolved: bool = True) -> QuerySet[HeldOrder]:
    """The session's held orders, oldest first: only those waiting for a manager, or all."""
    qs = (
        HeldOrder.objects.filter(session_id=session_id)
        .select_related("resolved_by", "order")
        .prefetch_related("order__payments")
    )
    if unresolved:
        qs = qs.filter(state=HeldOrder.State.HELD)
    return qs.order_by("id")


def held_uuids_unresolved(*, session_id: int, limit: int = 100) -> list[str]:
    """Uuids of the session's held orders that wait for a manager (what blocks its close)."""
    return [
        str(u)
        for u in HeldOrder.objects.filter(session_id=session_id, state=HeldOrder.State.HELD)
        .order_by("id")
        .values_list("uuid", flat=True)[:limit]
    ]


def held_counts(*, session_ids: Iterable[int]) -> dict[int, int]:
    """Number of unresolved held orders per session (sessions without any left out)."""
    rows = (
        HeldOrder.objects.filter(session_id__in=list(session_ids), state=HeldOrder.State.HELD)
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    return dict(rows)


def _amount(value: Any) -> Any:
    try:
        return parse_decimal(value, places=STORED_PLACES)
    except AmountError:
        return None


def payload_summary(payload: Any, places: int) -> dict[str, Any]:
    """What a person needs to recognise a held ticket: its state, number of lines, the total
    it carried (if any) and what its payments add up to (when they read as amounts)."""
    if not isinstance(payload, dict):
        return {"state": None, "lines": None, "total": None, "paid": None}
    lines = payload.get("lines")
    payments = payload.get("payments")
    paid = None
    if isinstance(payments, list) and all(isinstance(p, dict) for p in payments):
        amounts = [_amount(p.get("amount")) for p in payments]
        if all(a is not None for a in amounts):
            paid = fmt(sum(amounts, ZERO), places)
    total = _amount(payload.get("total"))
    state = payload.get("state", "paid")
    return {
        "state": state if isinstance(state, str) else None,
        "lines": len(lines) if isinstance(lines, list) else None,
        "total": fmt(total, places) if total is not None else None,
        "paid": paid,
    }


def held_reason(error: Any) -> str:
    """Why a ticket is held, in the plain words of its problem document."""
    if isinstance(error, dict):
        return str(error.get("detail") or error.get("title") or error.get("code") or "")
    return ""


def session_payments(*, session_ids: Iterable[int]) -> dict[int, dict[int, Decimal]]:
    """Payments per session and payment method (refunds included, negative)."""
    result: dict[int, dict[int, Decimal]] = {}
    rows = (
        Payment.objects.filter(session_id__in=list(session_ids))
        .exclude(order__state=Order.State.VOID)
        .values("session_id", "payment_method_id")
        .annotate(amount=Sum("amount"))
        .values_list("session_id", "payment_method_id", "amount")
    )
    for session_id, method_id, amount in rows:
        result.setdefault(session_id, {})[method_id] = amount
    return result


def session_sales(*, session_ids: Iterable[int]) -> dict[int, tuple[int, Decimal]]:
    """(order count, sales total) of each session's paid and invoiced orders."""
    rows = (
        Order.objects.filter(session_id__in=list(session_ids), state__in=SOLD_STATES)
        .values("session_id")
        .annotate(n=Count("id"), total=Sum("amount_due"))
        .values_list("session_id", "n", "total")
    )
    return {sid: (n, total or ZERO) for sid, n, total in rows}


def order_taxes(*, order_id: int) -> list[tuple[int, str, Decimal, Decimal]]:
    """(tax id, name, base, amount) per tax of a stored order, by tax id."""
    return list(
        OrderLineTax.objects.filter(order_id=order_id)
        .values("tax_id", "name")
        .annotate(base=Sum("base"), amount=Sum("amount"))
        .order_by("tax_id")
        .values_list("tax_id", "name", "base", "amount")
    )


def tax_summary(*, session_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The VAT summary of sold orders: per tax (as charged: name, kind, rate), the base and
    tax of sale lines and of refund lines apart, and both together; percent taxes first (by
    rate), then fixed ones. One GROUP BY over the order line taxes."""
    rows: dict[tuple[int, str, str, Decimal], dict[str, Any]] = {}
    for tax_id, name, kind, rate, refund, base, amount in (
        OrderLineTax.objects.filter(
            order__session_id__in=list(session_ids), order__state__in=SOLD_STATES
        )
        .values("tax_id", "name", "kind", "rate", "refund")
        .annotate(sum_base=Sum("base"), sum_amount=Sum("amount"))
        .order_by("tax_id", "name", "kind", "rate", "refund")
        .values_list("tax_id", "name", "kind", "rate", "refund", "sum_base", "sum_amount")
    ):
        row = rows.setdefault(
            (tax_id, name, kind, rate),
            {
                "tax": tax_id,
                "name": name,
                "kind": kind,
                "rate": rate,
                "sales_base": ZERO,
                "sales_tax": ZERO,
                "refunds_base": ZERO,
                "refunds_tax": ZERO,
            },
        )
        side = "refunds" if refund else "sales"
        row[f"{side}_base"] += base
        row[f"{side}_tax"] += amount
    for row in rows.values():
        row["base"] = row["sales_base"] + row["refunds_base"]
        row["amount"] = row["sales_tax"] + row["refunds_tax"]
    return sorted(rows.values(), key=lambda r: (r["kind"] != "percent", r["rate"], r["name"]))


def session_pending_orders(*, session_id: int) -> QuerySet[Order]:
    return Order.objects.filter(session_id=session_id, state=Order.State.DRAFT).order_by("id")


#: Orders whose sales their sale books (the session's or the order's entry): those not
#: invoiced on their own. An order invoiced at sync had its sales booked by its invoice
#: entry; its payments settle the receivable instead.
BOOKED_BY_SALE = Q(invoice__isnull=True) | Q(invoice__consolidated=True)
BOOKED_BY_INVOICE = Q(invoice__consolidated=False)


def session_sold_lines(*, session_id: int) -> tuple[list[SoldNet], list[SoldTax]]:
    """The session's sold lines whose sales the session's entry books: their net per income
    account, taxes and sale or refund (negative quantity), and each of their taxes per
    account, tax name and sale or refund: two GROUP BYs, independent of volume."""
    booked = Q(order__invoice__isnull=True) | Q(order__invoice__consolidated=True)
    refund = Case(
        When(quantity__lt=0, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    sales = (
        OrderLine.objects.filter(booked, order__session_id=session_id, order__state__in=SOLD)
        .annotate(refund=refund)
        .values("income_account_id", "tax_label", "refund")
        .annotate(sum_net=Sum("net"))
        .order_by("income_account_id", "tax_label", "refund")
        .values_list("income_account_id", "tax_label", "refund", "sum_net")
    )
    taxes = (
        OrderLineTax.objects.filter(booked, order__session_id=session_id, order__state__in=SOLD)
        .values("account_id", "name", "refund")
        .annotate(sum_amount=Sum("amount"))
        .order_by("account_id", "name", "refund")
        .values_list("account_id", "name", "refund", "sum_amount")
    )
    return (
        [SoldNet(a, key, net, refund=bool(r)) for a, key, r, net in sales],
        [SoldTax(a, name, amount, refund=bool(r)) for a, name, r, amount in taxes],
    )


def session_sold(
    *, session_id: int, rounding_account_id: int | None, receivable_account_id: int | None = None
) -> Sold:
    """What the session's sold orders book, as SQL aggregates: net per income account and
    taxes, each tax per account, sale or refund apart, cash rounding, payments per method,
    accepted held order differences per account, and the amount due of the orders invoiced
    on their own (their payments settle the receivable). A handful of GROUP BY queries,
    independent of volume."""
    sold = Order.objects.filter(session_id=session_id, state__in=SOLD)
    sums = sold.aggregate(
        rounding=Sum("rounding", filter=BOOKED_BY_SALE),
        invoiced=Sum("amount_due", filter=BOOKED_BY_INVOICE & Q(amount_due__gt=0)),
        credited=Sum("amount_due", filter=BOOKED_BY_INVOICE & Q(amount_due__lt=0)),
    )
    payments = list(
        Payment.objects.filter(session_id=session_id, order__state__in=SOLD)
        .values("payment_method__financial_account__ledger_account_id", "payment_method__name")
        .annotate(amount=Sum("amount"))
        .order_by("payment_method__name")
        .values_list(
            "payment_method__financial_account__ledger_account_id", "payment_method__name", "amount"
        )
    )
    differences = list(
        sold.exclude(difference=0)
        .values("difference_account_id")
        .annotate(amount=Sum("difference"))
        .order_by("difference_account_id")
        .values_list("difference_account_id", "amount")
    )
    sales, taxes = session_sold_lines(session_id=session_id)
    return Sold(
        sales=sales,
        taxes=taxes,
        rounding=sums["rounding"] or ZERO,
        rounding_account_id=rounding_account_id,
        payments=payments,
        differences=differences,
        settled=[
            (receivable_account_id, amount)
            for amount in (sums["invoiced"], sums["credited"])
            if amount
        ],
    )


# --- ticket numbers -------------------------------------------------------------------------


def next_numbers(*, profile_ids: Iterable[int]) -> dict[int, int]:
    """The next ticket number of each till: one more than the highest it has (1 for a till
    that has numbered nothing yet). A terminal continues from here, or from its own counter
    when that is further (tickets it has not sent yet)."""
    ids = list(profile_ids)
    top = dict(
        Order.objects.filter(till_id__in=ids)
        .values("till_id")
        .annotate(top=Max("sequence"))
        .values_list("till_id", "top")
    )
    return {pk: (top.get(pk) or 0) + 1 for pk in ids}


def session_numbers(*, session_id: int, till_id: int, code: str) -> TicketNumbers:
    """The ticket numbers of a session, for its X/Z report: the first and the last, how many,
    and the gaps — numbers of the till's series that no order of the till carries, from just
    after the till's highest number below the session's first up to the session's last (so
    a gap between two sessions shows on the later one; a late ticket stored in the rescue
    session fills its gap). Each gap is a range ``first`` … ``last`` of ``count`` numbers."""
    numbered = Order.objects.filter(session_id=session_id, sequence__isnull=False)
    span = numbered.aggregate(first=Min("sequence"), last=Max("sequence"), n=Count("id"))
    if not span["n"]:
        return {
            "series": code.upper(),
            "first": None,
            "last": None,
            "count": 0,
            "gaps": [],
            "missing": 0,
        }
    first, last = span["first"], span["last"]
    till = Order.objects.filter(till_id=till_id)
    before = till.filter(sequence__lt=first).aggregate(top=Max("sequence"))["top"] or 0
    expected = before + 1
    gaps: list[NumberGap] = []
    for stored in (
        till.filter(sequence__gte=expected, sequence__lte=last)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    ):
        sequence = int(stored or 0)
        if sequence > expected:
            gaps.append(
                {
                    "first": ticket_number(code, expected),
                    "last": ticket_number(code, sequence - 1),
                    "count": sequence - expected,
                }
            )
        expected = sequence + 1
    return {
        "series": code.upper(),
        "first": ticket_number(code, first),
        "last": ticket_number(code, last),
        "count": span["n"],
        "gaps": gaps,
        "missing": sum(g["count"] for g in gaps),
    }
