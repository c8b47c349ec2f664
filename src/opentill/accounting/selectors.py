"""Reads of accounts: balances are SQL aggregates over their transactions; a ledger account's
posted lines and the labels it had."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from opentill.accounting.models import FinancialTransaction, JournalLine, LedgerAccount
from opentill.accounting.postings import Movement
from opentill.audit.models import AuditEvent
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


def ledger_account_is_posted(*, account_id: int) -> bool:
    """Whether journal lines are posted on the ledger account (its code and kind are kept)."""
    return JournalLine.objects.filter(account_id=account_id).exists()


def ledger_account_label_history(*, account_id: int) -> list[dict[str, Any]]:
    """The account's renames from the audit trail, oldest first: when, who, old and new label."""
    events = AuditEvent.objects.filter(
        object_type=LedgerAccount._meta.label,
        object_id=str(account_id),
        action=AuditEvent.Action.CONFIG_CHANGED,
    ).select_related("user")
    history = []
    for event in events.order_by("id"):
        before, after = event.before or {}, event.after or {}
        if before and before.get("name") != after.get("name"):
            at: datetime = event.at
            history.append(
                {
                    "at": at,
                    "user": event.user.get_username() if event.user else "",
                    "old": before.get("name", ""),
                    "new": after.get("name", ""),
                }
            )
    return history


def session_movements(*, session_id: int) -> list[Movement]:
    """The session's non-payment transactions summed per kind, account and G/L item (what
    the close's entry books besides sales): one GROUP BY query."""
    labels = dict(FinancialTransaction.Kind.choices)
    grouped = (
        FinancialTransaction.objects.filter(session_id=session_id)
        .exclude(kind=FinancialTransaction.Kind.PAYMENT)
        .values("kind", "account__ledger_account_id", "gl_item__account_id")
        .annotate(total=Sum("amount"))
        .order_by("kind", "account__ledger_account_id", "gl_item__account_id")
        .values_list("kind", "account__ledger_account_id", "gl_item__account_id", "total")
    )
    return [
        Movement(
            kind=kind,
            label=labels.get(kind, kind),
            ledger_account_id=ledger_id,
            gl_account_id=gl_account_id,
            total=total,
        )
        for kind, ledger_id, gl_account_id, total in grouped
    ]
