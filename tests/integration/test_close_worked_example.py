"""A whole session closed through the API, every figure written out by hand.

Till 1 (prices include tax, VAT per line). Session A leaves a 100.00 float. Session B:
opening 100.00 counted 100.00; sales 2 espresso 4.40 cash, 1 mug 9.90 card, mug + espresso
12.10 cash, a refunded espresso -2.20 cash; cash counted 113.10 (1.20 short), keep 100.00.
"""

from __future__ import annotations

from decimal import Decimal

from opentill.accounting.models import FinancialAccount, Reconciliation
from opentill.accounting.selectors import account_balance
from tests.conftest import order
from tests.integration.helpers import open_session, sync


def test_worked_example(api_as, shop):
    alice = api_as("alice")
    cash, card = shop["cash1"], shop["card1"]
    espresso, mug = shop["espresso"].pk, shop["mug"].pk

    # Session A: the first float of 100.00 (expected 0.00: the opening difference is booked).
    a = open_session(alice, shop["till1"].pk, [{"payment_method": cash.pk, "amount": "100.00"}])
    closed_a = alice.post(
        f"/sessions/{a['id']}/close", {"counts": [{"payment_method": cash.pk, "counted": "100.00"}]}
    )
    assert closed_a.status_code == 200, closed_a.content
    assert closed_a.json()["state"] == "closed"

    # Session B.
    b = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    b = alice.post(
        f"/sessions/{b['id']}/open", {"counts": [{"payment_method": cash.pk, "amount": "100.00"}]}
    ).json()
    assert b["opening"][0]["expected"] == "100.00"
    assert b["opening"][0]["difference"] == "0.00"
    results = sync(
        alice,
        b["id"],
        order([(espresso, "2")], [(cash.pk, "4.40")]),
        order([(mug, "1")], [(card.pk, "9.90")]),
        order([(mug, "1"), (espresso, "1")], [(cash.pk, "12.10")]),
        order([(espresso, "-1")], [(cash.pk, "-2.20")]),
    )
    assert [r["status"] for r in results] == ["created"] * 4
    assert [r["order"]["tax_total"] for r in results] == ["0.25", "1.72", "1.84", "-0.12"]

    closing = alice.get(f"/sessions/{b['id']}/closing").json()
    assert closing["pending_orders"] == []
    assert [
        (line["name"], line["expected"], line["countable"], line["keep_policy"])
        for line in closing["lines"]
    ] == [
        ("Cash", "114.30", True, "fixed"),
        ("Card", "9.90", False, "none"),
    ]
    assert closing["expected_total"] == "124.20"

    closed = alice.post(
        f"/sessions/{b['id']}/close",
        {"counts": [{"payment_method": cash.pk, "counted": "113.10"}], "notes": "1.20 short"},
    )
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert body["state"] == "closed"
    assert body["differences"] == [
        {
            "payment_method": cash.pk,
            "name": "Cash",
            "expected": "114.30",
            "counted": "113.10",
            "difference": "-1.20",
            "keep": "100.00",
            "transferred": "13.10",
            "not_counted": False,
        },
        {
            "payment_method": card.pk,
            "name": "Card",
            "expected": "9.90",
            "counted": "9.90",
            "difference": "0.00",
            "keep": "0.00",
            "transferred": "9.90",
            "not_counted": False,
        },
    ]

    # Balances: the drawer holds the float, the safe and the bank what was transferred.
    safe = FinancialAccount.objects.get(name="Safe")
    bank = FinancialAccount.objects.get(name="Bank")
    assert account_balance(account_id=cash.financial_account_id) == Decimal("100.00")
    assert account_balance(account_id=card.financial_account_id) == Decimal("0.00")
    assert account_balance(account_id=safe.pk) == Decimal("13.10")
    assert account_balance(account_id=bank.pk) == Decimal("9.90")

    # Reconciliations of session B.
    recs = {
        r.account.name: (r.start_balance, r.end_balance, r.transaction_count)
        for r in Reconciliation.objects.filter(session_id=b["id"]).select_related("account")
    }
    assert recs == {
        # The batch's cash payments (one transaction per method and synced batch: 14.30),
        # the difference and the transfer.
        "Till 1 cash drawer": (Decimal("100.00"), Decimal("100.00"), 3),
        "Till 1 card clearing": (Decimal("0.00"), Decimal("0.00"), 2),  # payment, transfer
        "Safe": (Decimal("0.00"), Decimal("13.10"), 1),
        "Bank": (Decimal("0.00"), Decimal("9.90"), 1),
    }

    # Consolidated invoices: anonymous orders to the walk-in customer, the refund apart.
    invoices = alice.get(f"/sessions/{b['id']}/invoices").json()
    assert [
        (
            i["kind"],
            i["consolidated"],
            i["customer_name"],
            i["net_total"],
            i["tax_total"],
            i["total"],
            len(i["orders"]),
        )
        for i in invoices
    ] == [
        ("invoice", True, "Walk-in customer", "22.59", "3.81", "26.40", 3),
        ("credit_note", True, "Walk-in customer", "2.08", "0.12", "2.20", 1),
    ]

    # The journal entry, line by line. Sales and refunds apart: the espressos sold (2 + 1,
    # 6.60 = net 4.15 + 2.08, VAT 0.25 + 0.12) are credited, the refunded one (2.20 = net
    # 2.08, VAT 0.12) is debited on the same accounts under its own labels.
    entries = alice.get(f"/sessions/{b['id']}/journal-entries").json()
    assert len(entries) == 1
    lines = sorted(
        (line["account"]["code"], line["label"], line["debit"], line["credit"])
        for line in entries[0]["lines"]
    )
    assert lines == [
        ("1000", "Cash", "14.30", "0.00"),
        ("1000", "Cash difference", "0.00", "1.20"),
        ("1000", "Close transfer", "0.00", "13.10"),
        ("1010", "Close transfer", "13.10", "0.00"),
        ("1020", "Card", "9.90", "0.00"),
        ("1020", "Close transfer", "0.00", "9.90"),
        ("1100", "Close transfer", "9.90", "0.00"),
        ("2000", "VAT 21%", "0.00", "3.44"),
        ("2010", "VAT 6%", "0.00", "0.37"),
        ("2010", "VAT 6% on refunds", "0.12", "0.00"),
        ("6580", "Cash difference", "1.20", "0.00"),
        ("7000", "Sales 21%", "0.00", "16.36"),
        ("7010", "Refunds 6%", "2.08", "0.00"),
        ("7010", "Sales 6%", "0.00", "6.23"),
    ]
    debit = sum(Decimal(line[2]) for line in lines)
    credit = sum(Decimal(line[3]) for line in lines)
    assert debit == credit == Decimal("50.60")

    # What was kept is the next session's expected opening.
    c = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    assert alice.get(f"/sessions/{c['id']}/closing").json()["lines"][0]["expected"] == "100.00"

    report = alice.get(f"/sessions/{b['id']}/report").json()
    assert report["kind"] == "Z"
    assert report["orders"]["count"] == 4
    assert report["orders"]["sales_total"] == "24.20"
    assert report["orders"]["refunds_total"] == "-2.20"
    assert report["journal"]["debit"] == report["journal"]["credit"] == "50.60"
    html = alice.get(f"/sessions/{b['id']}/report", format="html")
    assert html.status_code == 200
    assert b"113.10" in html.content
