"""The posting rules alone (accounting/postings.py): figures written out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentill.accounting.postings import (
    EntryLine,
    Posting,
    Sold,
    SoldNet,
    SoldTax,
    UnbalancedEntry,
    build_entry,
    invoice_postings,
    order_postings,
    session_postings,
)
from opentill.common.problems import Problem

D = Decimal
CASH, VAT21, SALES, ROUNDING, CUSTOMERS = 1000, 2000, 7000, 6590, 4000


def _lines(postings):
    return sorted((x.account_id, x.label, x.debit, x.credit) for x in build_entry(postings))


def test_sales_and_refunds_of_one_rate_stay_apart():
    """Sold 29.70 (net 24.55, VAT 5.15), refunded 9.90 (net −8.18, VAT −1.72), 19.80 cash."""
    sold = Sold(
        sales=[
            SoldNet(SALES, "21%", D("24.55")),
            SoldNet(SALES, "21%", D("-8.18"), refund=True),
        ],
        taxes=[
            SoldTax(VAT21, "VAT 21%", D("5.15")),
            SoldTax(VAT21, "VAT 21%", D("-1.72"), refund=True),
        ],
        rounding=D("0"),
        rounding_account_id=ROUNDING,
        payments=[(CASH, "Cash", D("19.80"))],
    )
    assert _lines(session_postings(sold=sold, movements=[])) == [
        (CASH, "Cash", D("19.80"), D("0")),
        (VAT21, "VAT 21%", D("0"), D("5.15")),
        (VAT21, "VAT 21% on refunds", D("1.72"), D("0")),
        (SALES, "Refunds 21%", D("8.18"), D("0")),
        (SALES, "Sales 21%", D("0"), D("24.55")),
    ]


def test_invoice_entry_debits_the_receivable_with_what_is_due():
    """Two T-shirts, 39.98 (net 33.04, VAT 6.94), 40.00 due after 0.05 cash rounding."""
    postings = invoice_postings(
        number="INV/2026/000001",
        credit_note=False,
        receivable_account_id=CUSTOMERS,
        amount_due=D("40.00"),
        sales=[SoldNet(SALES, "21%", D("33.04"))],
        taxes=[SoldTax(VAT21, "VAT 21%", D("6.94"))],
        rounding=D("0.02"),
        rounding_account_id=ROUNDING,
    )
    assert _lines(postings) == [
        (VAT21, "VAT 21%", D("0"), D("6.94")),
        (CUSTOMERS, "Invoice INV/2026/000001", D("40.00"), D("0")),
        (ROUNDING, "Cash rounding", D("0"), D("0.02")),
        (SALES, "Sales 21%", D("0"), D("33.04")),
    ]


def test_payment_of_an_invoiced_order_settles_the_receivable():
    """The order's sales are in its invoice entry: its own entry books only the money."""
    postings = order_postings(
        sales=[SoldNet(SALES, "21%", D("33.04"))],
        taxes=[SoldTax(VAT21, "VAT 21%", D("6.94"))],
        rounding=D("0.02"),
        rounding_account_id=ROUNDING,
        payments=[(CASH, "Cash", D("40.00"))],
        invoiced=True,
        amount_due=D("40.00"),
        receivable_account_id=CUSTOMERS,
    )
    assert _lines(postings) == [
        (CASH, "Cash", D("40.00"), D("0")),
        (CUSTOMERS, "Invoices settled", D("0"), D("40.00")),
    ]
    refund = order_postings(
        sales=[],
        taxes=[],
        rounding=D("-0.01"),
        rounding_account_id=ROUNDING,
        payments=[(CASH, "Cash", D("-20.00"))],
        invoiced=True,
        amount_due=D("-20.00"),
        receivable_account_id=CUSTOMERS,
    )
    assert _lines(refund) == [
        (CASH, "Cash", D("0"), D("20.00")),
        (CUSTOMERS, "Credit notes settled", D("20.00"), D("0")),
    ]


def test_invoicing_without_a_receivable_account_is_refused():
    with pytest.raises(Problem) as caught:
        invoice_postings(
            number="INV/2026/000002",
            credit_note=False,
            receivable_account_id=None,
            amount_due=D("9.90"),
            sales=[SoldNet(SALES, "21%", D("8.18"))],
            taxes=[SoldTax(VAT21, "VAT 21%", D("1.72"))],
            rounding=D("0"),
            rounding_account_id=None,
        )
    assert caught.value.code == "invalid_state"
    assert caught.value.status == 409


# --- build_entry: the balanced entry ------------------------------------------------------------------------------


def test_build_entry_merges_per_account_label_and_side():
    lines = build_entry(
        [
            Posting(1, "Cash", D("4.40")),
            Posting(1, "Cash", D("12.10")),
            Posting(1, "Cash", D("-2.20")),  # a credit on the same account stays apart
            Posting(7, "Sales", D("-14.30")),
        ]
    )
    assert lines == [
        EntryLine(1, "Cash", D("16.50"), D("0")),
        EntryLine(1, "Cash", D("0"), D("2.20")),
        EntryLine(7, "Sales", D("0"), D("14.30")),
    ]


def test_build_entry_keeps_labels_apart_and_drops_zeros():
    lines = build_entry(
        [
            Posting(1, "Cash", D("5.00")),
            Posting(1, "Cash difference", D("-5.00")),
            Posting(2, "Nothing", D("0.00")),
            Posting(3, "Nothing", D("0")),
        ]
    )
    assert [(line.account_id, line.label) for line in lines] == [
        (1, "Cash"),
        (1, "Cash difference"),
    ]
    assert all(line.debit >= 0 and line.credit >= 0 for line in lines)
    assert all(line.debit == 0 or line.credit == 0 for line in lines)


def test_build_entry_of_nothing_or_zeros_is_empty():
    assert build_entry([]) == []
    assert build_entry([Posting(1, "x", D("0.00"))]) == []


def test_build_entry_refuses_an_unbalanced_entry():
    with pytest.raises(UnbalancedEntry) as info:
        build_entry([Posting(1, "Cash", D("10.00")), Posting(2, "Sales", D("-9.99"))])
    assert "0.01" in str(info.value)


def test_build_entry_is_balanced_in_debits_and_credits():
    lines = build_entry(
        [
            Posting(1, "a", D("3.33")),
            Posting(2, "b", D("3.33")),
            Posting(3, "c", D("-6.66")),
            Posting(1, "a", D("-1.00")),
            Posting(4, "d", D("1.00")),
        ]
    )
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines) == D("7.66")
