"""Order domain types: a synced order as plain values, as the sync prices it and the
contexts above (invoicing, the journal) read it. Pure: no Django."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from opentill.money import ZERO

#: Order states whose orders count as sold (``Order.State.PAID``, ``Order.State.INVOICED``).
SOLD_STATES = ("paid", "invoiced")


@dataclass
class StoredLine:
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_id: int
    tax_account_id: int
    tax_rate: Decimal
    income_account_id: int
    stock_tracked: bool
    discount: Decimal
    net: Decimal
    tax_amount: Decimal
    total: Decimal


@dataclass
class StoredPayment:
    payment_method_id: int
    account_id: int
    ledger_account_id: int
    method_name: str
    amount: Decimal
    change: Decimal = ZERO  # handed back in cash (issue #12); 0 for a refund

    @property
    def tendered(self) -> Decimal:
        """What the customer handed over: the amount kept plus the change given back."""
        return self.amount + self.change


@dataclass
class StoredOrder:
    """One synced order as plain values: priced before the lock, written in bulk."""

    index: int
    uuid: uuidlib.UUID
    customer_id: int | None
    state: str
    to_invoice: bool
    created_at: datetime
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    rounding: Decimal
    amount_due: Decimal
    lines: list[StoredLine] = field(default_factory=list)
    payments: list[StoredPayment] = field(default_factory=list)
    pk: int | None = None
    session_id: int | None = None
    # Paid minus amount due, and where it is booked: only for an accepted held order.
    difference: Decimal = ZERO
    difference_account_id: int | None = None


@dataclass(frozen=True)
class HeldIn:
    """An order the sync holds: the payload as sent and the problem that holds it."""

    index: int
    uuid: uuidlib.UUID
    payload: Any
    error: dict[str, Any]


@dataclass
class SyncResult:
    uuid: str | None
    status: str  # created, duplicate, rescued, held, rejected
    session: int | None = None
    order: StoredOrder | None = None
    error: dict[str, Any] | None = None
