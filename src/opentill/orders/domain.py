"""Order domain types: a synced order as plain values, as the sync prices it and the
contexts above (invoicing, the journal) read it. Pure: no Django."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from opentill.accounting.postings import SoldNet, SoldTax
from opentill.money import ZERO

#: Order states whose orders count as sold (``Order.State.PAID``, ``Order.State.INVOICED``).
SOLD_STATES = ("paid", "invoiced")


class NumberGap(TypedDict):
    """Numbers of a till's series that no ticket of the till carries: ``first`` … ``last``."""

    first: str
    last: str
    count: int


class TicketNumbers(TypedDict):
    """A session's ticket numbers for its X/Z report (``orders.selectors.session_numbers``)."""

    series: str
    first: str | None
    last: str | None
    count: int
    gaps: list[NumberGap]
    missing: int


@dataclass(frozen=True)
class StoredLineTax:
    """One tax of a line as charged, with the tax's name, kind, rate and account."""

    tax_id: int
    name: str
    kind: str
    rate: Decimal
    account_id: int
    base: Decimal
    amount: Decimal


@dataclass
class StoredLine:
    product_id: int
    quantity: Decimal
    unit_price: Decimal  # as charged: under the order's fiscal position
    discount_percent: Decimal
    income_account_id: int
    stock_tracked: bool
    discount: Decimal
    net: Decimal
    tax_amount: Decimal
    total: Decimal
    taxes: tuple[StoredLineTax, ...] = ()
    tax_label: str = ""
    list_price: Decimal | None = (
        None  # as rung, before the fiscal position  # the key its sales are booked under (postings.taxes_key)
    )


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
    fiscal_position_id: int | None
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
    # The ticket number: the till whose series it is in, its place there, and as printed.
    till_id: int | None = None
    sequence: int | None = None
    number: str | None = None


def ticket_number(code: str, sequence: int) -> str:
    """A ticket number as printed: the till's code and the sequence on six digits at least,
    ``TILL1-000123`` (the terminal writes it the same way: js/numbering.js)."""
    return f"{code.upper()}-{sequence:06d}"


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


def stored_order_taxes(order: StoredOrder) -> list[tuple[int, str, Decimal, Decimal]]:
    """(tax id, name, base, amount) per tax of the order, in the order they first appear."""
    sums: dict[int, tuple[str, Decimal, Decimal]] = {}
    for line in order.lines:
        for t in line.taxes:
            name, base, amount = sums.get(t.tax_id, (t.name, ZERO, ZERO))
            sums[t.tax_id] = (name, base + t.base, amount + t.amount)
    return [(pk, name, base, amount) for pk, (name, base, amount) in sums.items()]


def sold_parts(order: StoredOrder) -> tuple[list[SoldNet], list[SoldTax]]:
    """An order's lines as its own entry (or invoice entry) books them: each line's net
    and each of its taxes, refund lines apart (``build_entry`` merges equal labels)."""
    sales = [
        SoldNet(line.income_account_id, line.tax_label, line.net, refund=line.quantity < 0)
        for line in order.lines
    ]
    taxes = [
        SoldTax(t.account_id, t.name, t.amount, refund=line.quantity < 0)
        for line in order.lines
        for t in line.taxes
    ]
    return sales, taxes
