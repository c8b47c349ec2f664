"""Turn one order of a sync batch (a JSON object) into typed input, or say what is wrong.

Pure: no Django. A paid ticket is a fact, so the parser tells two kinds of error apart:

- **shape** errors: what no terminal could have sent — not an object, no uuid or one that is
  not a UUID string, a JSON value of the wrong type (a quantity that is a number or a list,
  a product that is not an integer id, ``to_invoice`` that is not a boolean), a required
  field missing (``lines``), text the database cannot hold (NUL, lone surrogates) or a
  non-finite number. The order is ``rejected`` with a ``validation_error`` problem.
- **content** errors: a well-formed order with a uuid whose values cannot be taken as sent —
  an amount or quantity that does not read as a decimal of the allowed form, one beyond the
  bounds of :mod:`opentill.limits`, an unknown ``state``, an unknown field, a draft that
  carries payments, too many lines. :class:`OrderContentError` is raised; the sync *holds*
  the order (stored whole with the problem, for a manager) instead of rejecting it.

Either way the problem lists every bad field, in plain words. The shape is that of one pydantic
model, :class:`opentill.orders.wire.OrderWire`, which is also the OpenAPI schema of each order:
its errors are worded here, in the order of the fields, among the content errors.
"""

from __future__ import annotations

import math
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ValidationError

from opentill.common.problems import Problem
from opentill.limits import (
    MAX_AMOUNT,
    MAX_ID,
    MAX_LINES,
    MAX_PAYMENTS,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
)
from opentill.money import (
    MONEY_PLACES,
    QUANTITY_PLACES,
    RATE_PLACES,
    AmountError,
    fmt,
    parse_decimal,
)
from opentill.orders.wire import OrderWire

ORDER_FIELDS = frozenset(
    {
        "uuid",
        "created_at",
        "state",
        "customer",
        "fiscal_position",
        "to_invoice",
        "number",
        "lines",
        "payments",
        "note",
        "total",
    }
)
LINE_FIELDS = frozenset({"product", "quantity", "unit_price", "discount_percent"})
PAYMENT_FIELDS = frozenset({"payment_method", "amount", "tendered"})


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
    change: Decimal = Decimal(0)  # tendered − amount; only cash gives change (orders.services)

    @property
    def tendered(self) -> Decimal:
        return self.amount + self.change


@dataclass(frozen=True)
class OrderIn:
    uuid: uuidlib.UUID
    created_at: datetime | None
    state: str
    customer_id: int | None
    to_invoice: bool
    lines: tuple[LineIn, ...]
    payments: tuple[PaymentIn, ...]
    # The position the till applied; ``DEFAULT`` when the order does not say (the customer's
    # default position applies, else the profile's).
    fiscal_position_id: int | Literal["default"] | None = "default"
    # The ticket number the till gave (its place in the till's series); None: not numbered.
    number: int | None = None


class OrderContentError(Problem):
    """A well-formed order (an object with a uuid, values of the right JSON types) whose
    content cannot be taken as sent: the sync holds it for a manager instead of rejecting it."""

    def __init__(self, order_uuid: uuidlib.UUID, detail: str, errors: list[dict[str, Any]]):
        super().__init__("validation_error", detail, errors=errors)
        self.uuid = order_uuid


_DECIMAL_SHAPE = 'must be a string such as "12.30"'
_SHAPE_MESSAGES = {
    "uuid": "uuid is required and must be a UUID string",
    "created_at": "created_at must be a string (RFC 3339)",
    "state": "state must be a string: 'paid' or 'draft'",
    "customer": "customer must be a positive integer id",
    "fiscal_position": "fiscal_position must be a positive integer id or null",
    "to_invoice": "to_invoice must be true or false",
    "number": "number must be a positive integer (the ticket's place in its till's series)",
    "lines": "lines is required and must be a list of lines",
    "payments": "payments must be a list",
    "product": "product must be a positive integer id",
    "payment_method": "payment_method must be a positive integer id",
    "quantity": f"quantity {_DECIMAL_SHAPE}",
    "unit_price": f"unit_price {_DECIMAL_SHAPE}",
    "discount_percent": f"discount_percent {_DECIMAL_SHAPE}",
    "amount": f"amount {_DECIMAL_SHAPE}",
    "tendered": f"tendered {_DECIMAL_SHAPE}",
}
_ITEM_SHAPE_MESSAGES = {
    "lines": "a line must be an object",
    "payments": "a payment must be an object",
}


