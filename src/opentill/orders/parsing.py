"""Turn one order of a sync batch (a JSON object) into typed input, or say what is wrong.

Pure: no Django. Errors become a ``validation_error`` problem listing every field.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from opentill.common.problems import Problem
from opentill.limits import MAX_LINES, MAX_PAYMENTS, MAX_QUANTITY, MAX_UNIT_PRICE
from opentill.money import QUANTITY_PLACES, RATE_PLACES, AmountError, parse_decimal

# Ids are 64-bit database integers: a larger number is refused here rather than overflowing
# the database driver.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class LineIn:
    product_id: int
    quantity: Decimal
    unit_price: Decimal | None
    discount_percent: Decimal


@dataclass(frozen=True)
class PaymentIn:
    payment_method_id: int
    amount: Decimal


@dataclass(frozen=True)
class OrderIn:
    uuid: uuidlib.UUID
    created_at: datetime | None
    state: str
    customer_id: int | None
    to_invoice: bool
    lines: tuple[LineIn, ...]
    payments: tuple[PaymentIn, ...]


class _Collector:
    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def add(self, loc: list[Any], msg: str) -> None:
        self.errors.append({"loc": loc, "msg": msg})


def _id(value: Any, loc: list[Any], errors: _Collector, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        errors.add(loc, f"{what} must be a positive integer id")
        return 0
    return value


def _decimal(value: Any, loc: list[Any], errors: _Collector, **kwargs: Any) -> Decimal:
    try:
        return parse_decimal(value, **kwargs)
    except AmountError as exc:
        errors.add(loc, str(exc))
        return Decimal(0)


def order_uuid_of(payload: Any) -> str | None:
    """The uuid as sent, for the result row of a rejected order."""
    if isinstance(payload, dict) and isinstance(payload.get("uuid"), str):
        return payload["uuid"]
    return None


def parse_order(payload: Any, *, index: int = 0) -> OrderIn:
    """Validate one order object; raise a ``validation_error`` problem naming each bad field."""
    errors = _Collector()
    if not isinstance(payload, dict):
        raise Problem(
            "validation_error",
            "An order must be a JSON object.",
            errors=[{"loc": ["body", "orders", index], "msg": "not an object"}],
        )

    known = {
        "uuid",
        "created_at",
        "state",
        "customer",
        "to_invoice",
        "lines",
        "payments",
        "note",
        "total",
    }
    for key in payload:
        if key not in known:
            errors.add([key], "unknown field")

    order_uuid = uuidlib.UUID(int=0)
    raw_uuid = payload.get("uuid")
    try:
        if not isinstance(raw_uuid, str):
            raise ValueError
        order_uuid = uuidlib.UUID(raw_uuid)
    except ValueError:
        errors.add(["uuid"], "uuid is required and must be a UUID string")

    created_at = None
    raw_created = payload.get("created_at")
    if raw_created is not None:
        try:
            if not isinstance(raw_created, str):
                raise ValueError
            created_at = datetime.fromisoformat(raw_created)
            if created_at.tzinfo is None:
                errors.add(["created_at"], "created_at needs a UTC offset (RFC 3339)")
            else:
                # A time whose UTC equivalent leaves years 1..9999 cannot be stored.
                created_at.astimezone(UTC)
        except (ValueError, OverflowError):
            errors.add(
                ["created_at"],
                "created_at must be an RFC 3339 time such as 2026-11-21T10:02:03+01:00",
            )

    state = payload.get("state", "paid")
    if state not in ("paid", "draft"):
        errors.add(["state"], "state must be 'paid' or 'draft'")

    customer_id = None
    if payload.get("customer") is not None:
        customer_id = _id(payload["customer"], ["customer"], errors, "customer")

    to_invoice = payload.get("to_invoice", False)
    if not isinstance(to_invoice, bool):
        errors.add(["to_invoice"], "to_invoice must be true or false")
        to_invoice = False

    lines: list[LineIn] = []
    raw_lines = payload.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.add(["lines"], "an order needs at least one line")
        raw_lines = []
    elif len(raw_lines) > MAX_LINES:
        errors.add(["lines"], f"at most {MAX_LINES} lines per order")
        raw_lines = []
    for line_index, line in enumerate(raw_lines):
        loc = ["lines", line_index]
        if not isinstance(line, dict):
            errors.add(loc, "a line must be an object")
            continue
        for key in line:
            if key not in {"product", "quantity", "unit_price", "discount_percent"}:
                errors.add([*loc, key], "unknown field")
        product_id = _id(line.get("product"), [*loc, "product"], errors, "product")
        quantity = _decimal(
            line.get("quantity"),
            [*loc, "quantity"],
            errors,
            places=QUANTITY_PLACES,
            allow_zero=False,
            what="quantity",
        )
        if abs(quantity) >= MAX_QUANTITY:
            errors.add([*loc, "quantity"], f"quantity must be below {MAX_QUANTITY} in size")
        unit_price = None
        if line.get("unit_price") is not None:
            unit_price = _decimal(
                line["unit_price"],
                [*loc, "unit_price"],
                errors,
                allow_negative=False,
                what="unit_price",
            )
            if unit_price >= MAX_UNIT_PRICE:
                errors.add([*loc, "unit_price"], f"unit_price must be below {MAX_UNIT_PRICE}")
        discount = Decimal(0)
        if line.get("discount_percent") is not None:
            discount = _decimal(
                line["discount_percent"],
                [*loc, "discount_percent"],
                errors,
                places=RATE_PLACES,
                allow_negative=False,
                what="discount_percent",
            )
            if discount > 100:
                errors.add([*loc, "discount_percent"], "discount_percent must be between 0 and 100")
        lines.append(LineIn(product_id, quantity, unit_price, discount))

    payments: list[PaymentIn] = []
    raw_payments = payload.get("payments", [])
    if not isinstance(raw_payments, list):
        errors.add(["payments"], "payments must be a list")
        raw_payments = []
    if state == "draft" and raw_payments:
        errors.add(["payments"], "a draft order (pending ticket) carries no payments")
    if len(raw_payments) > MAX_PAYMENTS:
        errors.add(["payments"], f"at most {MAX_PAYMENTS} payments per order")
        raw_payments = []
    for pay_index, payment in enumerate(raw_payments):
        loc = ["payments", pay_index]
        if not isinstance(payment, dict):
            errors.add(loc, "a payment must be an object")
            continue
        for key in payment:
            if key not in {"payment_method", "amount"}:
                errors.add([*loc, key], "unknown field")
        method_id = _id(
            payment.get("payment_method"), [*loc, "payment_method"], errors, "payment_method"
        )
        amount = _decimal(payment.get("amount"), [*loc, "amount"], errors, allow_zero=False)
        payments.append(PaymentIn(method_id, amount))

    if errors.errors:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'order'}: {e['msg']}" for e in errors.errors
        )
        raise Problem(
            "validation_error",
            detail,
            errors=[{**e, "loc": ["body", "orders", index, *e["loc"]]} for e in errors.errors],
        )
    return OrderIn(
        uuid=order_uuid,
        created_at=created_at,
        state=state,
        customer_id=customer_id,
        to_invoice=to_invoice,
        lines=tuple(lines),
        payments=tuple(payments),
    )
