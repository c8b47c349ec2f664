"""Writes on financial accounts."""

from __future__ import annotations

from decimal import Decimal

from opentill.accounting.models import FinancialTransaction, GLItem


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
