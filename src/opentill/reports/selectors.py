"""The X/Z report of a session: one model that every format renders."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from opentill.accounting.models import JournalEntry, JournalLine
from opentill.invoicing.models import Invoice
from opentill.money import QUANTITY_PLACES, RATE_PLACES, ZERO, fmt, quantize
from opentill.orders.models import HeldOrder, Order, OrderLine, Payment
from opentill.orders.selectors import SOLD_STATES, session_numbers, tax_summary
from opentill.pos.access import blind_for
from opentill.pos.models import PaymentMethod, Session, SessionCount
from opentill.pos.selectors import session_expected_amounts
from opentill.reports.model import (
    CashMoveRow,
    CategoryRow,
    ClosingTotals,
    CountColumn,
    CountRow,
    CountTotals,
    ExpectedRow,
    GrandTotal,
    InvoiceRow,
    JournalAccountRow,
    JournalEntryRow,
    PaymentRow,
    SessionReport,
    TaxesRow,
    TaxRow,
)


def _money(value: Decimal | None, places: int) -> str:
    """An amount with the currency's decimals (``places``); none is zero."""
    return fmt(value if value is not None else ZERO, places) or ""


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _at(value: datetime | None, tz: tzinfo) -> str | None:
    """RFC 3339 in the company's time zone: what a person reading the report expects."""
    return timezone.localtime(value, tz).isoformat() if value is not None else None


def _dec(value: Decimal | None) -> Decimal:
    return value if value is not None else ZERO


def _grand_total(session: Session, tz: tzinfo) -> GrandTotal:
    """The profile's perpetual grand total (as fiscal rules such as NF525 ask): every sold
    order of every session of the profile closed up to this one (a Z report), or closed so
    far plus this one (an X report). Closed sessions never change, so a Z report's grand
    total is fixed once printed."""
    closed = Q(state=Session.State.CLOSED)
    if session.state == Session.State.CLOSED and session.closed_at is not None:
        upto = closed & (
            Q(closed_at__lt=session.closed_at) | Q(closed_at=session.closed_at, pk__lte=session.pk)
        )
    else:
        upto = closed | Q(pk=session.pk)
    places = session.places
    # Training sessions are in no grand total (their own report shows its figures, marked).
    sessions = Session.objects.filter(upto, profile_id=session.profile_id, training=False)
    counted = sessions.aggregate(n=Count("id"), first=Min("opened_at"))
    sums = Order.objects.filter(session__in=sessions.values("pk"), state__in=SOLD_STATES).aggregate(
        grand=Sum("total"),
        positive=Sum("total", filter=Q(total__gt=0)),
        negative=Sum("total", filter=Q(total__lt=0)),
    )
    this = Order.objects.filter(session=session, state__in=SOLD_STATES).aggregate(t=Sum("total"))
    if session.training:
        this = {"t": None}  # not a sale: this session adds nothing to the till's totals
    perpetual = _dec(sums["grand"])
    return {
        "sessions": counted["n"],
        "since": _at(counted["first"], tz),
        "previous": _money(perpetual - _dec(this["t"]), places),
        "session": _money(this["t"], places),
        "perpetual": _money(perpetual, places),
        "perpetual_absolute": _money(_dec(sums["positive"]) - _dec(sums["negative"]), places),
    }


def _counts(session: Session, stage: str, hide_expected: bool, tz: tzinfo) -> list[CountRow]:
    places = session.places
    rows: list[CountRow] = []
    for c in (
        session.counts.filter(stage=stage)
        .select_related("payment_method", "approved_by")
        .prefetch_related("denominations")
    ):
        row: CountRow = {
            "payment_method": c.payment_method_id,
            "name": c.payment_method.name,
            "counted": _money(c.counted, places),
            # Taken as expected (force or rescue close): nobody counted this amount.
            "not_counted": c.not_counted,
            # The manager whose approval let a difference beyond the maximum through.
            "approved_by": c.approved_by.get_username() if c.approved_by else None,
            "denominations": [
                {"value": _money(d.value, places), "quantity": d.quantity}
                for d in c.denominations.all()
            ],
            "at": _at(c.created_at, tz),
        }
        if not hide_expected:
            row["expected"] = _money(c.expected, places)
            row["difference"] = _money(c.difference, places)
        if stage == SessionCount.Stage.CLOSING:
            row["keep"] = _money(c.keep, places)
            row["transferred"] = _money(c.transferred, places)
        rows.append(row)
    return rows


