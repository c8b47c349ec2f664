"""The journal's posting rules through the API, every figure written out by hand.

Demo shop, Till 1, prices include tax, VAT per line. Products: mug 9.90 (21 %: net 8.18,
VAT 1.72), T-shirt 19.99 (21 %: net 16.52, VAT 3.47; two on one line 39.98 = net 33.04,
VAT 6.94). Sales and refunds are booked apart; an order invoiced at sync gets an invoice
entry (receivable against sales and taxes) and its payment settles the receivable.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from opentill.catalog.models import Customer, Product
from opentill.invoicing.models import Invoice
from opentill.orders.models import Order
from opentill.pos.models import PosProfile
from opentill.stores.models import Company
from tests.conftest import Api, order
from tests.integration.helpers import open_session, sync

# What a close adds besides sales (the float moved to the safe): not what these tests check.
MOVEMENTS = {"Close transfer", "Cash difference", "Opening difference"}


def _lines(entry: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (line["account"]["code"], line["label"], line["debit"], line["credit"])
        for line in entry["lines"]
        if line["label"] not in MOVEMENTS
    )


def _summed(entries: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """The lines of several entries added per account, label and side."""
    sums: dict[tuple[str, str, bool], Decimal] = defaultdict(Decimal)
    for entry in entries:
        for code, label, debit, credit in _lines(entry):
            if Decimal(debit):
                sums[(code, label, True)] += Decimal(debit)
            else:
                sums[(code, label, False)] += Decimal(credit)
    return sorted(
        (code, label, f"{v:.2f}" if debit else "0.00", "0.00" if debit else f"{v:.2f}")
        for (code, label, debit), v in sums.items()
    )


def _close(api: Api, session: dict[str, Any], cash_id: int) -> list[dict[str, Any]]:
    expected = api.get(f"/sessions/{session['id']}/closing").json()["lines"][0]["expected"]
    response = api.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": cash_id, "counted": expected}]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    return api.get(f"/sessions/{session['id']}/journal-entries").json()


@pytest.mark.parametrize("posting", ["per_session", "per_order"])
def test_sales_and_refunds_are_booked_apart(api_as, shop, posting):
    """Three mugs sold (29.70 = net 24.55 + VAT 5.15), one refunded (−9.90 = net −8.18 +
    VAT −1.72): Sales 21% credited 24.55 and Refunds 21% debited 8.18, not 16.37 netted."""
    PosProfile.objects.filter(pk=shop["till1"].pk).update(posting_mode=posting)
    alice = api_as("alice")
    cash, mug = shop["cash1"], shop["mug"].pk
    session = open_session(alice, shop["till1"].pk, [{"payment_method": cash.pk, "amount": "0"}])
    results = sync(
        alice,
        session["id"],
        order([(mug, "3")], [(cash.pk, "29.70")]),
        order([(mug, "-1")], [(cash.pk, "-9.90")]),
    )
    assert [(r["order"]["net_total"], r["order"]["tax_total"]) for r in results] == [
        ("24.55", "5.15"),
        ("-8.18", "-1.72"),
    ]
    entries = _close(alice, session, cash.pk)
    sales = [
        ("1000", "Cash", "19.80", "0.00"),
        ("2000", "VAT 21%", "0.00", "5.15"),
        ("2000", "VAT 21% on refunds", "1.72", "0.00"),
        ("7000", "Refunds 21%", "8.18", "0.00"),
        ("7000", "Sales 21%", "0.00", "24.55"),
    ]
    if posting == "per_session":
        assert [e["kind"] for e in entries] == ["session"]
        assert _lines(entries[0]) == sales
    else:
        orders = [e for e in entries if e["kind"] == "order"]
        assert [_lines(e) for e in orders] == [
            [
                ("1000", "Cash", "29.70", "0.00"),
                ("2000", "VAT 21%", "0.00", "5.15"),
                ("7000", "Sales 21%", "0.00", "24.55"),
            ],
            [
                ("1000", "Cash", "0.00", "9.90"),
                ("2000", "VAT 21% on refunds", "1.72", "0.00"),
                ("7000", "Refunds 21%", "8.18", "0.00"),
            ],
        ]
        # Order by order, the same figures as the session's entry (cash apart: 29.70 in,
        # 9.90 out instead of 19.80 net).
        assert [line for line in _summed(orders) if line[1] != "Cash"] == sales[1:]


def _cash_rounding_shop(shop: dict[str, Any]) -> dict[str, int]:
    company = shop["till1"].store.company
    Company.objects.filter(pk=company.pk).update(cash_rounding=Decimal("0.05"))
    return {
        "tshirt": Product.objects.get(sku="TEE-LOG").pk,
        "hoek": Customer.objects.get(name="Café De Hoek").pk,
    }


@pytest.mark.parametrize("posting", ["per_session", "per_order"])
def test_invoiced_orders_go_through_the_receivable(api_as, shop, posting):
    """Cash rounds to 0.05. A: two T-shirts invoiced to Café De Hoek, 39.98 paid 40.00 in
    cash. B: a mug, 9.90 cash, not invoiced. C: a T-shirt returned and credited to Café De
    Hoek, −19.99 paid back −20.00 in cash.

    A's invoice: net 33.04 + VAT 6.94 + rounding 0.02 = 40.00, what was paid; its entry
    debits Customers 40.00. C's credit note: 16.52 + 3.47 + 0.01 = 20.00; its entry credits
    Customers 20.00. The session's entry books B's sale and the payments, and settles the
    receivable: Customers credited 40.00 (A paid) and debited 20.00 (C paid back)."""
    PosProfile.objects.filter(pk=shop["till1"].pk).update(posting_mode=posting)
    ids = _cash_rounding_shop(shop)
    alice = api_as("alice")
    cash, mug = shop["cash1"], shop["mug"].pk
    session = open_session(alice, shop["till1"].pk, [{"payment_method": cash.pk, "amount": "0"}])
    a = order([(ids["tshirt"], "2")], [(cash.pk, "40.00")], to_invoice=True, customer=ids["hoek"])
    b = order([(mug, "1")], [(cash.pk, "9.90")])
    c = order([(ids["tshirt"], "-1")], [(cash.pk, "-20.00")], to_invoice=True, customer=ids["hoek"])
    results = sync(alice, session["id"], a, b, c)
    assert [
        (r["order"]["total"], r["order"]["rounding"], r["order"]["amount_due"]) for r in results
    ] == [("39.98", "0.02", "40.00"), ("9.90", "0.00", "9.90"), ("-19.99", "-0.01", "-20.00")]

    invoices = alice.get(f"/sessions/{session['id']}/invoices").json()
    figures = [
        (i["kind"], i["net_total"], i["tax_total"], i["rounding"], i["total"]) for i in invoices
    ]
    assert figures == [
        ("invoice", "33.04", "6.94", "0.02", "40.00"),
        ("credit_note", "16.52", "3.47", "0.01", "20.00"),
    ]
    inv, cn = invoices[0]["number"], invoices[1]["number"]
    entries = alice.get(f"/sessions/{session['id']}/journal-entries").json()
    # Invoice entries are written when the orders are invoiced, at sync.
    assert [(e["reference"], e["order"]) for e in entries[:2]] == [
        (f"{inv} order {a['uuid']}", a["uuid"]),
        (f"{cn} order {c['uuid']}", c["uuid"]),
    ]
    assert _lines(entries[0]) == [
        ("2000", "VAT 21%", "0.00", "6.94"),
        ("4000", f"Invoice {inv}", "40.00", "0.00"),
        ("6590", "Cash rounding", "0.00", "0.02"),
        ("7000", "Sales 21%", "0.00", "33.04"),
    ]
    assert _lines(entries[1]) == [
        ("2000", "VAT 21% on refunds", "3.47", "0.00"),
        ("4000", f"Credit note {cn}", "0.00", "20.00"),
        ("6590", "Cash rounding", "0.01", "0.00"),
        ("7000", "Refunds 21%", "16.52", "0.00"),
    ]

    entries = _close(alice, session, cash.pk)
    settlement = [
        ("1000", "Cash", "29.90", "0.00"),  # 40.00 + 9.90 − 20.00
        ("2000", "VAT 21%", "0.00", "1.72"),  # B only: A's and C's are in their invoice entries
        ("4000", "Credit notes settled", "20.00", "0.00"),
        ("4000", "Invoices settled", "0.00", "40.00"),
        ("7000", "Sales 21%", "0.00", "8.18"),
    ]
    after = entries[2:]
    if posting == "per_session":
        assert [e["kind"] for e in after] == ["session"]
        assert _lines(after[0]) == settlement
    else:
        assert [(e["order"], _lines(e)) for e in after if e["kind"] == "order"] == [
            (
                a["uuid"],
                [("1000", "Cash", "40.00", "0.00"), ("4000", "Invoices settled", "0.00", "40.00")],
            ),
            (
                b["uuid"],
                [
                    ("1000", "Cash", "9.90", "0.00"),
                    ("2000", "VAT 21%", "0.00", "1.72"),
                    ("7000", "Sales 21%", "0.00", "8.18"),
                ],
            ),
            (
                c["uuid"],
                [
                    ("1000", "Cash", "0.00", "20.00"),
                    ("4000", "Credit notes settled", "20.00", "0.00"),
                ],
            ),
        ]
    # The receivable is settled: Customers nets to zero over the invoice and session entries.
    customers = [
        Decimal(line["debit"]) - Decimal(line["credit"])
        for e in alice.get(f"/sessions/{session['id']}/journal-entries").json()
        for line in e["lines"]
        if line["account"]["code"] == "4000"
    ]
    assert sum(customers) == 0
    # B went into a consolidated invoice at close, for what was paid.
    b_invoice = Order.objects.get(uuid=b["uuid"]).invoice
    assert b_invoice is not None and b_invoice.consolidated
    assert (b_invoice.net_total, b_invoice.tax_total, b_invoice.rounding, b_invoice.total) == (
        Decimal("8.18"),
        Decimal("1.72"),
        Decimal("0.00"),
        Decimal("9.90"),
    )


def test_consolidated_invoice_carries_the_rounding(api_as, shop):
    """Two T-shirts sold to Café De Hoek one at a time, 19.99 paid 20.00 in cash each, not
    invoiced at sync: the close's invoice is net 33.04 + VAT 6.94 + rounding 0.02 = 40.00,
    the 40.00 paid (not 39.98)."""
    ids = _cash_rounding_shop(shop)
    alice = api_as("alice")
    cash = shop["cash1"]
    session = open_session(alice, shop["till1"].pk, [{"payment_method": cash.pk, "amount": "0"}])
    sync(
        alice,
        session["id"],
        order([(ids["tshirt"], "1")], [(cash.pk, "20.00")], customer=ids["hoek"]),
        order([(ids["tshirt"], "1")], [(cash.pk, "20.00")], customer=ids["hoek"]),
    )
    entries = _close(alice, session, cash.pk)
    invoices = alice.get(f"/sessions/{session['id']}/invoices").json()
    assert [
        (
            i["consolidated"],
            i["customer_name"],
            i["net_total"],
            i["tax_total"],
            i["rounding"],
            i["total"],
        )
        for i in invoices
    ] == [(True, "Café De Hoek", "33.04", "6.94", "0.02", "40.00")]
    # Its sales stay in the session's entry, rounding included.
    assert [e["kind"] for e in entries] == ["session"]
    assert _lines(entries[0]) == [
        ("1000", "Cash", "40.00", "0.00"),
        ("2000", "VAT 21%", "0.00", "6.94"),
        ("6590", "Cash rounding", "0.00", "0.02"),
        ("7000", "Sales 21%", "0.00", "33.04"),
    ]


def test_invoicing_needs_a_receivable_account(api_as, shop):
    """Without a receivable account an order cannot be invoiced on its own: 409
    invalid_state, and nothing of the sync is stored."""
    Company.objects.filter(pk=shop["till1"].store.company_id).update(receivable_account=None)
    alice = api_as("alice")
    cash, mug = shop["cash1"], shop["mug"].pk
    session = open_session(alice, shop["till1"].pk, [{"payment_method": cash.pk, "amount": "0"}])
    body = order([(mug, "1")], [(cash.pk, "9.90")], to_invoice=True)
    response = alice.post(f"/sessions/{session['id']}/orders", {"orders": [body]})
    assert response.status_code == 409, response.content
    problem = response.json()
    assert problem["code"] == "invalid_state"
    assert "receivable account" in problem["detail"]
    assert not Order.objects.filter(uuid=body["uuid"]).exists()
    assert not Invoice.objects.filter(session_id=session["id"]).exists()
