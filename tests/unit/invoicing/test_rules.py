"""opentill.invoicing.rules: how a close groups the orders not invoiced during the session.

Pure: no database. Worked examples for the default rule (one invoice per customer, the
anonymous orders to the walk-in customer, refunds in a credit note of their own), the
check every rule's answer goes through, and finding a rule by name.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentill.invoicing.rules import (
    CREDIT_NOTE,
    INVOICE,
    InvoiceGroup,
    OrderRow,
    PerCustomerRule,
    RuleNotFound,
    check_groups,
    load_rule,
)

D = Decimal
WALK_IN = 1
CAFE = 2  # Café De Hoek
JANSEN = 3  # Jansen Architects


def row(order_id: int, customer: int | None, total: str) -> OrderRow:
    return OrderRow(id=order_id, customer_id=customer, total=D(total), store_id=1, profile_id=1)


# One session's orders left to invoice at the close:
#   10 anonymous   12.40      → walk-in invoice
#   11 Café        25.00      → Café invoice
#   12 anonymous   -3.10 (a refund) → walk-in credit note
#   13 Jansen      99.00      → Jansen invoice
#   14 Café         4.50      → Café invoice (with 11: 29.50)
#   15 Café        -4.50 (a refund) → Café credit note
#   16 walk-in set explicitly  0.00 → walk-in invoice (a zero total is an invoice)
SESSION = [
    row(10, None, "12.40"),
    row(11, CAFE, "25.00"),
    row(12, None, "-3.10"),
    row(13, JANSEN, "99.00"),
    row(14, CAFE, "4.50"),
    row(15, CAFE, "-4.50"),
    row(16, WALK_IN, "0.00"),
]


def test_per_customer_rule_worked_example():
    groups = PerCustomerRule().group(SESSION, walk_in_customer_id=WALK_IN)
    # By customer id, each customer's invoice before its credit note; order ids as they came.
    assert groups == [
        InvoiceGroup(INVOICE, WALK_IN, (10, 16)),
        InvoiceGroup(CREDIT_NOTE, WALK_IN, (12,)),
        InvoiceGroup(INVOICE, CAFE, (11, 14)),
        InvoiceGroup(CREDIT_NOTE, CAFE, (15,)),
        InvoiceGroup(INVOICE, JANSEN, (13,)),
    ]
    check_groups(SESSION, groups)  # the rule's own answer passes the check
    totals = {
        (g.kind, g.customer_id): sum((o.total for o in SESSION if o.id in g.order_ids), D(0))
        for g in groups
    }
    assert totals == {
        (INVOICE, WALK_IN): D("12.40"),
        (CREDIT_NOTE, WALK_IN): D("-3.10"),
        (INVOICE, CAFE): D("29.50"),
        (CREDIT_NOTE, CAFE): D("-4.50"),
        (INVOICE, JANSEN): D("99.00"),
    }


def test_no_orders_no_documents():
    assert PerCustomerRule().group([], walk_in_customer_id=WALK_IN) == []
    check_groups([], [])


def test_the_walk_in_customer_follows_the_company():
    groups = PerCustomerRule().group([row(1, None, "2.20")], walk_in_customer_id=42)
    assert groups == [InvoiceGroup(INVOICE, 42, (1,))]


# --- check_groups: what a plug-in rule must answer ------------------------------------------


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [InvoiceGroup("receipt", CAFE, (11,))],
            "invoicing rule returned unknown kind 'receipt'",
        ),
        (
            [InvoiceGroup(INVOICE, CAFE, (11, 99))],
            "invoicing rule placed order 99 wrongly",
        ),
        (
            [InvoiceGroup(INVOICE, CAFE, (11,)), InvoiceGroup(INVOICE, JANSEN, (11,))],
            "invoicing rule placed order 11 wrongly",
        ),
        (
            # a refund alone (−4.50) is no invoice
            [InvoiceGroup(INVOICE, CAFE, (15,))],
            "invoicing rule made a invoice of total -4.50",
        ),
        (
            # 25.00 − 4.50 = 20.50 is no credit note
            [InvoiceGroup(CREDIT_NOTE, CAFE, (11, 15))],
            "invoicing rule made a credit_note of total 20.50",
        ),
        (
            [InvoiceGroup(INVOICE, CAFE, (11,))],
            "invoicing rule left orders without an invoice",
        ),
    ],
)
def test_check_groups_refuses_a_wrong_answer(groups, message):
    orders = [row(11, CAFE, "25.00"), row(15, CAFE, "-4.50")]
    with pytest.raises(ValueError) as caught:
        check_groups(orders, groups)
    assert str(caught.value) == message


def test_check_groups_accepts_a_refund_netted_into_an_invoice():
    """A rule may net a refund into an invoice as long as the invoice stays ≥ 0:
    25.00 − 4.50 = 20.50."""
    orders = [row(11, CAFE, "25.00"), row(15, CAFE, "-4.50")]
    check_groups(orders, [InvoiceGroup(INVOICE, CAFE, (11, 15))])


def test_check_groups_accepts_zero_in_either_kind():
    orders = [row(1, CAFE, "0.00"), row(2, CAFE, "0.00")]
    check_groups(orders, [InvoiceGroup(INVOICE, CAFE, (1,)), InvoiceGroup(CREDIT_NOTE, CAFE, (2,))])


# --- load_rule ------------------------------------------------------------------------------


def test_load_rule_default_names():
    assert isinstance(load_rule(""), PerCustomerRule)
    assert isinstance(load_rule("default"), PerCustomerRule)


def test_load_rule_unknown_name():
    with pytest.raises(RuleNotFound) as caught:
        load_rule("per-moon-phase")
    assert "no invoicing rule 'per-moon-phase'" in str(caught.value)
    assert "opentill.invoicing_rules" in str(caught.value)
