"""Reads of financial accounts: balances are SQL aggregates over their transactions."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum

from opentill.accounting.models import FinancialTransaction
from opentill.money import ZERO


def account_balances(*, account_ids: Iterable[int]) -> dict[int, Decimal]:
    """Balance of each account (0.00 for one without transactions), in one query."""
    ids = list(account_ids)
    balances = {account_id: ZERO for account_id in ids}
    rows = (
        FinancialTransaction.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(balance=Sum("amount"))
        .values_list("account_id", "balance")
    )
    for account_id, balance in rows:
        balances[account_id] = balance or ZERO
    return balances


def account_balance(*, account_id: int) -> Decimal:
    return account_balances(account_ids=[account_id])[account_id]
