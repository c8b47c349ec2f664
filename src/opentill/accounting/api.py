"""Journal entries of a session and financial account balances."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opentill.accounting.models import FinancialAccount, JournalEntry
from opentill.accounting.selectors import account_balances
from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.identity.roles import is_accountant, is_manager
from opentill.money import fmt
from opentill.pos.selectors import session_for_read
from opentill.stores.access import store_scoped

router = Router(tags=["accounting"])


class AccountOut(Schema):
    code: str
    name: str


class JournalLineOut(Schema):
    account: AccountOut
    debit: str
    credit: str
    label: str


class JournalEntryOut(Schema):
    id: int
    date: date
    kind: str
    reference: str
    order: str | None
    lines: list[JournalLineOut]


class FinancialAccountOut(Schema):
    id: int
    name: str
    kind: str
    store: int | None
    balance: str
    payment_method: int | None


def journal_entries_out(entries: list[JournalEntry]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.pk,
            "date": e.date,
            "kind": e.kind,
            "reference": e.reference,
            "order": str(e.order.uuid) if e.order_id and e.order else None,
            "lines": [
                {
                    # The account's label as posted, not as renamed since.
                    "account": {"code": line.account.code, "name": line.account_name},
                    "debit": fmt(line.debit),
                    "credit": fmt(line.credit),
                    "label": line.label,
                }
                for line in e.lines.all()
            ],
        }
        for e in entries
    ]


@router.get(
    "/sessions/{session_id}/journal-entries",
    response={200: list[JournalEntryOut], **problems(403, 404, 422)},
)
def session_journal_entries(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    session = session_for_read(session_id, request.user)
    entries = list(
        JournalEntry.objects.filter(session=session)
        .select_related("order")
        .prefetch_related("lines__account")
        .order_by("id")
    )
    return journal_entries_out(entries)


@router.get("/financial-accounts", response={200: list[FinancialAccountOut], **problems(403)})
def financial_accounts(request: HttpRequest) -> list[dict[str, Any]]:
    if not (is_manager(request.user) or is_accountant(request.user)):
        raise Problem("forbidden", "Financial accounts are for managers and accountants.")
    accounts = list(
        store_scoped(FinancialAccount.objects.all(), request.user, "store_id")
        .select_related("payment_method")
        .order_by("name")
    )
    balances = account_balances(account_ids=[a.pk for a in accounts])
    result = []
    for a in accounts:
        method = getattr(a, "payment_method", None)
        result.append(
            {
                "id": a.pk,
                "name": a.name,
                "kind": a.kind,
                "store": a.store_id,
                "balance": fmt(balances[a.pk]),
                "payment_method": method.pk if method else None,
            }
        )
    return result
