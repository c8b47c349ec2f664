"""Orders: POST /api/v1/sessions/{id}/orders (batch sync), POST /api/v1/orders/{uuid}/void,
and held orders: GET /api/v1/sessions/{id}/held-orders, POST /api/v1/held-orders/{uuid}/resolve."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.renderers import JSONRenderer

from opentill.common.problems import Problem
from opentill.common.schemas import Text, problems
from opentill.identity.auth import approval_header
from opentill.money import fmt
from opentill.orders import selectors, services
from opentill.orders.domain import stored_order_taxes
from opentill.orders.models import HeldOrder, Order
from opentill.orders.services import StoredOrder
from opentill.orders.wire import OrderWire
from opentill.pos.selectors import session_for_read, session_places

router = Router(tags=["orders"])
#: The API's renderer (ninja's JSON renderer, which ``opentill.api`` keeps).
_RENDERER = JSONRenderer()


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` put in place (no ``$ref`` left)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


#: The OpenAPI schema of each order of a batch: the wire model's own (one home of the shape).
_ORDER_IN_SCHEMA: dict[str, Any] = _inline(OrderWire.model_json_schema())


class SyncIn(Schema):
    # Each order is validated on its own by the service, so that one bad order is rejected
    # while the others are stored; the OpenAPI document still describes the order shape.
    orders: list[Any] = Field(..., json_schema_extra={"items": _ORDER_IN_SCHEMA})


class PaymentOut(Schema):
    payment_method: int
    amount: str = Field(..., description="net of change; negative for a refund")
    tendered: str = Field(..., description="what the customer handed over (amount + change)")
    change: str = Field(..., description="handed back in cash")


class OrderTaxOut(Schema):
    tax: int
    name: str
    base: str = Field(..., description="what the tax was computed on (sales and refunds summed)")
    amount: str


class OrderOut(Schema):
    id: int
    uuid: uuidlib.UUID
    session: int
    state: str
    number: str | None = Field(
        ...,
        description="the ticket number, TILL1-000123: continuous per till; none for a draft "
        "(and for orders stored before numbering)",
    )
    customer: int | None
    fiscal_position: int | None
    to_invoice: bool
    created_at: datetime
    net_total: str
    tax_total: str
    total: str
    rounding: str
    amount_due: str
    taxes: list[OrderTaxOut] = Field(..., description="the order's taxes, per tax")
    payments: list[PaymentOut]


class SyncResultOut(Schema):
    uuid: str | None
    status: str = Field(
        ...,
        description="created, duplicate, rescued, held (stored for a manager: not in any "
        "total until resolved) or rejected (no terminal could have sent it)",
    )
    session: int | None
    order: OrderOut | None
    error: dict[str, Any] | None


class SyncOut(Schema):
    results: list[SyncResultOut]


class VoidIn(Schema):
    reason: Text = Field("", max_length=255)


class BookedOrderOut(OrderOut):
    difference: str = Field(..., description="paid − amount due, booked as a difference")


class HeldOrderOut(Schema):
    uuid: uuidlib.UUID
    session: int = Field(
        ...,
        description="the session it is held in (a rescue session when "
        "its own was closing or closed)",
    )
    requested_session: int
    user: str
    received_at: datetime
    error: dict[str, Any] = Field(..., description="why it is held: a problem document")
    reason_text: str = Field(..., description="why it is held, in plain words")
    payload: Any = Field(..., description="the order object exactly as the terminal sent it")
    summary: dict[str, Any] = Field(
        ..., description="state, lines, total and paid as the payload carried them (or null)"
    )
    state: str = Field(..., description="held, accepted or voided")
    resolved_by: str | None
    resolved_at: datetime | None
    reason: str = Field(..., description="the manager's reason when resolved")
    order: BookedOrderOut | None = Field(..., description="the order booked on accept")


class ResolveIn(Schema):
    action: str = Field(..., pattern="^(accept|void)$")
    reason: Text = Field("", max_length=255)


def order_out(order: Order | StoredOrder, places: int) -> dict[str, Any]:
    """An order on the wire; ``places``: the decimals of the company's currency."""
    return {
        "id": order.pk,
        "uuid": order.uuid,
        "session": order.session_id,
        "state": order.state,
        "number": order.number,
        "customer": order.customer_id,
        "fiscal_position": order.fiscal_position_id,
        "to_invoice": order.to_invoice,
        "created_at": order.created_at,
        "net_total": fmt(order.net_total, places),
        "tax_total": fmt(order.tax_total, places),
        "total": fmt(order.total, places),
        "rounding": fmt(order.rounding, places),
        "amount_due": fmt(order.amount_due, places),
        "taxes": [
            {"tax": tax_id, "name": name, "base": fmt(base, places), "amount": fmt(amount, places)}
            for tax_id, name, base, amount in (
                stored_order_taxes(order)
                if isinstance(order, StoredOrder)
                else selectors.order_taxes(order_id=order.pk)
            )
        ],
        "payments": [
            {
                "payment_method": p.payment_method_id,
                "amount": fmt(p.amount, places),
                "tendered": fmt(p.tendered, places),
                "change": fmt(p.change, places),
            }
            for p in (order.payments if isinstance(order, StoredOrder) else order.payments.all())
        ],
    }


