"""Sessions over HTTP: create, open, list, read with their figures (sales and payments
from orders), the closing data, close, validate, force close, partial close (the X
report) and the session's journal entries; their wire shapes are closing/schemas.py, the
answers are built by closing/presenters.py. Each operation keeps the id it had before these
endpoints moved here (``opentill_pos_api_…``, ``opentill_accounting_api_…``)."""

from __future__ import annotations

from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Status

from opentill.accounting.models import JournalEntry
from opentill.closing import services as closing
from opentill.closing.presenters import closed_out, journal_entries_out, session_out, sessions_out
from opentill.closing.schemas import (
    CloseCountIn,
    ClosedSessionOut,
    CloseIn,
    ClosingOut,
    ForceCloseIn,
    JournalEntryOut,
    OpenIn,
    PartialCloseIn,
    SessionCreateIn,
    SessionOut,
    SessionPage,
    ValidateIn,
)
from opentill.common.schemas import problems
from opentill.limits import MAX_ID, MAX_OFFSET
from opentill.money import QUANTITY_PLACES, RATE_PLACES, ZERO, fmt
from opentill.orders.selectors import (
    held_orders_of_session,
    held_reason,
    payload_summary,
    session_pending_orders,
)
from opentill.pos import selectors, services
from opentill.pos.access import blind_for
from opentill.pos.counting import CountInput, DenominationRow
from opentill.pos.models import Session
from opentill.pos.selectors import profile_for_use, session_for_read
from opentill.reports.model import SessionReport
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


# --- endpoints ----------------------------------------------------------------------------


@router.post(
    "/profiles/{profile_id}/sessions",
    response={201: SessionOut, **problems(400, 403, 404, 409, 413, 422)},
    operation_id="opentill_pos_api_session_create",
)
def session_create(
    request: HttpRequest, profile_id: int, body: SessionCreateIn | None = None
) -> Status:
    """Start a session; ``training``: a training session (its tickets are not sales)."""
    profile = profile_for_use(profile_id, request.user)
    session = services.session_create(
        profile=profile, user=request.user, training=bool(body and body.training)
    )
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
    places = session.places
    lines = []
    for m in session.profile.payment_methods.all():
        line: dict[str, Any] = {
            "payment_method": m.pk,
            "name": m.name,
            "kind": m.kind,
            "countable": m.countable,
            "keep_policy": m.keep_policy,
            "keep_amount": fmt(m.keep_amount, places),
        }
        if not blind:
            line["expected"] = fmt(expected[m.pk], places)
        lines.append(line)
    body: dict[str, Any] = {
        "session": session.pk,
        "state": session.state,
        "blind": blind,
        "pending_orders": [
            {
                "uuid": str(o.uuid),
                "number": o.number,
                "total": fmt(o.total, places),
                "created_at": o.created_at,
                "customer": o.customer_id,
                "fiscal_position": o.fiscal_position_id,
                "to_invoice": o.to_invoice,
                # The lines let a terminal resume (and pay) a ticket parked on another device.
                "lines": [
                    {
                        "product": line.product_id,
                        "quantity": fmt(line.quantity, QUANTITY_PLACES),
                        # As rung: the terminal applies the fiscal position again.
                        "unit_price": fmt(
                            line.unit_price if line.list_price is None else line.list_price,
                            places,
                        ),
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
                "total": payload_summary(h.payload, places)["total"],
                "paid": payload_summary(h.payload, places)["paid"],
            }
            for h in held_orders_of_session(session_id=session.pk)
        ],
        "lines": lines,
        "max_difference": fmt(session.profile.max_difference, places),
    }
    if not blind:
        body["expected_total"] = fmt(sum(expected.values(), ZERO), places)
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
) -> SessionReport:
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
    return journal_entries_out(entries, session.places)
