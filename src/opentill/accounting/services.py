"""Writes on financial accounts."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from opentill.accounting.journal import Posting, build_entry
from opentill.accounting.models import (
    FinancialTransaction,
    GLItem,
    JournalEntry,
    JournalLine,
    Reconciliation,
)
from opentill.money import ZERO


def transaction_create(
    *,
    account_id: int,
    kind: str,
    amount: Decimal,
    gl_item: GLItem | None,
    comment: str = "",
    session_id: int | None = None,
) -> FinancialTransaction:
    """Record one deposit (positive) or withdrawal (negative) on a financial account."""
    return FinancialTransaction.objects.create(
        account_id=account_id,
        kind=kind,
        amount=amount,
        gl_item=gl_item,
        comment=comment[:255],
        session_id=session_id,
    )


def journal_entry_create(
    *,
    kind: str,
    reference: str,
    postings: Iterable[Posting],
    session_id: int | None = None,
    order_id: int | None = None,
    date: datetime.date | None = None,
) -> JournalEntry | None:
    """Book a balanced entry from signed postings (debit positive); None when all are zero."""
    lines = build_entry(postings)
    if not lines:
        return None
    entry = JournalEntry.objects.create(
        kind=kind,
        date=date or timezone.localdate(),
        reference=reference[:200],
        session_id=session_id,
        order_id=order_id,
    )
    JournalLine.objects.bulk_create(
        JournalLine(
            entry=entry,
            account_id=line.account_id,
            debit=line.debit,
            credit=line.credit,
            label=line.label[:200],
        )
        for line in lines
    )
    return entry


def reconciliation_create(
    *, account_id: int, transactions: QuerySet[FinancialTransaction], session_id: int | None
) -> Reconciliation | None:
    """Clear ``transactions`` (pending ones of ``account_id``) into a processed reconciliation.

    Its start balance is the end of the account's previous reconciliation, so the end
    balances of an account's reconciliations are a running total of what they cleared.
    """
    cleared = transactions.filter(account_id=account_id, reconciliation__isnull=True)
    summary = cleared.aggregate(n=Count("id"), total=Sum("amount"))
    if not summary["n"]:
        return None
    start = (
        Reconciliation.objects.filter(account_id=account_id)
        .order_by("-id")
        .values_list("end_balance", flat=True)
        .first()
        or ZERO
    )
    reconciliation = Reconciliation.objects.create(
        account_id=account_id,
        session_id=session_id,
        start_balance=start,
        end_balance=start + (summary["total"] or ZERO),
        transaction_count=summary["n"],
        processed=True,
    )
    cleared.update(reconciliation=reconciliation)
    return reconciliation
