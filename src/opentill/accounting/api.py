"""Financial account balances. (A session's journal entries: closing/api.py.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opentill.accounting.models import FinancialAccount
from opentill.accounting.selectors import account_balances
from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.identity.roles import may_see_reports
from opentill.money import fmt
from opentill.stores.access import store_scoped

router = Router(tags=["accounting"])


class FinancialAccountOut(Schema):
    id: int
    name: str
    kind: str
    store: int | None
    balance: str
    payment_method: int | None


@router.get("/financial-accounts", response={200: list[FinancialAccountOut], **problems(403)})
def financial_accounts(request: HttpRequest) -> list[dict[str, Any]]:
    if not may_see_reports(request.user):
        raise Problem("forbidden", "Financial accounts are for managers and accountants.")
    accounts = list(
        store_scoped(FinancialAccount.objects.all(), request.user, "store_id")
        .select_related("payment_method", "store__company")
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
                # A company-wide account (no store) shows two decimals.
                "balance": fmt(balances[a.pk], a.store.company.places if a.store else 2),
                "payment_method": method.pk if method else None,
            }
        )
    return result