def _shape_message(loc: tuple[Any, ...]) -> str:
    last = loc[-1] if loc else None
    if isinstance(last, int) and len(loc) >= 2 and loc[-2] in _ITEM_SHAPE_MESSAGES:
        return _ITEM_SHAPE_MESSAGES[loc[-2]]
    return _SHAPE_MESSAGES.get(str(last), "has the wrong JSON type")


def _wire_id(value: Any) -> bool:
    return type(value) is int and 0 < value <= MAX_ID


def _optional_text(item: dict[str, Any], key: str) -> bool:
    value = item.get(key)
    return value is None or type(value) is str


def _plainly_well_formed(payload: dict[str, Any]) -> bool:
    """True only for an order every field of which has exactly the type :class:`OrderWire`
    takes (what a terminal sends); anything else — a wrong type, a subclass, an unexpected
    null — goes through the wire model itself. Never true for what it refuses."""
    get = payload.get
    order_uuid = get("uuid")
    if type(order_uuid) is not str:
        return False
    try:
        uuidlib.UUID(order_uuid)
    except ValueError:
        return False
    if not _optional_text(payload, "created_at"):
        return False
    if "state" in payload and type(payload["state"]) is not str:
        return False
    if "to_invoice" in payload and type(payload["to_invoice"]) is not bool:
        return False
    for key in ("customer", "fiscal_position", "number"):
        value = get(key)
        if value is not None and not _wire_id(value):
            return False
    lines = get("lines")
    if type(lines) is not list:
        return False
    for line in lines:
        if (
            type(line) is not dict
            or not _wire_id(line.get("product"))
            or type(line.get("quantity")) is not str
            or not _optional_text(line, "unit_price")
            or not _optional_text(line, "discount_percent")
        ):
            return False
    payments = get("payments", [])
    if type(payments) is not list:
        return False
    for payment in payments:
        if (
            type(payment) is not dict
            or not _wire_id(payment.get("payment_method"))
            or type(payment.get("amount")) is not str
            or not _optional_text(payment, "tendered")
        ):
            return False
    return True


