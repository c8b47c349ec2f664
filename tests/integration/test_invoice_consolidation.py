"""The close's consolidated invoices under the default rule (issue #16): applied in SQL (one
GROUP BY, one UPDATE), they are the documents the rule's own Python grouping makes — the
same kinds, customers, figures, numbering order and orders — and each order is attached to
the document of its customer and sign."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from opentill.catalog.models import Customer
from opentill.invoicing import rules
from opentill.invoicing.models import Invoice
from opentill.invoicing.rules import PerCustomerRule
from opentill.orders.models import Order
from opentill.pos.models import PosProfile
from tests.conftest import order
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.helpers import sync


class PythonPerCustomer(PerCustomerRule):
    """The default rule through the general path (the rule's own ``group``)."""


@pytest.fixture
def python_rule(monkeypatch):
    plugin = EntryPoint(
        name="python_per_customer",
        value=f"{__name__}:PythonPerCustomer",
        group=rules.ENTRY_POINT_GROUP,
    )
    rules.load_rule.cache_clear()
    monkeypatch.setattr(rules, "entry_points", lambda *, group: [plugin])
    yield
    rules.load_rule.cache_clear()


def _session(api: Any, shop: dict[str, Any], customers: list[int]) -> int:
    """Till 1 with sales and refunds of two customers and of anonymous buyers, one order
    invoiced at sync (left out of the close's documents), one that nets to zero."""
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    first, second = customers
    sid = start_till1(api, shop)["id"]
    orders = [
        order([(e, "2"), (m, "1")], [(cash, "14.30")]),
        order([(e, "-1")], [(cash, "-2.20")]),
        order([(m, "2")], [(card, "19.80")], customer=first),
        order([(e, "1")], [(cash, "2.20")], customer=first),
        order([(m, "-1")], [(card, "-9.90")], customer=first),
        order([(e, "3")], [(card, "6.60")], customer=second),
        order([(e, "1"), (e, "-1")], [], customer=second),  # nets to zero: an invoice
        order([(m, "1")], [(card, "9.90")], customer=second, to_invoice=True),
    ]
    assert [r["status"] for r in sync(api, sid, *orders)] == ["created"] * len(orders)
    closed = close(api, sid, count(shop["cash1"], "114.30"))
    assert closed.json()["state"] == "closed", closed.content
    return sid


def _documents(session_id: int) -> list[tuple[Any, ...]]:
    """The session's consolidated documents in the order they were issued, each with its
    orders' (customer, amount due)."""
    out = []
    for invoice in Invoice.objects.filter(session_id=session_id, consolidated=True).order_by("id"):
        orders = sorted(
            Order.objects.filter(invoice=invoice).values_list("customer_id", "amount_due")
        )
        out.append(
            (
                invoice.kind,
                invoice.customer_id,
                invoice.customer_name,
                invoice.net_total,
                invoice.tax_total,
                invoice.rounding,
                invoice.total,
                orders,
            )
        )
    return out


def test_the_default_rule_in_sql_makes_the_rules_documents(api_as, shop, python_rule):
    company = shop["till1"].store.company
    customers = [
        Customer.objects.create(company=company, name=name).pk for name in ("Ada", "Brook")
    ]
    alice = api_as("alice")
    in_sql = _session(alice, shop, customers)
    PosProfile.objects.filter(pk=shop["till1"].pk).update(invoicing_rule="python_per_customer")
    in_python = _session(alice, shop, customers)

    documents = _documents(in_sql)
    assert documents == _documents(in_python)
    walk_in = company.walk_in_customer_id
    first, second = customers
    D = Invoice._meta.get_field("total").to_python
    # By customer (walk-in, Ada, Brook in id order), the invoice before the credit note;
    # refunds in their customer's credit note with the sign turned.
    assert [(d[0], d[1], d[6]) for d in documents] == sorted(
        [
            ("invoice", walk_in, D("14.30")),
            ("credit_note", walk_in, D("2.20")),
            ("invoice", first, D("22.00")),
            ("credit_note", first, D("9.90")),
            ("invoice", second, D("6.60")),
        ],
        key=lambda d: (d[1], d[0] != "invoice"),
    )
    brook = next(d for d in documents if d[1] == second)
    assert brook[7] == [(second, D("0.00")), (second, D("6.60"))]
    # Every paid order is invoiced, each by the document of its customer and sign.
    assert not Order.objects.filter(session_id=in_sql, state="paid").exists()
    assert Order.objects.filter(session_id=in_sql, invoice__consolidated=False).count() == 1