def held_order_out(held: HeldOrder, places: int) -> dict[str, Any]:
    order = held.order
    return {
        "uuid": held.uuid,
        "session": held.session_id,
        "requested_session": held.requested_session_id,
        "user": held.user.get_username(),
        "received_at": held.received_at,
        "error": held.error,
        "reason_text": selectors.held_reason(held.error),
        "payload": held.payload,
        "summary": selectors.payload_summary(held.payload, places),
        "state": held.state,
        "resolved_by": held.resolved_by.get_username() if held.resolved_by else None,
        "resolved_at": held.resolved_at,
        "reason": held.resolution_reason,
        "order": None
        if order is None
        else {**order_out(order, places), "difference": fmt(order.difference, places)},
    }


@router.post(
    "/sessions/{session_id}/orders",
    response={200: SyncOut, **problems(400, 403, 404, 409, 413, 422)},
)
def order_sync(request: HttpRequest, session_id: int, body: SyncIn) -> HttpResponse:
    results = services.order_sync(session_id=session_id, user=request.user, payloads=body.orders)
    places = session_places(session_id)
    answer = {
        "results": [
            {
                "uuid": r.uuid,
                "status": r.status,
                "session": r.session,
                "order": order_out(r.order, places) if r.order is not None else None,
                "error": r.error,
            }
            for r in results
        ]
    }
    # The answer is built here from typed values, in SyncOut's shape and field order (a
    # test renders it through SyncOut too and compares): rendered as it stands, without
    # validating a few thousand objects again (half a batch's time in the response).
    return HttpResponse(
        _RENDERER.render(request, answer, response_status=200),
        status=200,
        content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}",
    )


@router.post(
    "/orders/{order_uuid}/void", response={200: OrderOut, **problems(400, 403, 404, 409, 413, 422)}
)
def order_void(request: HttpRequest, order_uuid: str, body: VoidIn) -> dict[str, Any]:
    try:
        parsed = uuidlib.UUID(order_uuid)
    except ValueError:
        raise Problem("not_found", f"{order_uuid!r} is not an order uuid.") from None
    order = services.order_void(uuid=parsed, user=request.user, reason=body.reason)
    return order_out(order, session_places(order.session_id))


@router.get(
    "/sessions/{session_id}/held-orders",
    response={200: list[HeldOrderOut], **problems(403, 404, 422)},
)
def held_order_list(
    request: HttpRequest, session_id: int, state: Literal["held", "all"] = "held"
) -> Any:
    """Tickets held in the session: those waiting for a manager (default), or ``state=all``."""
    session = session_for_read(session_id, request.user)
    held = selectors.held_orders_of_session(session_id=session.pk, unresolved=state == "held")
    return [held_order_out(h, session.places) for h in held.select_related("user")]


@router.post(
    "/held-orders/{held_uuid}/resolve",
    response={200: HeldOrderOut, **problems(400, 403, 404, 409, 413, 422)},
)
def held_order_resolve(request: HttpRequest, held_uuid: str, body: ResolveIn) -> Any:
    """A manager accepts (books it with the server's figures, the gap between what was paid
    and what is due as a difference) or voids (``reason`` required) a held order."""
    try:
        parsed = uuidlib.UUID(held_uuid)
    except ValueError:
        raise Problem("not_found", f"{held_uuid!r} is not a held order uuid.") from None
    held = services.held_order_resolve(
        uuid=parsed,
        user=request.user,
        action=body.action,
        reason=body.reason,
        approval=approval_header(request),
    )
    return held_order_out(held, session_places(held.session_id))
