"""Helpers for the cash-close integration tests: snapshots of everything a close writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from opentill.accounting.models import (
    FinancialAccount,
    FinancialTransaction,
    JournalEntry,
    JournalLine,
    Reconciliation,
)
from opentill.accounting.selectors import account_balances
from opentill.catalog.models import StockMove
from opentill.invoicing.models import Invoice
from opentill.orders.models import Order
from opentill.pos.models import CashMove, Session, SessionCount
from tests.conftest import Api
from tests.integration.helpers import open_session

ZERO = Decimal("0.00")


def balances() -> dict[str, Decimal]:
    """Balance of every financial account, by name."""
    accounts = dict(FinancialAccount.objects.values_list("pk", "name"))
    return {accounts[pk]: value for pk, value in account_balances(account_ids=accounts).items()}


def snapshot(session_id: int) -> dict[str, Any]:
    """Everything a close may write, for the session and globally."""
    session = Session.objects.get(pk=session_id)
    return {
        "state": session.state,
        "closed_at": session.closed_at,
        "closing_counts": list(
            SessionCount.objects.filter(session_id=session_id, stage=SessionCount.Stage.CLOSING)
            .order_by("id")
            .values_list("payment_method_id", "expected", "counted", "keep", "transferred")
        ),
        "transactions": sorted(
            FinancialTransaction.objects.values_list(
                "pk", "account_id", "kind", "amount", "reconciliation_id"
            )
        ),
        "reconciliations": sorted(Reconciliation.objects.values_list("pk", "end_balance")),
        "journal_entries": JournalEntry.objects.count(),
        "journal_lines": JournalLine.objects.count(),
        "invoices": Invoice.objects.count(),
        "orders": sorted(Order.objects.values_list("pk", "state", "session_id", "invoice_id")),
        "stock_moves": StockMove.objects.count(),
        "cash_moves": CashMove.objects.count(),
        "balances": balances(),
    }


def journal_is_balanced() -> None:
    """Every journal entry balances, and all lines over all accounts sum to zero."""
    for entry in JournalEntry.objects.all():
        sums = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
        assert sums["d"] == sums["c"], f"entry {entry.reference} is unbalanced: {sums}"
    totals = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert (totals["d"] or ZERO) == (totals["c"] or ZERO)


def entry_lines(api: Api, session_id: int) -> list[tuple[str, str, str, str]]:
    """All lines of a session's journal entries, sorted: (code, label, debit, credit)."""
    entries = api.get(f"/sessions/{session_id}/journal-entries").json()
    return sorted(
        (line["account"]["code"], line["label"], line["debit"], line["credit"])
        for entry in entries
        for line in entry["lines"]
    )


def net_by_account(lines: list[tuple[str, str, str, str]]) -> dict[str, Decimal]:
    """Debit − credit per ledger account code (zeros left out)."""
    result: dict[str, Decimal] = {}
    for code, _, debit, credit in lines:
        result[code] = result.get(code, ZERO) + Decimal(debit) - Decimal(credit)
    return {code: value for code, value in result.items() if value}


def start_till1(api: Api, shop: dict[str, Any], counted: str = "100.00") -> dict[str, Any]:
    """A session on Till 1 (opening control) opened with ``counted`` cash."""
    return open_session(
        api, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": counted}]
    )


def close(api: Api, session_id: int, *counts: dict[str, Any], notes: str = "") -> Any:
    return api.post(f"/sessions/{session_id}/close", {"counts": list(counts), "notes": notes})


def count(method: Any, counted: str | None = None, keep: str | None = None, **extra: Any):
    body: dict[str, Any] = {"payment_method": method.pk, **extra}
    if counted is not None:
        body["counted"] = counted
    if keep is not None:
        body["keep"] = keep
    return body
