"""Writes on ledger accounts, financial accounts and the journal."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from opentill.accounting.models import (
    FinancialTransaction,
    GLItem,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Reconciliation,
)
from opentill.accounting.postings import Posting, build_entry
from opentill.accounting.selectors import ledger_account_is_posted
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record, model_values
from opentill.common.problems import Problem
from opentill.money import ZERO


def ledger_account_check_change(*, account: LedgerAccount, code: str, kind: str) -> None:
    """Refuse a new code or kind for an account with posted journal lines (422 problem
    ``validation_error`` naming the fields): past entries must read as they were posted."""
    errors: list[dict[str, Any]] = []
    if account.pk is not None and (code != account.code or kind != account.kind):
        if account.posted or ledger_account_is_posted(account_id=account.pk):
            if code != account.code:
                errors.append(
                    {
                        "loc": ["body", "code"],
                        "msg": f"Account {account.code} has posted journal lines: its code "
                        "is kept. Rename its label, or open a new account.",
                    }
                )
            if kind != account.kind:
                errors.append(
                    {
                        "loc": ["body", "kind"],
                        "msg": f"Account {account.code} has posted journal lines: it stays "
                        f"{account.get_kind_display().lower()}. Open a new account for "
                        "another kind.",
                    }
                )
    if errors:
        raise Problem(
            "validation_error",
            "; ".join(e["msg"] for e in errors),
            errors=errors,
        )


def ledger_account_update(
    *, account_id: int, user: Any, code: str, name: str, kind: str
) -> LedgerAccount:
    """Change a ledger account. Its label may always be renamed (audited with the old and
    the new label; posted lines keep theirs); its code and kind only while nothing is posted
    on it."""
    with transaction.atomic():
        # The row lock waits for postings in flight on this account (PostgreSQL).
        account = LedgerAccount.objects.select_for_update().get(pk=account_id)
        ledger_account_check_change(account=account, code=code, kind=kind)
        before = model_values(account)
        old_name = account.name
        account.code, account.name, account.kind = code, name, kind
        account.full_clean()
        account.save(update_fields=["code", "name", "kind"])
        detail = "changed"
        if name != old_name:
            detail = f"label renamed from {old_name!r} to {name!r}"
        audit_record(
            user=user,
            action=AuditEvent.Action.CONFIG_CHANGED,
            obj=account,
            before=before,
            after=model_values(account),
            detail=detail,
        )
        return account


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


def _posting_accounts(account_ids: set[int]) -> dict[int, str]:
    """Mark the accounts an entry posts on as posted (their code and kind are kept from now
    on) and return their labels, which each line keeps as posted.

    Marking comes before the lines are written: on PostgreSQL the row lock it takes makes a
    concurrent change of code or kind wait for the entry, then see the flag and be refused.
    """
    LedgerAccount.objects.filter(pk__in=account_ids, posted=False).update(posted=True)
    return dict(LedgerAccount.objects.filter(pk__in=account_ids).values_list("pk", "name"))


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
    names = _posting_accounts({line.account_id for line in lines})
    JournalLine.objects.bulk_create(
        JournalLine(
            entry=entry,
            account_id=line.account_id,
            account_name=names.get(line.account_id, ""),
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