def _column_total(rows: list[CountRow], key: CountColumn, places: int) -> str | None:
    """The total of a column of count rows; ``None`` for a column hidden from the reader."""
    if any(key not in r for r in rows):
        return None
    return _money(sum((Decimal(r[key]) for r in rows), ZERO), places)


def _count_totals(rows: list[CountRow], places: int) -> CountTotals:
    return {
        "expected": _column_total(rows, "expected", places),
        "counted": _column_total(rows, "counted", places),
        "difference": _column_total(rows, "difference", places),
    }


def _closing_totals(rows: list[CountRow], places: int) -> ClosingTotals:
    return {
        "expected": _column_total(rows, "expected", places),
        "counted": _column_total(rows, "counted", places),
        "difference": _column_total(rows, "difference", places),
        "keep": _column_total(rows, "keep", places),
        "transferred": _column_total(rows, "transferred", places),
    }


def _tax_total(summary: list[dict[str, Any]], key: TaxAmount, places: int) -> str:
    """A column total of the VAT summary."""
    return _money(sum((t[key] for t in summary), ZERO), places)


def _sequence(session: Session) -> int:
    """The session's number on its profile, counting from its first session (Z number):
    regular and rescue sessions each count their own, so neither series has gaps."""
    return Session.objects.filter(
        profile_id=session.profile_id, rescue=session.rescue, pk__lte=session.pk
    ).count()


#: The figures of a row of the VAT summary (``taxes``): sale lines, refund lines, both.
TaxAmount = Literal["sales_base", "sales_tax", "refunds_base", "refunds_tax", "base", "amount"]


