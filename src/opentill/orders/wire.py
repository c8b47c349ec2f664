"""The order of a sync batch on the wire: one pydantic model, the shape of each order.

Pure: no Django. :class:`OrderWire` is the shape check of
:func:`opentill.orders.parsing.parse_order` and the OpenAPI schema of each item of
``POST /sessions/{id}/orders`` (``orders/api.py`` publishes its JSON schema):
what it refuses (a JSON value of the wrong type, a missing required field, an id that is not
a positive integer, a uuid that is not a UUID string) is a *shape* error and the order is rejected. What it lets through is read further by
``parse_order`` (decimal strings through :func:`opentill.money.parse_decimal` and the bounds of
:mod:`opentill.limits`, the state, the time, unknown fields, the number of lines): an error
there is a *content* error and the order is held.

Decimals stay strings on the wire (``"12.30"``), never JSON numbers.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, Strict

from opentill.limits import MAX_ID, MAX_LINES, MAX_PAYMENTS

WireId = Annotated[int, Strict(), Field(gt=0, le=MAX_ID)]
"""A database id: a JSON integer (not a boolean, not a float, not a string), 1 … 2⁶³−1."""

WireText = Annotated[str, Strict()]
"""A JSON string (a decimal such as ``"12.30"``, a time, a state)."""


def _uuid_string(value: str) -> str:
    uuidlib.UUID(value)  # ValueError: not a UUID
    return value


def _decimal(*examples: str, description: str, optional: bool = False) -> Any:
    return Field(
        None if optional else ...,
        description=f"{description}: a decimal as a string, never a JSON number",
        examples=list(examples),
    )


class LineWire(BaseModel):
    """One line of an order."""

    product: WireId
    quantity: WireText = _decimal(
        "2", "-1", "0.350", description="at most 3 decimals, not zero; negative for a refund"
    )
    unit_price: WireText | None = _decimal(
        "3.50",
        description="the price charged (the catalog price when absent); 2 decimals",
        optional=True,
    )
    discount_percent: WireText | None = _decimal(
        "10", description="0 to 100, 4 decimals", optional=True
    )


class PaymentWire(BaseModel):
    """One payment of a paid order."""

    payment_method: WireId
    amount: WireText = _decimal(
        "13.31", description="2 decimals, not zero; net of change, negative for a refund"
    )
    tendered: WireText | None = _decimal(
        "20.00",
        description="what the customer handed over (cash): at least amount, 2 decimals; "
        "the change given back is tendered − amount, and only cash gives change; "
        "none for a refund; amount when absent",
        optional=True,
    )


class OrderWire(BaseModel):
    """One order (ticket) as a terminal sends it.

    ``note`` and ``total`` are accepted and ignored (the server prices the order); any other
    field not listed here is not rejected: the order is held for a manager.
    """

    uuid: Annotated[WireText, AfterValidator(_uuid_string)] = Field(
        description="chosen by the terminal: the order's identity (a repeat is a duplicate)",
        json_schema_extra={"format": "uuid"},
    )
    created_at: WireText | None = Field(
        None,
        description="RFC 3339 with a UTC offset; the server's time when absent",
        json_schema_extra={"format": "date-time"},
    )
    state: WireText = Field(
        "paid",
        description="paid, or draft for a pending ticket (no payments); another state is held",
        json_schema_extra={"enum": ["paid", "draft"]},
    )
    customer: WireId | None = None
    fiscal_position: WireId | None = Field(
        None,
        description="the fiscal position the till applied (e.g. Take-away); null: none; "
        "absent: the customer's default position, else the profile's",
    )
    to_invoice: Annotated[bool, Strict()] = False
    number: WireId | None = Field(
        None,
        description="the ticket number the till gave a paid ticket: its place in the till's "
        "series (1, 2, 3 …, printed TILL1-000123); absent: the server numbers a paid ticket; "
        "none for a draft. A number another ticket of the till has is held (duplicate_number)",
        examples=[123],
    )
    lines: Annotated[list[LineWire], Strict()] = Field(
        description=f"at least one, at most {MAX_LINES} (more is held)"
    )
    payments: Annotated[list[PaymentWire], Strict()] = Field(
        default_factory=list, description=f"at most {MAX_PAYMENTS} (more is held); none for a draft"
    )
