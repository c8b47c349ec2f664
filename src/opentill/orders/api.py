"""POST /api/v1/sessions/{id}/orders (batch sync) and POST /api/v1/orders/{uuid}/void."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opentill.common.problems import Problem
from opentill.money import fmt
from opentill.orders import services
from opentill.orders.models import Order
from opentill.orders.services import StoredOrder

router = Router(tags=["orders"])

_ORDER_IN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["uuid", "lines"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "created_at": {"type": "string", "format": "date-time"},
        "state": {"type": "string", "enum": ["paid", "draft"], "default": "paid"},
        "customer": {"type": ["integer", "null"]},
        "to_invoice": {"type": "boolean", "default": False},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["product", "quantity"],
                "properties": {
                    "product": {"type": "integer"},
                    "quantity": {"type": "string", "examples": ["2", "-1", "0.350"]},
                    "unit_price": {"type": "string", "examples": ["3.50"]},
                    "discount_percent": {"type": "string", "examples": ["10"]},
                },
            },
        },
        "payments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["payment_method", "amount"],
                "properties": {"payment_method": {"type": "integer"}, "amount": {"type": "string"}},
            },
        },
    },
}


class SyncIn(Schema):
    # Each order is validated on its own by the service, so that one bad order is rejected
    # while the others are stored; the OpenAPI document still describes the order shape.
    orders: list[Any] = Field(..., json_schema_extra={"items": _ORDER_IN_SCHEMA})


class OrderOut(Schema):
    id: int
    uuid: uuidlib.UUID
    session: int
    state: str
    customer: int | None
    to_invoice: bool
    created_at: datetime
    net_total: str
    tax_total: str
    total: str
    rounding: str
    amount_due: str


class SyncResultOut(Schema):
    uuid: str | None
    status: str
    session: int | None
    order: OrderOut | None
    error: dict[str, Any] | None


class SyncOut(Schema):
    results: list[SyncResultOut]


class VoidIn(Schema):
    reason: str = Field("", max_length=255)


def order_out(order: Order | StoredOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "uuid": order.uuid,
        "session": order.session_id,
        "state": order.state,
        "customer": order.customer_id,
        "to_invoice": order.to_invoice,
        "created_at": order.created_at,
        "net_total": fmt(order.net_total),
        "tax_total": fmt(order.tax_total),
        "total": fmt(order.total),
        "rounding": fmt(order.rounding),
        "amount_due": fmt(order.amount_due),
    }


@router.post("/sessions/{session_id}/orders", response=SyncOut)
def order_sync(request: HttpRequest, session_id: int, body: SyncIn) -> dict[str, Any]:
    results = services.order_sync(session_id=session_id, user=request.user, payloads=body.orders)
    return {
        "results": [
            {
                "uuid": r.uuid,
                "status": r.status,
                "session": r.session,
                "order": order_out(r.order) if r.order is not None else None,
                "error": r.error,
            }
            for r in results
        ]
    }


@router.post("/orders/{order_uuid}/void", response=OrderOut)
def order_void(request: HttpRequest, order_uuid: str, body: VoidIn) -> dict[str, Any]:
    try:
        parsed = uuidlib.UUID(order_uuid)
    except ValueError:
        raise Problem("not_found", f"{order_uuid!r} is not an order uuid.") from None
    return order_out(services.order_void(uuid=parsed, user=request.user, reason=body.reason))
