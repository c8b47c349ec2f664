"""Invoicing rules: how a close groups the orders not invoiced during the session.

A rule is any object with a ``group`` method; rules are found by name in the entry point
group ``opentill.invoicing_rules`` (see the README). Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Protocol

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
ENTRY_POINT_GROUP = "opentill.invoicing_rules"


@dataclass(frozen=True)
class OrderRow:
    """What a rule may look at: one paid order without an invoice."""

    id: int
    customer_id: int | None  # None: anonymous
    # The order's amount due (its total after cash rounding, what was paid): the document's
    # total is the sum of its orders'. Negative for a refund.
    total: Decimal
    store_id: int
    profile_id: int


@dataclass(frozen=True)
class InvoiceGroup:
    """One document to create: an invoice or a credit note for a customer."""

    kind: str  # INVOICE or CREDIT_NOTE
    customer_id: int
    order_ids: tuple[int, ...]


class InvoicingRule(Protocol):
    def group(self, orders: Sequence[OrderRow], *, walk_in_customer_id: int) -> list[InvoiceGroup]:
        """Put every order in exactly one group."""
        ...


class PerCustomerRule:
    """The default: one invoice per customer, anonymous orders to the walk-in customer, and
    refunds in a separate credit note per customer."""

    def group(self, orders: Sequence[OrderRow], *, walk_in_customer_id: int) -> list[InvoiceGroup]:
        buckets: dict[tuple[str, int], list[int]] = {}
        for order in orders:
            customer = order.customer_id or walk_in_customer_id
            kind = CREDIT_NOTE if order.total < 0 else INVOICE
            buckets.setdefault((kind, customer), []).append(order.id)
        return [
            InvoiceGroup(kind=kind, customer_id=customer, order_ids=tuple(ids))
            for (kind, customer), ids in sorted(
                buckets.items(), key=lambda item: (item[0][1], item[0][0] != INVOICE)
            )
        ]


class RuleNotFound(LookupError):
    pass


@lru_cache(maxsize=32)
def load_rule(name: str) -> InvoicingRule:
    """The rule registered under ``name`` in the ``opentill.invoicing_rules`` group."""
    if name in ("", "default"):
        return PerCustomerRule()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            factory = ep.load()
            return factory() if isinstance(factory, type) else factory
    raise RuleNotFound(f"no invoicing rule {name!r} in entry point group {ENTRY_POINT_GROUP}")


def check_groups(orders: Sequence[OrderRow], groups: Sequence[InvoiceGroup]) -> None:
    """Refuse a rule's answer unless it puts every order in exactly one group with the
    right sign (invoice ≥ 0 ≤ credit note)."""
    wanted = {o.id: o for o in orders}
    seen: set[int] = set()
    for group in groups:
        if group.kind not in (INVOICE, CREDIT_NOTE):
            raise ValueError(f"invoicing rule returned unknown kind {group.kind!r}")
        total = Decimal(0)
        for order_id in group.order_ids:
            if order_id not in wanted or order_id in seen:
                raise ValueError(f"invoicing rule placed order {order_id} wrongly")
            seen.add(order_id)
            total += wanted[order_id].total
        if (group.kind == INVOICE and total < 0) or (group.kind == CREDIT_NOTE and total > 0):
            raise ValueError(f"invoicing rule made a {group.kind} of total {total}")
    if len(seen) != len(wanted):
        raise ValueError("invoicing rule left orders without an invoice")