def session_report(*, session: Session, user: Any = None) -> SessionReport:
    """X report while the session is open, Z report once it is closed.

    Every format (JSON, HTML, PDF, text, ESC/POS) renders this one dictionary (typed by
    :class:`opentill.reports.model.SessionReport`), so they cannot disagree. Amounts are strings with the currency's decimals; times are RFC 3339
    in the company's time zone. ``orders.average_ticket`` is ``sales_total / count``.
    """
    closed = session.state == Session.State.CLOSED
    hide_expected = user is not None and blind_for(session, user)
    profile = session.profile
    company = profile.store.company
    places = company.places
    tz = _zone(company.time_zone)
    orders = Order.objects.filter(session=session)
    states = dict(orders.values("state").annotate(n=Count("id")).values_list("state", "n"))
    voided_total = orders.filter(state=Order.State.VOID).aggregate(t=Sum("total"))["t"]
    sold = orders.filter(state__in=SOLD_STATES)
    totals = sold.aggregate(
        n=Count("id"),
        sum_total=Sum("total"),
        sum_due=Sum("amount_due"),
        sum_rounding=Sum("rounding"),
        refunds=Sum("total", filter=Q(total__lt=0)),
        refund_count=Count("id", filter=Q(total__lt=0)),
    )
    count = totals["n"] or 0
    average = quantize(_dec(totals["sum_total"]) / count, rounding=ROUND_HALF_UP) if count else ZERO
    lines = OrderLine.objects.filter(order__session=session, order__state__in=SOLD_STATES)
    # Sales per the lines' taxes, as the journal books them ("21%", "10% + 21%").
    per_taxes: list[TaxesRow] = [
        {
            "taxes": key,
            "net": _money(net, places),
            "tax": _money(tax, places),
            "gross": _money(gross, places),
        }
        for key, net, tax, gross in lines.values("tax_label")
        .annotate(net=Sum("net"), tax=Sum("tax_amount"), gross=Sum("total"))
        .order_by("tax_label")
        .values_list("tax_label", "net", "tax", "gross")
    ]
    summary = tax_summary(session_ids=[session.pk])
    taxes: list[TaxRow] = [
        {
            "sales_base": _money(t["sales_base"], places),
            "sales_tax": _money(t["sales_tax"], places),
            "refunds_base": _money(t["refunds_base"], places),
            "refunds_tax": _money(t["refunds_tax"], places),
            "base": _money(t["base"], places),
            "amount": _money(t["amount"], places),
            "tax": t["tax"],
            "name": t["name"],
            "kind": t["kind"],
            "rate": fmt(t["rate"], RATE_PLACES) if t["kind"] == "percent" else None,
        }
        for t in summary
    ]
    line_totals = lines.aggregate(
        net=Sum("net"), tax=Sum("tax_amount"), gross=Sum("total"), discount=Sum("discount")
    )
    per_category: list[CategoryRow] = [
        {
            "category": name or "Uncategorised",
            "quantity": fmt(quantity, QUANTITY_PLACES),
            "net": _money(net, places),
            "tax": _money(tax, places),
            "gross": _money(gross, places),
            "discount": _money(discount, places),
        }
        for name, quantity, net, tax, gross, discount, _ in lines.values("product__category__name")
        .annotate(
            quantity=Sum("quantity"),
            net=Sum("net"),
            tax=Sum("tax_amount"),
            gross=Sum("total"),
            discount=Sum("discount"),
            seq=Min("product__category__sequence"),
        )
        .order_by("seq", "product__category__name")
        .values_list(
            "product__category__name", "quantity", "net", "tax", "gross", "discount", "seq"
        )
    ]
    # Under blind close the cashier's X report shows no payment totals either: with the
    # opening count they would give away the expected cash. ``tendered`` is what customers
    # handed over, ``change`` what the drawer gave back (cash only): amount = tendered − change.
    sold_payments = Payment.objects.filter(session=session, order__state__in=SOLD_STATES)
    payments: list[PaymentRow] = (
        []
        if hide_expected
        else [
            {
                "payment_method": mid,
                "name": name,
                "amount": _money(amount, places),
                "count": n,
                "cash": kind == PaymentMethod.Kind.CASH,
                "tendered": _money(tendered, places),
                "change": _money(change, places),
            }
            for mid, name, kind, amount, n, tendered, change in sold_payments.values(
                "payment_method_id", "payment_method__name", "payment_method__kind"
            )
            .annotate(
                amount=Sum("amount"), n=Count("id"), tendered=Sum("tendered"), change=Sum("change")
            )
            .order_by("payment_method_id")
            .values_list(
                "payment_method_id",
                "payment_method__name",
                "payment_method__kind",
                "amount",
                "n",
                "tendered",
                "change",
            )
        ]
    )
    payment_totals = sold_payments.aggregate(
        amount=Sum("amount"), tendered=Sum("tendered"), change=Sum("change")
    )
    cash_moves: list[CashMoveRow] = [
        {
            "kind": m.kind,
            "payment_method": m.payment_method.name,
            "amount": _money(m.amount, places),
            "destination": m.destination,
            "reason": m.reason,
            "at": _at(m.created_at, tz),
            "by": m.created_by.get_username(),
        }
        for m in session.cash_moves.select_related("payment_method", "created_by")
    ]
    move_totals: dict[str, Decimal] = dict(
        session.cash_moves.values("kind")
        .annotate(t=Sum("amount"))
        .order_by("kind")
        .values_list("kind", "t")
    )
    expected_now: list[ExpectedRow] = []
    if not closed and not hide_expected:
        expected = session_expected_amounts(session=session)
        names = dict(profile.payment_methods.values_list("pk", "name"))
        expected_now = [
            {"payment_method": k, "name": names[k], "expected": _money(v, places)}
            for k, v in expected.items()
        ]
    invoices: list[InvoiceRow] = [
        {
            "number": i.number,
            "kind": i.kind,
            "consolidated": i.consolidated,
            "customer": i.customer_name,
            "net_total": _money(i.net_total, places),
            "tax_total": _money(i.tax_total, places),
            "total": _money(i.total, places),
        }
        for i in Invoice.objects.filter(session=session).order_by("id")
    ]
    journal_lines = JournalLine.objects.filter(entry__session=session)
    journal_totals = journal_lines.aggregate(
        debit=Sum("debit"), credit=Sum("credit"), n=Count("id")
    )
    journal_accounts: list[JournalAccountRow] = [
        {
            "code": code,
            "name": name,
            "debit": _money(debit, places),
            "credit": _money(credit, places),
        }
        for code, name, debit, credit in journal_lines.values("account__code", "account_name")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account__code", "account_name")
        .values_list("account__code", "account_name", "debit", "credit")
    ]
    journal_entries: list[JournalEntryRow] = [
        {
            "id": pk,
            "date": day.isoformat(),
            "reference": reference,
            "debit": _money(debit, places),
            "credit": _money(credit, places),
        }
        for pk, day, reference, debit, credit in JournalEntry.objects.filter(session=session)
        .annotate(debit=Sum("lines__debit"), credit=Sum("lines__credit"))
        .order_by("id")
        .values_list("pk", "date", "reference", "debit", "credit")
    ]
    opening = _counts(session, SessionCount.Stage.OPENING, hide_expected, tz)
    closing = _counts(session, SessionCount.Stage.CLOSING, hide_expected, tz)
    manager = session.closed_by if closed and session.closed_by_id != session.user_id else None
    approver = next((c["approved_by"] for c in closing if c["approved_by"]), None)
    return {
        "kind": "Z" if closed else "X",
        "company": company.name,
        "currency": company.currency,
        "time_zone": str(tz),
        "store": profile.store.name,
        "store_address": profile.store.address,
        "profile": profile.name,
        "session": {
            "id": session.pk,
            "name": session.name,
            "sequence": _sequence(session),
            "state": session.state,
            "rescue": session.rescue,
            "training": session.training,
        },
        "cashier": session.user.get_username(),
        "cashier_name": session.user.get_full_name() or session.user.get_username(),
        "opened_at": _at(session.opened_at, tz),
        "closed_at": _at(session.closed_at, tz),
        "closed_by": session.closed_by.get_username() if session.closed_by else None,
        "generated_at": _at(timezone.now(), tz),
        "orders": {
            "count": totals["n"],
            "drafts": states.get(Order.State.DRAFT, 0),
            # Tickets held for a manager: in none of these totals until resolved.
            "held": HeldOrder.objects.filter(session=session, state=HeldOrder.State.HELD).count(),
            "voided": states.get(Order.State.VOID, 0),
            "voided_total": _money(voided_total, places),
            "refunds": totals["refund_count"],
            "refunds_total": _money(totals["refunds"], places),
            "sales_total": _money(totals["sum_total"], places),
            "average_ticket": _money(average, places),
            "rounding": _money(totals["sum_rounding"], places),
            "amount_due_total": _money(totals["sum_due"], places),
            "discounts": _money(line_totals["discount"], places),
        },
        # The ticket numbers: first, last and the gaps of the till's series (issue #13).
        "numbers": session_numbers(session_id=session.pk, till_id=profile.pk, code=profile.code),
        "sales_by_taxes": per_taxes,
        "sales_by_taxes_total": {
            "net": _money(line_totals["net"], places),
            "tax": _money(line_totals["tax"], places),
            "gross": _money(line_totals["gross"], places),
        },
        "taxes": taxes,
        "taxes_total": {
            "sales_base": _tax_total(summary, "sales_base", places),
            "sales_tax": _tax_total(summary, "sales_tax", places),
            "refunds_base": _tax_total(summary, "refunds_base", places),
            "refunds_tax": _tax_total(summary, "refunds_tax", places),
            "base": _tax_total(summary, "base", places),
            "amount": _tax_total(summary, "amount", places),
        },
        "sales_by_category": per_category,
        "payments": payments,
        "payments_total": _money(payment_totals["amount"], places),
        "payments_tendered_total": _money(payment_totals["tendered"], places),
        "payments_change_total": _money(payment_totals["change"], places),
        "cash_moves": cash_moves,
        "cash_moves_total": {
            "drop": _money(move_totals.get("drop"), places),
            "deposit": _money(move_totals.get("deposit"), places),
        },
        "opening": opening,
        "opening_total": _count_totals(opening, places),
        "partial_counts": _counts(session, SessionCount.Stage.PARTIAL, hide_expected, tz),
        "expected_now": expected_now,
        "closing": closing,
        "closing_total": _closing_totals(closing, places),
        "invoices": invoices,
        "invoices_summary": {
            "consolidated": sum(1 for i in invoices if i["consolidated"]),
            "individual": sum(1 for i in invoices if not i["consolidated"]),
            "credit_notes": sum(1 for i in invoices if i["kind"] == Invoice.Kind.CREDIT_NOTE),
        },
        "journal": {
            "entries": len(journal_entries),
            "lines": journal_totals["n"],
            "debit": _money(journal_totals["debit"], places),
            "credit": _money(journal_totals["credit"], places),
            "accounts": journal_accounts,
            "entry_list": journal_entries,
        },
        "grand_total": _grand_total(session, tz),
        "notes": {
            "opening": session.opening_notes,
            "closing": session.closing_notes,
            "force_close_reason": session.force_close_reason,
        },
        "signatures": [
            {"role": "Cashier", "name": session.user.get_username()},
            {
                "role": "Manager",
                "name": approver or (manager.get_username() if manager else ""),
            },
        ],
    }
