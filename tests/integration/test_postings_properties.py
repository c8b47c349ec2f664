"""Properties of the posting rules over random sessions: sales, refunds, orders invoiced at
sync or at close, cash rounding, per-session or per-order posting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from opentill.accounting.models import JournalEntry, JournalLine
from opentill.catalog.models import Customer, Product
from opentill.invoicing.models import Invoice
from opentill.orders.models import Order
from opentill.pos.models import PosProfile
from opentill.stores.models import Company
from tests.conftest import order, rolled_back
from tests.integration.helpers import open_session, sync

D = Decimal
PRICES = {"COF-ESP": D("2.20"), "MUG-WHT": D("9.90"), "TEE-LOG": D("19.99"), "BAT-AA4": D("5.49")}

case_strategy = st.fixed_dictionaries(
    {
        "orders": st.lists(
            st.fixed_dictionaries(
                {
                    "lines": st.lists(
                        st.tuples(
                            st.sampled_from(sorted(PRICES)), st.sampled_from([-2, -1, 1, 2, 3])
                        ),
                        min_size=1,
                        max_size=3,
                    ),
                    "pay": st.sampled_from(["cash", "card"]),
                    "to_invoice": st.booleans(),
                    "customer": st.booleans(),
                }
            ),
            min_size=1,
            max_size=6,
        ),
        "step": st.sampled_from([D("0.01"), D("0.05"), D("0.10")]),
        "posting": st.sampled_from(["per_session", "per_order"]),
    }
)


def _due(total: Decimal, step: Decimal) -> Decimal:
    """Cash rounded half up (away from zero) to the step: the company's default."""
    return ((total / step).quantize(D(1), rounding="ROUND_HALF_UP") * step).quantize(D("0.01"))


def _net(code: str, **where: Any) -> Decimal:
    sums = JournalLine.objects.filter(account__code=code, **where).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    return (sums["d"] or D(0)) - (sums["c"] or D(0))


def run_session(api_as, shop: dict[str, Any], case: dict[str, Any]) -> None:
    till, cash, card = shop["till1"], shop["cash1"], shop["card1"]
    PosProfile.objects.filter(pk=till.pk).update(posting_mode=case["posting"])
    Company.objects.filter(pk=till.store.company_id).update(cash_rounding=case["step"])
    products = dict(Product.objects.filter(sku__in=PRICES).values_list("sku", "pk"))
    hoek = Customer.objects.get(name="Café De Hoek").pk
    alice = api_as("alice")
    # A float, so the drawer never goes below zero with refunds paid back in cash.
    session = open_session(alice, till.pk, [{"payment_method": cash.pk, "amount": "200.00"}])
    sid = session["id"]

    payloads, due = [], {}
    for spec in case["orders"]:
        total = sum((q * PRICES[sku] for sku, q in spec["lines"]), D(0))
        amount = _due(total, case["step"]) if spec["pay"] == "cash" else total
        method = cash if spec["pay"] == "cash" else card
        body = order(
            [(products[sku], str(q)) for sku, q in spec["lines"]],
            [(method.pk, f"{amount}")] if amount else [],
            to_invoice=spec["to_invoice"],
            customer=hoek if spec["customer"] else None,
        )
        payloads.append(body)
        due[body["uuid"]] = (amount, spec["to_invoice"])
    results = sync(alice, sid, *payloads)
    assert [r["status"] for r in results] == ["created"] * len(payloads), results
    assert {r["uuid"]: D(r["order"]["amount_due"]) for r in results} == {
        u: amount for u, (amount, _) in due.items()
    }
    event(f"rounding {'none' if not any(D(r['order']['rounding']) for r in results) else 'some'}")
    event(f"{sum(1 for _, i in due.values() if i)} invoiced at sync")

    expected = alice.get(f"/sessions/{sid}/closing").json()["lines"][0]["expected"]
    response = alice.post(
        f"/sessions/{sid}/close", {"counts": [{"payment_method": cash.pk, "counted": expected}]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"

    # Every entry balances.
    entries = JournalEntry.objects.filter(session_id=sid)
    for entry_id, debit, credit in entries.annotate(
        d=Sum("lines__debit"), c=Sum("lines__credit")
    ).values_list("pk", "d", "c"):
        assert debit == credit, entry_id
    # Every document equals what was paid: the sum of its orders' amounts due.
    invoices = Invoice.objects.filter(session_id=sid)
    for invoice in invoices:
        assert invoice.total == invoice.net_total + invoice.tax_total + invoice.rounding
        paid = Order.objects.filter(invoice=invoice).aggregate(s=Sum("amount_due"))["s"]
        assert invoice.total == (paid if invoice.kind == "invoice" else -paid)

    def signed(qs: Any) -> Decimal:
        return sum((i.total if i.kind == "invoice" else -i.total for i in qs), D(0))

    invoiced_at_sync = sum((a for a, individual in due.values() if individual), D(0))
    assert signed(invoices.filter(consolidated=False)) == invoiced_at_sync
    assert signed(invoices) == sum((a for a, _ in due.values()), D(0))
    # Invoice entries debit the receivable with what is invoiced, the payments settle it.
    scope = {"entry__session_id": sid}
    assert (
        _net("4000", **scope, label__startswith="Invoice ")
        + _net("4000", **scope, label__startswith="Credit note ")
        == invoiced_at_sync
    )
    assert _net("4000", **scope) == 0
    # The cash rounding is booked once, whichever entry books it.
    rounding = Order.objects.filter(session_id=sid).aggregate(r=Sum("rounding"))["r"]
    assert _net("6590", **scope) == -rounding
    # The payments are debited once: cash and card net to what was paid.
    assert _net("1000", **scope, label="Cash") + _net("1020", **scope, label="Card") == sum(
        (a for a, _ in due.values()), D(0)
    )
    # The session's entry has a line per account, label and side, not per order.
    session_lines = JournalLine.objects.filter(entry__session_id=sid, entry__kind="session")
    assert session_lines.count() <= 20


@settings(
    max_examples=30,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(case=case_strategy)
def test_random_sessions_post_balanced_entries_and_invoices_equal_what_was_paid(api_as, shop, case):
    with rolled_back():
        run_session(api_as, shop, case)
