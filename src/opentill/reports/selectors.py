"""The X/Z report of a session: one model that every format renders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from opentill.accounting.models import JournalEntry, JournalLine
from opentill.identity.roles import is_manager
from opentill.invoicing.models import Invoice
from opentill.money import RATE_PLACES, ZERO, fmt
from opentill.orders.models import Order, OrderLine, Payment
from opentill.pos.models import Session, SessionCount
from opentill.pos.selectors import SOLD_STATES, session_expected_amounts


def _money(value: Decimal | None) -> str:
    return fmt(value if value is not None else ZERO) or "0.00"


def _counts(session: Session, stage: str, hide_expected: bool) -> list[dict[str, Any]]:
    rows = []
    for c in (
        session.counts.filter(stage=stage)
        .select_related("payment_method")
        .prefetch_related("denominations")
    ):
        row: dict[str, Any] = {
            "payment_method": c.payment_method_id,
            "name": c.payment_method.name,
            "counted": _money(c.counted),
            "denominations": [
                {"value": _money(d.value), "quantity": d.quantity} for d in c.denominations.all()
            ],
            "at": c.created_at.isoformat(),
        }
        if not hide_expected:
            row["expected"] = _money(c.expected)
            row["difference"] = _money(c.difference)
        if stage == SessionCount.Stage.CLOSING:
            row["keep"] = _money(c.keep)
            row["transferred"] = _money(c.transferred)
        rows.append(row)
    return rows


def session_report(*, session: Session, user: Any = None) -> dict[str, Any]:
    """X report while the session is open, Z report once it is closed."""
    closed = session.state == Session.State.CLOSED
    hide_expected = (
        not closed and session.profile.blind_close and user is not None and not is_manager(user)
    )
    company = session.profile.store.company
    orders = Order.objects.filter(session=session)
    states = dict(orders.values("state").annotate(n=Count("id")).values_list("state", "n"))
    sold = orders.filter(state__in=SOLD_STATES)
    totals = sold.aggregate(
        n=Count("id"),
        sum_total=Sum("total"),
        sum_due=Sum("amount_due"),
        sum_rounding=Sum("rounding"),
        refunds=Sum("total", filter=Q(total__lt=0)),
        refund_count=Count("id", filter=Q(total__lt=0)),
    )
    lines = OrderLine.objects.filter(order__session=session, order__state__in=SOLD_STATES)
    per_rate = [
        {
            "rate": fmt(rate, RATE_PLACES),
            "net": _money(net),
            "tax": _money(tax),
            "gross": _money(gross),
        }
        for rate, net, tax, gross in lines.values("tax_rate")
        .annotate(net=Sum("net"), tax=Sum("tax_amount"), gross=Sum("total"))
        .order_by("tax_rate")
        .values_list("tax_rate", "net", "tax", "gross")
    ]
    discounts = lines.aggregate(d=Sum("discount"))["d"]
    payments = [
        {"payment_method": mid, "name": name, "amount": _money(amount), "count": n}
        for mid, name, amount, n in Payment.objects.filter(
            session=session, order__state__in=SOLD_STATES
        )
        .values("payment_method_id", "payment_method__name")
        .annotate(amount=Sum("amount"), n=Count("id"))
        .order_by("payment_method_id")
        .values_list("payment_method_id", "payment_method__name", "amount", "n")
    ]
    cash_moves = [
        {
            "kind": m.kind,
            "payment_method": m.payment_method.name,
            "amount": _money(m.amount),
            "destination": m.destination,
            "reason": m.reason,
            "at": m.created_at.isoformat(),
            "by": m.created_by.get_username(),
        }
        for m in session.cash_moves.select_related("payment_method", "created_by")
    ]
    expected_now: list[dict[str, Any]] = []
    if not closed and not hide_expected:
        expected = session_expected_amounts(session=session)
        names = dict(session.profile.payment_methods.values_list("pk", "name"))
        expected_now = [
            {"payment_method": k, "name": names[k], "expected": _money(v)}
            for k, v in expected.items()
        ]
    invoices = [
        {
            "number": i.number,
            "kind": i.kind,
            "consolidated": i.consolidated,
            "customer": i.customer.name,
            "net_total": _money(i.net_total),
            "tax_total": _money(i.tax_total),
            "total": _money(i.total),
        }
        for i in Invoice.objects.filter(session=session).select_related("customer").order_by("id")
    ]
    journal_lines = JournalLine.objects.filter(entry__session=session)
    journal_totals = journal_lines.aggregate(
        debit=Sum("debit"), credit=Sum("credit"), n=Count("id")
    )
    journal_accounts = [
        {"code": code, "name": name, "debit": _money(debit), "credit": _money(credit)}
        for code, name, debit, credit in journal_lines.values("account__code", "account__name")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account__code")
        .values_list("account__code", "account__name", "debit", "credit")
    ]
    return {
        "kind": "Z" if closed else "X",
        "company": company.name,
        "currency": company.currency,
        "store": session.profile.store.name,
        "profile": session.profile.name,
        "session": {
            "id": session.pk,
            "name": session.name,
            "state": session.state,
            "rescue": session.rescue,
        },
        "cashier": session.user.get_username(),
        "opened_at": session.opened_at.isoformat() if session.opened_at else None,
        "closed_at": session.closed_at.isoformat() if session.closed_at else None,
        "closed_by": session.closed_by.get_username() if session.closed_by else None,
        "orders": {
            "count": totals["n"],
            "drafts": states.get(Order.State.DRAFT, 0),
            "voided": states.get(Order.State.VOID, 0),
            "refunds": totals["refund_count"],
            "refunds_total": _money(totals["refunds"]),
            "sales_total": _money(totals["sum_total"]),
            "rounding": _money(totals["sum_rounding"]),
            "amount_due_total": _money(totals["sum_due"]),
            "discounts": _money(discounts),
        },
        "sales_by_tax_rate": per_rate,
        "payments": payments,
        "cash_moves": cash_moves,
        "opening": _counts(session, SessionCount.Stage.OPENING, hide_expected),
        "partial_counts": _counts(session, SessionCount.Stage.PARTIAL, hide_expected),
        "expected_now": expected_now,
        "closing": _counts(session, SessionCount.Stage.CLOSING, hide_expected),
        "invoices": invoices,
        "journal": {
            "entries": JournalEntry.objects.filter(session=session).count(),
            "lines": journal_totals["n"],
            "debit": _money(journal_totals["debit"]),
            "credit": _money(journal_totals["credit"]),
            "accounts": journal_accounts,
        },
        "notes": {
            "opening": session.opening_notes,
            "closing": session.closing_notes,
            "force_close_reason": session.force_close_reason,
        },
    }