def shape_errors(payload: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    """The shape errors of one order object by location, worded: what :class:`OrderWire`
    refuses. Empty when the order has the shape of the wire model (an order whose every
    field has exactly the right type is taken as it is, without building the model)."""
    if _plainly_well_formed(payload):
        return {}
    try:
        OrderWire.model_validate(payload)
    except ValidationError as exc:
        return {tuple(e["loc"]): _shape_message(tuple(e["loc"])) for e in exc.errors()}
    return {}


class _Collector:
    def __init__(self, shape_errors: dict[tuple[Any, ...], str], places: int) -> None:
        self.places = places  # the decimals of the currency's amounts
        self.errors: list[dict[str, Any]] = []
        self.shape = False
        self.pending = dict(shape_errors)

    def add(self, loc: list[Any], msg: str, *, shape: bool = False) -> None:
        self.errors.append({"loc": loc, "msg": msg})
        self.shape = self.shape or shape

    def shape_at(self, loc: list[Any]) -> bool:
        """True (and the error named, in its place) when the wire model refused ``loc``."""
        msg = self.pending.pop(tuple(loc), None)
        if msg is None:
            return False
        self.add(loc, msg, shape=True)
        return True

    def shape_rest(self) -> None:
        """Any shape error not named in its place yet: never let one through unnamed."""
        for loc, msg in list(self.pending.items()):
            self.add(list(loc), msg, shape=True)
        self.pending.clear()


def where(loc: list[Any]) -> str:
    """A field location in plain words: ``["lines", 0, "quantity"]`` → ``line 1, quantity``."""
    words: list[str] = []
    rest = list(loc)
    while rest:
        part = rest.pop(0)
        if part in ("lines", "payments") and rest and isinstance(rest[0], int):
            words.append(f"{str(part)[:-1]} {rest.pop(0) + 1}")
        else:
            words.append(str(part).replace("_", " "))
    return ", ".join(words) or "the order"


def _id(value: Any, loc: list[Any], errors: _Collector) -> int:
    """An id the wire model took as a positive integer (0 when it did not)."""
    if errors.shape_at(loc):
        return 0
    return int(value)


def _decimal(value: Any, loc: list[Any], errors: _Collector, **kwargs: Any) -> Decimal:
    """A decimal string: a non-string is a shape error, a string of the wrong form content.
    An amount has at most the currency's decimals (``places`` names a quantity's or rate's)."""
    if errors.shape_at(loc):
        return Decimal(0)
    kwargs.setdefault("places", errors.places)
    try:
        return parse_decimal(value, **kwargs)
    except AmountError as exc:
        errors.add(loc, str(exc))
        return Decimal(0)


def payload_storable(value: Any) -> bool:
    """True when a payload can be stored whole as JSON in either database: no text (keys
    included) with a NUL character or a lone surrogate, no non-finite number. A payload that
    fails this is a shape error: no terminal sends such text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def order_uuid_of(payload: Any) -> str | None:
    """The uuid as sent, for the result row of a rejected order."""
    if isinstance(payload, dict) and isinstance(payload.get("uuid"), str):
        return payload["uuid"]
    return None


def _lines(payload: dict[str, Any], errors: _Collector) -> list[LineIn]:
    lines: list[LineIn] = []
    if errors.shape_at(["lines"]):
        return lines
    raw_lines: list[Any] = payload["lines"]  # the wire model took it as a list
    if not raw_lines:
        errors.add(["lines"], "an order needs at least one line")
    elif len(raw_lines) > MAX_LINES:
        errors.add(["lines"], f"at most {MAX_LINES} lines per order")
    for line_index, line in enumerate(raw_lines):
        loc: list[Any] = ["lines", line_index]
        if errors.shape_at(loc):
            continue
        for key in line:
            if key not in LINE_FIELDS:
                errors.add([*loc, key], "unknown field")
        product_id = _id(line.get("product"), [*loc, "product"], errors)
        quantity = _decimal(
            line.get("quantity"),
            [*loc, "quantity"],
            errors,
            places=QUANTITY_PLACES,
            allow_zero=False,
            what="quantity",
        )
        if abs(quantity) >= MAX_QUANTITY:
            errors.add(
                [*loc, "quantity"],
                f"quantity {line['quantity']} is beyond the limit: it must be below "
                f"{MAX_QUANTITY} in size",
            )
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
                errors.add(
                    [*loc, "unit_price"],
                    f"unit_price {line['unit_price']} is beyond the limit: it must be below "
                    f"{fmt(MAX_UNIT_PRICE, errors.places)}",
                )
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
    return lines


def _payments(payload: dict[str, Any], state: Any, errors: _Collector) -> list[PaymentIn]:
    payments: list[PaymentIn] = []
    raw_payments = payload.get("payments", [])
    if errors.shape_at(["payments"]):
        return payments
    if state == "draft" and raw_payments:
        errors.add(["payments"], "a draft order (pending ticket) carries no payments")
    if len(raw_payments) > MAX_PAYMENTS:
        errors.add(["payments"], f"at most {MAX_PAYMENTS} payments per order")
    for pay_index, payment in enumerate(raw_payments):
        loc: list[Any] = ["payments", pay_index]
        if errors.shape_at(loc):
            continue
        for key in payment:
            if key not in PAYMENT_FIELDS:
                errors.add([*loc, key], "unknown field")
        method_id = _id(payment.get("payment_method"), [*loc, "payment_method"], errors)
        amount = _decimal(payment.get("amount"), [*loc, "amount"], errors, allow_zero=False)
        if abs(amount) > MAX_AMOUNT:
            errors.add(
                [*loc, "amount"],
                f"amount {payment['amount']} is beyond the limit of "
                f"{fmt(MAX_AMOUNT, errors.places)}",
            )
        change = _change(payment, amount, loc, errors)
        payments.append(PaymentIn(method_id, amount, change))
    return payments


def _change(
    payment: dict[str, Any], amount: Decimal, loc: list[Any], errors: _Collector
) -> Decimal:
    """The change a payment gave back: ``tendered`` − ``amount`` (0 without ``tendered``).

    ``tendered`` is what the customer handed over for a payment (a positive amount), at least
    the amount and within the bounds; a refund carries none. Whether the method may give change
    (only cash) is checked against the catalog by the sync (``orders.services``).
    """
    raw = payment.get("tendered")
    if raw is None:
        return Decimal(0)
    loc = [*loc, "tendered"]
    if errors.shape_at(loc):
        return Decimal(0)
    if amount < 0:
        errors.add(
            loc,
            "tendered is only for a payment the customer makes, not for a refund "
            "(a negative amount)",
        )
        return Decimal(0)
    tendered = _decimal(raw, loc, errors, allow_negative=False, allow_zero=False, what="tendered")
    if not tendered or not amount:
        return Decimal(0)  # the error is named already
    if tendered > MAX_AMOUNT:
        errors.add(loc, f"tendered {raw} is beyond the limit of {fmt(MAX_AMOUNT, errors.places)}")
        return Decimal(0)
    if tendered < amount:
        errors.add(
            loc,
            f"tendered {fmt(tendered, errors.places)} is less than the amount "
            f"{fmt(amount, errors.places)} it pays",
        )
        return Decimal(0)
    return tendered - amount


def _created_at(payload: dict[str, Any], errors: _Collector) -> datetime | None:
    raw_created = payload.get("created_at")
    if raw_created is None:
        return None
    if errors.shape_at(["created_at"]):
        return None
    try:
        created_at = datetime.fromisoformat(raw_created)
        if created_at.tzinfo is None:
            errors.add(["created_at"], "created_at needs a UTC offset (RFC 3339)")
            return None
        # A time whose UTC equivalent leaves years 1..9999 cannot be stored.
        created_at.astimezone(UTC)
    except (ValueError, OverflowError):
        errors.add(
            ["created_at"],
            "created_at must be an RFC 3339 time such as 2026-11-21T10:02:03+01:00",
        )
        return None
    return created_at


def parse_order(payload: Any, *, index: int = 0, places: int = MONEY_PLACES) -> OrderIn:
    """Validate one order object; its amounts have at most ``places`` decimals (the
    currency's: a JPY amount "100.50" is a content error).

    Raises a ``validation_error`` :class:`Problem` for a shape error (the order is rejected)
    and :class:`OrderContentError` for a content error only (the order is held); each names
    every bad field below ``["body", "orders", index]``.
    """
    if not isinstance(payload, dict):
        raise Problem(
            "validation_error",
            "An order must be a JSON object.",
            errors=[{"loc": ["body", "orders", index], "msg": "not an object"}],
        )
    errors = _Collector(shape_errors(payload), places)

    for key in payload:
        if key not in ORDER_FIELDS:
            errors.add([key], "unknown field")

    order_uuid = uuidlib.UUID(int=0)
    raw_uuid = payload.get("uuid")
    if not errors.shape_at(["uuid"]):
        order_uuid = uuidlib.UUID(raw_uuid)

    created_at = _created_at(payload, errors)

    state = payload.get("state", "paid")
    if not errors.shape_at(["state"]) and state not in ("paid", "draft"):
        errors.add(["state"], f"state {state!r} is not 'paid' or 'draft'")

    customer_id = None
    if payload.get("customer") is not None:
        customer_id = _id(payload["customer"], ["customer"], errors)

    fiscal_position_id: int | Literal["default"] | None = "default"
    if "fiscal_position" in payload:
        fiscal_position_id = None
        if payload["fiscal_position"] is not None:
            fiscal_position_id = _id(payload["fiscal_position"], ["fiscal_position"], errors)

    to_invoice = payload.get("to_invoice", False)
    if errors.shape_at(["to_invoice"]):
        to_invoice = False

    number = None
    if payload.get("number") is not None:
        number = _id(payload["number"], ["number"], errors) or None
        if number is not None and state == "draft":
            errors.add(
                ["number"], "a draft order (pending ticket) has no number: it is numbered when paid"
            )

    lines = _lines(payload, errors)
    payments = _payments(payload, state, errors)
    errors.shape_rest()

    if errors.errors:
        detail = "; ".join(f"{where(e['loc'])}: {e['msg']}" for e in errors.errors)
        located = [{**e, "loc": ["body", "orders", index, *e["loc"]]} for e in errors.errors]
        if errors.shape:
            raise Problem("validation_error", detail, errors=located)
        raise OrderContentError(
            order_uuid, f"This ticket cannot be booked as sent: {detail}.", located
        )
    return OrderIn(
        uuid=order_uuid,
        created_at=created_at,
        state=state,
        customer_id=customer_id,
        to_invoice=to_invoice,
        lines=tuple(lines),
        payments=tuple(payments),
        fiscal_position_id=fiscal_position_id,
        number=number,
    )
