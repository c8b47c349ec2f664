"""Sessions over HTTP: create, open, list, read with their figures (sales and payments
from orders), the closing data, close, validate, force close, partial close (the X
report) and the session's journal entries. Each operation keeps the id it had before these
endpoints moved here (``opentill_pos_api_…``, ``opentill_accounting_api_…``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opentill.accounting.models import JournalEntry
from opentill.closing import services as closing
from opentill.common.schemas import Money, MultilineText, Text, problems
from opentill.limits import MAX_DENOMINATION_QUANTITY, MAX_ID, MAX_OFFSET
from opentill.money import QUANTITY_PLACES, RATE_PLACES, ZERO, fmt
from opentill.orders.selectors import (
    held_orders_of_session,
    held_reason,
    payload_summary,
    session_payments,
    session_pending_orders,
    session_sales,
)
from opentill.pos import selectors, services
from opentill.pos.access import blind_for
from opentill.pos.counting import CountInput, DenominationRow
from opentill.pos.models import PaymentMethod, Session, SessionCount
from opentill.pos.selectors import profile_for_use, session_for_read
from opentill.reports.selectors import session_report

router = Router(tags=["sessions"])

# A manager's approval (POST /api/v1/auth/approvals) for an action that needs one.
APPROVAL_HEADER = "X-OpenTill-Approval"


def _approval_doc(action: str) -> dict[str, Any]:
    """OpenAPI description of the approval header an endpoint reads."""
    return {
        "parameters": [
            {
                "in": "header",
                "name": APPROVAL_HEADER,
                "required": False,
                "schema": {"type": "string"},
                "description": f"A manager's approval for `{action}` on this session, needed "
                "when a cashier's difference exceeds the profile's maximum (single use).",
            }
        ]
    }


# --- wire schemas -----------------------------------------------------------------------


class DenominationIn(Schema):
    value: Money
    quantity: int = Field(..., ge=0, le=MAX_DENOMINATION_QUANTITY)


class OpeningCountIn(Schema):
    payment_method: int
    amount: Money | None = None
    denominations: list[DenominationIn] | None = None


class OpenIn(Schema):
    counts: list[OpeningCountIn] = []
    notes: MultilineText = Field("", max_length=2000)


class OpeningOut(Schema):
    payment_method: int
    name: str
    expected: str
    counted: str | None = Field(..., description="null while the session is in opening_control")
    difference: str | None
    first_float: bool = Field(
        ...,
        description="no float was kept at the last close (expected 0.00): the counted amount "
        "becomes the drawer's float",
    )
    approved_by: str | None = Field(
        None, description="the manager who approved a difference beyond the maximum"
    )


class SessionClosingCountOut(Schema):
    payment_method: int
    name: str
    expected: str | None = Field(..., description="null for a cashier under blind close")
    counted: str
    difference: str | None
    keep: str | None
    transferred: str | None
    not_counted: bool = Field(
        ..., description="nobody counted it: the amount was taken as expected (force close)"
    )
    approved_by: str | None


class MethodAmountOut(Schema):
    payment_method: int
    name: str
    amount: str


class SessionOut(Schema):
    id: int
    name: str
    profile: int
    profile_name: str
    user: str
    user_id: int
    state: str
    rescue: bool
    opened_at: datetime | None
    closed_at: datetime | None
    opening: list[OpeningOut]
    closing: list[SessionClosingCountOut] = Field(
        ..., description="the closing counts, once the session is counted (closing_control, closed)"
    )
    order_count: int
    sales_total: str
    payments: list[MethodAmountOut]


class SessionPage(Schema):
    items: list[SessionOut]
    count: int


# --- presenters ---------------------------------------------------------------------------


def sessions_out(sessions: list[Session], viewer: Any) -> list[dict[str, Any]]:
    """Serialise sessions with their figures, aggregated in a few queries for the whole page;
    under blind close the viewer does not see the payment totals of an open session."""
    ids = [s.pk for s in sessions]
    sales = session_sales(session_ids=ids)
    payments = session_payments(session_ids=ids)
    openings: dict[int, list[dict[str, Any]]] = {}
    closings: dict[int, list[dict[str, Any]]] = {}
    by_session = {s.pk: s for s in sessions}
    for count in (
        SessionCount.objects.filter(session_id__in=ids)
        .exclude(stage=SessionCount.Stage.PARTIAL)
        .select_related("payment_method", "approved_by")
    ):
        approver = count.approved_by.get_username() if count.approved_by else None
        if count.stage == SessionCount.Stage.OPENING:
            openings.setdefault(count.session_id, []).append(
                {
                    "payment_method": count.payment_method_id,
                    "name": count.payment_method.name,
                    "expected": fmt(count.expected),
                    "counted": fmt(count.counted),
                    "difference": fmt(count.difference),
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
                "expected": None if blind else fmt(count.expected),
                "counted": fmt(count.counted),
                "difference": None if blind else fmt(count.difference),
                "keep": fmt(count.keep),
                "transferred": fmt(count.transferred),
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
                    "expected": fmt(expected),
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
                "opened_at": s.opened_at,
                "closed_at": s.closed_at,
                "opening": openings.get(s.pk, []),
                "closing": closings.get(s.pk, []),
                "order_count": n,
                "sales_total": fmt(total) if total is not None else "0.00",
                "payments": [
                    {
                        "payment_method": mid,
                        "name": method_names.get(mid, ""),
                        "amount": fmt(amount),
                    }
                    for mid, amount in sorted(payments.get(s.pk, {}).items())
                    if not blind_for(s, viewer)
                ],
            }
        )
    return result


def session_out(session: Session, viewer: Any) -> dict[str, Any]:
    return sessions_out([session], viewer)[0]


# --- endpoints ----------------------------------------------------------------------------


@router.post(
    "/profiles/{profile_id}/sessions",
    response={201: SessionOut, **problems(403, 404, 409, 422)},
    operation_id="opentill_pos_api_session_create",
)
def session_create(request: HttpRequest, profile_id: int) -> Status:
    profile = profile_for_use(profile_id, request.user)
    session = services.session_create(profile=profile, user=request.user)
    return Status(201, session_out(session, request.user))


@router.post(
    "/sessions/{session_id}/open",
    response={200: SessionOut, **problems(400, 403, 404, 409, 413, 422)},
    openapi_extra=_approval_doc("opening_difference"),
    operation_id="opentill_pos_api_session_open",
)
def session_open(request: HttpRequest, session_id: int, body: OpenIn) -> dict[str, Any]:
    session_for_read(session_id, request.user)
    counts = [
        CountInput(
            payment_method_id=c.payment_method,
            counted=c.amount,
            denominations=tuple(
                DenominationRow(d.value, d.quantity) for d in c.denominations or []
            ),
        )
        for c in body.counts
    ]
    session = services.session_open(
        session_id=session_id,
        user=request.user,
        counts=counts,
        notes=body.notes,
        approval=request.headers.get(APPROVAL_HEADER),
    )
    return session_out(session, request.user)


@router.get(
    "/sessions",
    response={200: SessionPage, **problems(422)},
    operation_id="opentill_pos_api_session_list",
)
def session_list(
    request: HttpRequest,
    profile: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None,
    state: Session.State | None = None,
    user: str | None = None,
    limit: Annotated[int, Field(ge=1, le=500)] = 50,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    qs = selectors.session_list(user=request.user, profile=profile, state=state, username=user)
    page = list(qs[offset : offset + limit])
    return {"items": sessions_out(page, request.user), "count": qs.count()}


@router.get(
    "/sessions/{session_id}",
    response={200: SessionOut, **problems(403, 404, 422)},
    operation_id="opentill_pos_api_session_detail",
)
def session_detail(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return session_out(session_for_read(session_id, request.user), request.user)


# --- closing -------------------------------------------------------------------------------


class PendingLineOut(Schema):
    product: int
    quantity: str
    unit_price: str
    discount_percent: str


class PendingOrderOut(Schema):
    uuid: str
    total: str
    created_at: datetime
    customer: int | None
    to_invoice: bool
    lines: list[PendingLineOut]


class HeldOrderBriefOut(Schema):
    uuid: str
    received_at: datetime
    code: str
    detail: str = Field(..., description="why it is held, in plain words")
    total: str | None = Field(..., description="the total the ticket carried, if any")
    paid: str | None = Field(..., description="what its payments add up to, if they read")


class ClosingLineOut(Schema):
    payment_method: int
    name: str
    kind: str
    countable: bool
    expected: str | None = None
    keep_policy: str
    keep_amount: str


class ClosingOut(Schema):
    session: int
    state: str
    blind: bool
    pending_orders: list[PendingOrderOut]
    held_orders: list[HeldOrderBriefOut] = Field(
        ...,
        description="tickets held for a manager: the close is refused (409 held_orders) "
        "until each is accepted or voided",
    )
    lines: list[ClosingLineOut]
    expected_total: str | None = None
    max_difference: str


class CloseCountIn(Schema):
    payment_method: int
    counted: Money | None = None
    keep: Money | None = None
    denominations: list[DenominationIn] | None = None


class CloseIn(Schema):
    counts: list[CloseCountIn] = []
    notes: MultilineText = Field("", max_length=2000)


class ValidateIn(Schema):
    notes: MultilineText = Field("", max_length=2000)


class ForceCloseIn(Schema):
    reason: MultilineText = Field(..., min_length=1, max_length=2000)
    counts: list[CloseCountIn] | None = None


class DifferenceOut(Schema):
    payment_method: int
    name: str
    expected: str
    counted: str
    difference: str
    keep: str
    transferred: str
    not_counted: bool = Field(
        ..., description="nobody counted it: the amount was taken as expected (force close)"
    )


class ClosedSessionOut(SessionOut):
    differences: list[DifferenceOut]
    needs_approval: bool
    approved_by: str | None = Field(
        ..., description="the manager whose approval let a difference beyond the maximum through"
    )


class DropIn(Schema):
    payment_method: int
    amount: Money
    destination: Text = Field("", max_length=200)
    reason: Text = Field("", max_length=255)


class PartialCloseIn(Schema):
    counts: list[CloseCountIn] = []
    drop: DropIn | None = None


def _counts(items: list[CloseCountIn] | None) -> list[CountInput]:
    return [
        CountInput(
            payment_method_id=c.payment_method,
            counted=c.counted,
            denominations=tuple(
                DenominationRow(d.value, d.quantity) for d in c.denominations or []
            ),
            keep=c.keep,
        )
        for c in items or []
    ]


def closed_out(result: closing.CloseResult, viewer: Any) -> dict[str, Any]:
    body = session_out(result.session, viewer)
    body["differences"] = [
        {
            "payment_method": m.method_id,
            "name": m.name,
            "expected": fmt(m.expected),
            "counted": fmt(m.counted),
            "difference": fmt(m.difference),
            "keep": fmt(m.keep),
            "transferred": fmt(m.transfer),
            "not_counted": m.not_counted,
        }
        for m in result.plan.methods
    ]
    body["needs_approval"] = result.session.state == Session.State.CLOSING_CONTROL
    body["approved_by"] = result.approved_by.get_username() if result.approved_by else None
    return body


@router.get(
    "/sessions/{session_id}/closing",
    response={200: ClosingOut, **problems(403, 404, 422)},
    exclude_unset=True,
    operation_id="opentill_pos_api_session_closing",
)
def session_closing(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = session_for_read(session_id, request.user)
    blind = blind_for(session, request.user)
    expected = selectors.session_expected_amounts(session=session)
    lines = []
    for m in session.profile.payment_methods.all():
        line: dict[str, Any] = {
            "payment_method": m.pk,
            "name": m.name,
            "kind": m.kind,
            "countable": m.countable,
            "keep_policy": m.keep_policy,
            "keep_amount": fmt(m.keep_amount),
        }
        if not blind:
            line["expected"] = fmt(expected[m.pk])
        lines.append(line)
    body: dict[str, Any] = {
        "session": session.pk,
        "state": session.state,
        "blind": blind,
        "pending_orders": [
            {
                "uuid": str(o.uuid),
                "total": fmt(o.total),
                "created_at": o.created_at,
                "customer": o.customer_id,
                "to_invoice": o.to_invoice,
                # The lines let a terminal resume (and pay) a ticket parked on another device.
                "lines": [
                    {
                        "product": line.product_id,
                        "quantity": fmt(line.quantity, QUANTITY_PLACES),
                        "unit_price": fmt(line.unit_price),
                        "discount_percent": fmt(line.discount_percent, RATE_PLACES),
                    }
                    for line in o.lines.all()
                ],
            }
            for o in session_pending_orders(session_id=session.pk).prefetch_related("lines")
        ],
        "held_orders": [
            {
                "uuid": str(h.uuid),
                "received_at": h.received_at,
                "code": str(h.error.get("code", "")),
                "detail": held_reason(h.error),
                "total": payload_summary(h.payload)["total"],
                "paid": payload_summary(h.payload)["paid"],
            }
            for h in held_orders_of_session(session_id=session.pk)
        ],
        "lines": lines,
        "max_difference": fmt(session.profile.max_difference),
    }
    if not blind:
        body["expected_total"] = fmt(sum(expected.values(), ZERO))
    return body


@router.post(
    "/sessions/{session_id}/close",
    response={200: ClosedSessionOut, **problems(400, 403, 404, 409, 413, 422)},
    openapi_extra=_approval_doc("closing_difference"),
    operation_id="opentill_pos_api_session_close",
)
def session_close(request: HttpRequest, session_id: int, body: CloseIn) -> dict[str, Any]:
    result = closing.session_close(
        session_id=session_id,
        user=request.user,
        counts=_counts(body.counts),
        notes=body.notes,
        approval=request.headers.get(APPROVAL_HEADER),
    )
    return closed_out(result, request.user)


@router.post(
    "/sessions/{session_id}/validate-closing",
    response={200: ClosedSessionOut, **problems(400, 403, 404, 409, 413, 422)},
    operation_id="opentill_pos_api_session_validate_closing",
)
def session_validate_closing(
    request: HttpRequest, session_id: int, body: ValidateIn
) -> dict[str, Any]:
    return closed_out(
        closing.session_validate_closing(
            session_id=session_id, user=request.user, notes=body.notes
        ),
        request.user,
    )


@router.post(
    "/sessions/{session_id}/force-close",
    response={200: ClosedSessionOut, **problems(400, 403, 404, 409, 413, 422)},
    operation_id="opentill_pos_api_session_force_close",
)
def session_force_close(
    request: HttpRequest, session_id: int, body: ForceCloseIn
) -> dict[str, Any]:
    counts = _counts(body.counts) if body.counts is not None else None
    return closed_out(
        closing.session_force_close(
            session_id=session_id, user=request.user, reason=body.reason, counts=counts
        ),
        request.user,
    )


@router.post(
    "/sessions/{session_id}/partial-close",
    response={200: dict[str, Any], **problems(400, 403, 404, 409, 413, 422)},
    operation_id="opentill_pos_api_session_partial_close",
)
def session_partial_close(
    request: HttpRequest, session_id: int, body: PartialCloseIn
) -> dict[str, Any]:
    with transaction.atomic():
        if body.drop is not None:
            services.cash_move_create(
                session_id=session_id,
                user=request.user,
                kind="drop",
                payment_method_id=body.drop.payment_method,
                amount=body.drop.amount,
                destination=body.drop.destination,
                reason=body.drop.reason or "Partial close",
            )
        closing.session_partial_close(
            session_id=session_id, user=request.user, counts=_counts(body.counts)
        )
    return session_report(session=session_for_read(session_id, request.user), user=request.user)


# --- a session's journal entries -------------------------------------------------------


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
    operation_id="opentill_accounting_api_session_journal_entries",
    tags=["accounting"],
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
