"""Sessions, closes and journal entries as the session endpoints answer them (dicts in
the shapes of closing/schemas.py)."""

from __future__ import annotations

from typing import Any

from opentill.accounting.models import JournalEntry
from opentill.closing import services as closing
from opentill.money import ZERO, currency_places, fmt
from opentill.orders.selectors import (
    next_numbers,
    session_payments,
    session_sales,
)
from opentill.pos import selectors
from opentill.pos.access import blind_for
from opentill.pos.models import PaymentMethod, PosProfile, Session, SessionCount


def sessions_out(sessions: list[Session], viewer: Any) -> list[dict[str, Any]]:
    """Serialise sessions with their figures, aggregated in a few queries for the whole page;
    under blind close the viewer does not see the payment totals of an open session."""
    ids = [s.pk for s in sessions]
    sales = session_sales(session_ids=ids)
    payments = session_payments(session_ids=ids)
    openings: dict[int, list[dict[str, Any]]] = {}
    closings: dict[int, list[dict[str, Any]]] = {}
    by_session = {s.pk: s for s in sessions}
    # The decimals of each session's currency, in one query for the page.
    currencies = dict(
        PosProfile.objects.filter(pk__in={s.profile_id for s in sessions}).values_list(
            "pk", "store__company__currency"
        )
    )
    places = {s.pk: currency_places(currencies[s.profile_id]) for s in sessions}
    for count in (
        SessionCount.objects.filter(session_id__in=ids)
        .exclude(stage=SessionCount.Stage.PARTIAL)
        .select_related("payment_method", "approved_by")
    ):
        approver = count.approved_by.get_username() if count.approved_by else None
        p = places[count.session_id]
        if count.stage == SessionCount.Stage.OPENING:
            openings.setdefault(count.session_id, []).append(
                {
                    "payment_method": count.payment_method_id,
                    "name": count.payment_method.name,
                    "expected": fmt(count.expected, p),
                    "counted": fmt(count.counted, p),
                    "difference": fmt(count.difference, p),
                    "first_float": count.expected == 0,
                    "approved_by": approver,
                }
            )
            continue
        blind = blind_for(by_session[count.session_id], viewer)
        closings.setdefault(count.session_id, []).append(
            {
                "payment_method": count.payment_method_id,
                "name": count.payment_method.name,
                "expected": None if blind else fmt(count.expected, p),
                "counted": fmt(count.counted, p),
                "difference": None if blind else fmt(count.difference, p),
                "keep": fmt(count.keep, p),
                "transferred": fmt(count.transferred, p),
                "not_counted": count.not_counted,
                "approved_by": approver,
            }
        )
    for s in sessions:
        if s.state == Session.State.OPENING_CONTROL:
            # Nothing counted yet: every countable method with the float it should find.
            openings[s.pk] = [
                {
                    "payment_method": method.pk,
                    "name": method.name,
                    "expected": fmt(expected, places[s.pk]),
                    "counted": None,
                    "difference": None,
                    "first_float": expected == 0,
                    "approved_by": None,
                }
                for method, expected in selectors.session_expected_opening(session=s)
            ]
    method_names = dict(
        PaymentMethod.objects.filter(profile_id__in={s.profile_id for s in sessions}).values_list(
            "pk", "name"
        )
    )
    numbers = next_numbers(profile_ids={s.profile_id for s in sessions})
    result = []
    for s in sessions:
        n, total = sales.get(s.pk, (0, None))
        result.append(
            {
                "id": s.pk,
                "name": s.name,
                "profile": s.profile_id,
                "profile_name": s.profile.name,
                "user": s.user.get_username(),
                "user_id": s.user_id,
                "state": s.state,
                "rescue": s.rescue,
                "training": s.training,
                "opened_at": s.opened_at,
                "closed_at": s.closed_at,
                "opening": openings.get(s.pk, []),
                "closing": closings.get(s.pk, []),
                "order_count": n,
                "sales_total": fmt(total if total is not None else ZERO, places[s.pk]),
                "payments": [
                    {
                        "payment_method": mid,
                        "name": method_names.get(mid, ""),
                        "amount": fmt(amount, places[s.pk]),
                    }
                    for mid, amount in sorted(payments.get(s.pk, {}).items())
                    if not blind_for(s, viewer)
                ],
                "number_series": s.profile.code.upper(),
                # The till's, for a terminal selling in it: none once the session is closed
                # (what a closed session shows never changes).
                "next_number": None if s.state == Session.State.CLOSED else numbers[s.profile_id],
            }
        )
    return result


def session_out(session: Session, viewer: Any) -> dict[str, Any]:
    return sessions_out([session], viewer)[0]


def closed_out(result: closing.CloseResult, viewer: Any) -> dict[str, Any]:
    body = session_out(result.session, viewer)
    places = result.session.places
    body["differences"] = [
        {
            "payment_method": m.method_id,
            "name": m.name,
            "expected": fmt(m.expected, places),
            "counted": fmt(m.counted, places),
            "difference": fmt(m.difference, places),
            "keep": fmt(m.keep, places),
            "transferred": fmt(m.transfer, places),
            "not_counted": m.not_counted,
        }
        for m in result.plan.methods
    ]
    body["needs_approval"] = result.session.state == Session.State.CLOSING_CONTROL
    body["approved_by"] = result.approved_by.get_username() if result.approved_by else None
    return body


def journal_entries_out(entries: list[JournalEntry], places: int) -> list[dict[str, Any]]:
    """A session's journal entries; ``places``: the decimals of the company's currency."""
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
                    "debit": fmt(line.debit, places),
                    "credit": fmt(line.credit, places),
                    "label": line.label,
                }
                for line in e.lines.all()
            ],
        }
        for e in entries
    ]
