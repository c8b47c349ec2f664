"""Reads of held orders: what the API, the close, the back office and the reports show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from opentill.money import ZERO, AmountError, fmt, parse_decimal
from opentill.orders.models import HeldOrder


def held_orders_of_session(*, session_id: int, unresolved: bool = True) -> QuerySet[HeldOrder]:
    """The session's held orders, oldest first: only those waiting for a manager, or all."""
    qs = HeldOrder.objects.filter(session_id=session_id).select_related("resolved_by", "order")
    if unresolved:
        qs = qs.filter(state=HeldOrder.State.HELD)
    return qs.order_by("id")


def held_uuids_unresolved(*, session_id: int, limit: int = 100) -> list[str]:
    """Uuids of the session's held orders that wait for a manager (what blocks its close)."""
    return [
        str(u)
        for u in HeldOrder.objects.filter(session_id=session_id, state=HeldOrder.State.HELD)
        .order_by("id")
        .values_list("uuid", flat=True)[:limit]
    ]


def held_counts(*, session_ids: Iterable[int]) -> dict[int, int]:
    """Number of unresolved held orders per session (sessions without any left out)."""
    rows = (
        HeldOrder.objects.filter(session_id__in=list(session_ids), state=HeldOrder.State.HELD)
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    return dict(rows)


def _amount(value: Any) -> Any:
    try:
        return parse_decimal(value)
    except AmountError:
        return None


def payload_summary(payload: Any) -> dict[str, Any]:
    """What a person needs to recognise a held ticket: its state, number of lines, the total
    it carried (if any) and what its payments add up to (when they read as amounts)."""
    if not isinstance(payload, dict):
        return {"state": None, "lines": None, "total": None, "paid": None}
    lines = payload.get("lines")
    payments = payload.get("payments")
    paid = None
    if isinstance(payments, list) and all(isinstance(p, dict) for p in payments):
        amounts = [_amount(p.get("amount")) for p in payments]
        if all(a is not None for a in amounts):
            paid = fmt(sum(amounts, ZERO))
    total = _amount(payload.get("total"))
    state = payload.get("state", "paid")
    return {
        "state": state if isinstance(state, str) else None,
        "lines": len(lines) if isinstance(lines, list) else None,
        "total": fmt(total) if total is not None else None,
        "paid": paid,
    }


def held_reason(error: Any) -> str:
    """Why a ticket is held, in the plain words of its problem document."""
    if isinstance(error, dict):
        return str(error.get("detail") or error.get("title") or error.get("code") or "")
    return ""
