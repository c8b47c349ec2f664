"""What each kind of fiscal record says, as plain values in the canonical form (amounts as
strings with the currency's decimals, times in RFC 3339 UTC). Pure: no Django. The journal
(:mod:`opentill.fiscal.services`) adds the fields every record has: ``format``, ``till``,
``till_code``, ``sequence``, ``kind``, ``created_at``, ``key_id``, ``session``, ``currency``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from opentill.fiscal.canonical import amount, rate, time
from opentill.orders.domain import StoredOrder


def number_of(order: Any) -> int | str | None:
    """The order's ticket number when orders have one (issue #13 item 1), else ``None``."""
    number = getattr(order, "number", None)
    if number is None or isinstance(number, int | str):
        return number
    return str(number)


def sale_kind(order: StoredOrder) -> str:
    """``refund`` for an order whose total is below zero, else ``ticket``."""
    return "refund" if order.total < 0 else "ticket"


def sale(order: StoredOrder, *, session_name: str, places: int) -> dict[str, Any]:
    """A ticket or refund: its lines' sums (sale and refund lines apart), per tax as
    charged, the order's totals and its payments per method."""
    zero = Decimal(0)
    sales = [zero, zero, zero]
    refunds = [zero, zero, zero]
    # (name, kind, rate) → [sales base, sales tax, refunds base, refunds tax]
    taxes: dict[tuple[str, str, str], list[Decimal]] = {}
    for line in order.lines:
        refund = line.quantity < 0
        sums = refunds if refund else sales
        sums[0] += line.net
        sums[1] += line.tax_amount
        sums[2] += line.total
        for t in line.taxes:
            key = (t.name, t.kind, rate(t.rate))
            tax = taxes.get(key)
            if tax is None:
                tax = taxes[key] = [zero, zero, zero, zero]
            if refund:
                tax[2] += t.base
                tax[3] += t.amount
            else:
                tax[0] += t.base
                tax[1] += t.amount
    payments: dict[int, tuple[str, Decimal]] = {}
    for p in order.payments:
        name, paid = payments.get(p.payment_method_id, (p.method_name, zero))
        payments[p.payment_method_id] = (name, paid + p.amount)
    return {
        "order": str(order.uuid),
        "number": number_of(order),
        "session_name": session_name,
        "ordered_at": time(order.created_at),
        "sales": _net_tax_total(sales, places),
        "refunds": _net_tax_total(refunds, places),
        "taxes": [
            {
                "name": name,
                "kind": kind,
                "rate": tax_rate,
                "sales": _base_tax(sums[0:2], places),
                "refunds": _base_tax(sums[2:4], places),
            }
            for (name, kind, tax_rate), sums in sorted(taxes.items())
        ],
        "net_total": amount(order.net_total, places),
        "tax_total": amount(order.tax_total, places),
        "total": amount(order.total, places),
        "rounding": amount(order.rounding, places),
        "amount_due": amount(order.amount_due, places),
        "difference": amount(order.difference, places),
        "payments": [
            {"method_id": pk, "method": name, "amount": amount(paid, places)}
            for pk, (name, paid) in sorted(payments.items())
        ],
    }


def void(
    *,
    order_uuid: str,
    number: int | str | None,
    session_name: str,
    ordered_at: datetime,
    total: Decimal,
    amount_due: Decimal,
    reason: str,
    places: int,
) -> dict[str, Any]:
    """The void of a pending (draft) ticket."""
    return {
        "order": order_uuid,
        "number": number,
        "session_name": session_name,
        "ordered_at": time(ordered_at),
        "total": amount(total, places),
        "amount_due": amount(amount_due, places),
        "reason": reason,
    }


def rescue(*, session_name: str, orders: Sequence[str]) -> dict[str, Any]:
    """Orders stored in a rescue session (their own session was closing or closed)."""
    return {"session_name": session_name, "orders": list(orders)}


def force_close(*, session_name: str, reason: str, by: str) -> dict[str, Any]:
    return {"session_name": session_name, "reason": reason, "by": by}


def z(
    *,
    session_name: str,
    rescue: bool,
    forced: bool,
    opened_at: datetime | None,
    closed_at: datetime,
    closed_by: str,
    period: dict[str, Any],
    perpetual: dict[str, Any],
    training: bool = False,
) -> dict[str, Any]:
    """A session's close with its period and the till's perpetual grand totals
    (:mod:`opentill.fiscal.totals`); a training session's says ``"training": true``."""
    return {
        "session_name": session_name,
        "rescue": rescue,
        "forced": forced,
        "opened_at": time(opened_at) if opened_at else None,
        "closed_at": time(closed_at),
        "closed_by": closed_by,
        "period": period,
        "perpetual": perpetual,
        **({"training": True} if training else {}),
    }


def key_rotation(*, new_key_id: str, new_public_key: str) -> dict[str, Any]:
    """Signed with the outgoing key: the records after it are signed with the new one."""
    return {"new_key_id": new_key_id, "new_public_key": new_public_key}


def _net_tax_total(sums: list[Decimal], places: int) -> dict[str, str]:
    return {
        "net": amount(sums[0], places),
        "tax": amount(sums[1], places),
        "total": amount(sums[2], places),
    }


def _base_tax(sums: list[Decimal], places: int) -> dict[str, str]:
    return {"base": amount(sums[0], places), "tax": amount(sums[1], places)}


# --- technical events (fiscal/events.py) -------------------------------------------------------


def reprint(
    *, what: str, reference: str, medium: str, by: str, order: str | None, number: str | None
) -> dict[str, Any]:
    """A receipt or a report asked for again: which (``what``, ``reference``), how
    (``medium``: screen, print, pdf, html, text, escpos), by whom."""
    return {
        "what": what,
        "reference": reference,
        "medium": medium,
        "by": by,
        "order": order,
        "number": number,
    }


def approval(*, session_name: str, action: str, approver: str, why: str) -> dict[str, Any]:
    """A manager's approval of an opening or closing difference beyond the maximum."""
    return {"session_name": session_name, "action": action, "approver": approver, "why": why}


def settings_change(*, change: str, subject: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A change of prices, taxes or fiscal settings: ``changes`` maps each changed field to
    ``{"from", "to"}`` (amounts and rates as strings)."""
    return {"change": change, "subject": subject, "changes": changes}


def version(*, version: str, previous: str | None) -> dict[str, Any]:
    """The software version now running, and the one the till's journal recorded before."""
    return {"version": version, "previous": previous}
