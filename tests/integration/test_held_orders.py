"""Held orders: a ticket paid at the till is a fact.

The server books every paid ticket it can price as sent (a product deactivated or repriced
since the till loaded its catalog is still sold at the ticket's price) and holds the others:
stored whole with the reason, in no total, listed for a manager, blocking the close until a
manager accepts (booked with the server's figures, the gap as a difference) or voids them.
Worked figures: espresso 2.20 at 6 % (tax included), mug 9.90 at 21 %.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django.db.models import Sum

from opentill.accounting.models import FinancialTransaction, JournalEntry, JournalLine
from opentill.accounting.selectors import account_balance
from opentill.audit.models import AuditEvent
from opentill.catalog.models import Customer, Product
from opentill.orders.models import HeldOrder, Order, OrderLine, Payment
from opentill.pos.models import PosProfile, Session
from tests.conftest import Api, new_uuid, order
from tests.integration.checks import Rows, assert_problem, assert_problem_document
from tests.integration.closing_helpers import (
    balances,
    close,
    count,
    entry_lines,
    journal_is_balanced,
    net_by_account,
    start_till1,
)
from tests.integration.helpers import open_session, sync

D = Decimal
HELD_KEYS = {
    "uuid",
    "session",
    "requested_session",
    "user",
    "received_at",
    "error",
    "reason_text",
    "payload",
    "summary",
    "state",
    "resolved_by",
    "resolved_at",
    "reason",
    "order",
}


@pytest.fixture
def alice(api_as) -> Api:
    return api_as("alice")


@pytest.fixture
def manager(api_as) -> Api:
    return api_as("manager")


def sell(shop: dict[str, Any], lines: list[tuple[Any, ...]], *payments: tuple[str, str], **kw):
    """A ticket of demo products: ``sell(shop, [("mug", "2")], ("cash1", "20.00"))``."""
    return order(
        [(shop[name].pk, *rest) for name, *rest in lines],
        [(shop[method].pk, amount) for method, amount in payments],
        **kw,
    )


def held_list(api: Api, session_id: int, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/sessions/{session_id}/held-orders", **params)
    assert response.status_code == 200, response.content
    return response.json()


def resolve(api: Api, uuid: str, action: str, reason: str = "") -> Any:
    return api.post(f"/held-orders/{uuid}/resolve", {"action": action, "reason": reason})


def expected_cash(api: Api, session_id: int) -> str:
    lines = api.get(f"/sessions/{session_id}/closing").json()["lines"]
    return next(line["expected"] for line in lines if line["name"] == "Cash")


def drawer(shop: dict[str, Any], key: str) -> Decimal:
    return account_balance(account_id=shop[key].financial_account_id)


def ledger_net(code: str) -> Decimal:
    """Debit − credit of a ledger account over every journal entry."""
    sums = JournalLine.objects.filter(account__code=code).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (sums["d"] or D(0)) - (sums["c"] or D(0))


# --- what the till sold is sold -------------------------------------------------------------


def test_a_deactivated_product_is_sold_at_the_ticket_price(alice, shop):
    sid = open_session(alice, shop["till2"].pk)["id"]
    Product.objects.filter(pk=shop["espresso"].pk).update(active=False)
    # Two espressos at the ticket's 2.20: 4.40, tax 4.40 × 6/106 = 0.249… → 0.25, net 4.15.
    priced = sell(shop, [("espresso", "2", "2.20")], ("cash2", "4.40"))
    # A line without a unit price takes the product's current price: 2.20.
    unpriced = sell(shop, [("espresso", "1")], ("cash2", "2.20"))

    results = sync(alice, sid, priced, unpriced)

    assert [r["status"] for r in results] == ["created", "created"]
    first = results[0]["order"]
    assert (first["total"], first["tax_total"], first["net_total"]) == ("4.40", "0.25", "4.15")
    assert results[1]["order"]["total"] == "2.20"
    assert drawer(shop, "cash2") == D("6.60")
    assert not HeldOrder.objects.exists()


def test_a_repriced_product_is_sold_at_the_ticket_price(alice, shop):
    sid = open_session(alice, shop["till2"].pk)["id"]
    Product.objects.filter(pk=shop["mug"].pk).update(price=D("12.00"))
    # The till still showed 9.90: tax 9.90 × 21/121 = 1.718… → 1.72, net 8.18.
    old_price = sell(shop, [("mug", "1", "9.90")], ("card2", "9.90"))
    # Without a unit price, today's 12.00: tax 12.00 × 21/121 = 2.082… → 2.08, net 9.92.
    new_price = sell(shop, [("mug", "1")], ("card2", "12.00"))

    results = sync(alice, sid, old_price, new_price)

    assert [r["status"] for r in results] == ["created", "created"]
    got = [(r["order"]["total"], r["order"]["tax_total"], r["order"]["net_total"]) for r in results]
    assert got == [("9.90", "1.72", "8.18"), ("12.00", "2.08", "9.92")]
    prices = dict(OrderLine.objects.values_list("order__uuid", "unit_price"))
    assert prices == {
        UUID(old_price["uuid"]): D("9.90"),
        UUID(new_price["uuid"]): D("12.00"),
    }
    assert drawer(shop, "card2") == D("21.90")


# --- a payment mismatch: held, then accepted ----------------------------------------------------


def test_payment_mismatch_is_held_blocks_the_close_and_is_booked_when_accepted(
    alice, manager, api_as, shop
):
    bob = api_as("bob")
    sid = start_till1(alice, shop)["id"]  # 100.00 counted in the drawer
    good = sell(shop, [("espresso", "2")], ("cash1", "4.40"))
    # Two mugs are 19.80; the cashier took 20.00 and gave no change.
    mismatch = sell(shop, [("mug", "2")], ("cash1", "20.00"))
    before = Rows.now()

    results = sync(alice, sid, good, mismatch)

    assert [r["status"] for r in results] == ["created", "held"]
    held = results[1]
    assert (held["uuid"], held["session"], held["order"]) == (mismatch["uuid"], sid, None)
    assert_problem_document(held["error"], 422, "payment_mismatch")
    assert (held["error"]["amount_due"], held["error"]["paid"]) == ("19.80", "20.00")
    assert held["error"]["detail"] == "Payments total 20.00 but the amount due is 19.80."
    # In no total: one order, one payment, one transaction (4.40 cash) were written.
    assert Rows.now() - before == (1, 1, 1, 1)
    assert expected_cash(manager, sid) == "104.40"
    detail = alice.get(f"/sessions/{sid}").json()
    assert (detail["order_count"], detail["sales_total"]) == (1, "4.40")
    report = alice.get(f"/sessions/{sid}/report").json()
    assert (report["orders"]["count"], report["orders"]["held"]) == (1, 1)
    assert report["orders"]["sales_total"] == "4.40"

    # Listed for the cashier and the managers, with the payload as sent.
    for reader in (alice, manager):
        (listed,) = held_list(reader, sid)
        assert set(listed) == HELD_KEYS
        assert listed["uuid"] == mismatch["uuid"]
        assert listed["payload"] == mismatch
        assert listed["error"] == held["error"]
        assert listed["reason_text"] == "Payments total 20.00 but the amount due is 19.80."
        assert listed["summary"] == {"state": "paid", "lines": 1, "total": None, "paid": "20.00"}
        assert (listed["state"], listed["resolved_by"], listed["order"]) == ("held", None, None)
        assert (listed["session"], listed["requested_session"], listed["user"]) == (
            sid,
            sid,
            "alice",
        )
    assert_problem(bob.get(f"/sessions/{sid}/held-orders"), 403, "not_session_owner")
    event = AuditEvent.objects.get(action="order_held")
    assert (event.session_id, event.after["code"]) == (sid, "payment_mismatch")

    # The close wizard warns; every close is refused while it waits.
    closing = alice.get(f"/sessions/{sid}/closing").json()
    assert [(h["uuid"], h["code"], h["paid"]) for h in closing["held_orders"]] == [
        (mismatch["uuid"], "payment_mismatch", "20.00")
    ]
    assert "total" not in closing["held_orders"][0]  # the ticket carried none
    refused = assert_problem(
        close(alice, sid, count(shop["cash1"], "124.40")), 409, "held_orders"
    )
    assert refused["held_orders"] == [mismatch["uuid"]]
    refused = manager.post(f"/sessions/{sid}/force-close", {"reason": "end of day"})
    assert assert_problem(refused, 409, "held_orders")["held_orders"] == [mismatch["uuid"]]
    assert Session.objects.get(pk=sid).state == "in_progress"

    # A cashier cannot resolve it.
    assert_problem(resolve(alice, mismatch["uuid"], "accept"), 403, "forbidden")
    assert HeldOrder.objects.get(uuid=mismatch["uuid"]).state == "held"

    accepted = resolve(manager, mismatch["uuid"], "accept", "customer declined the change")

    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert (body["state"], body["resolved_by"], body["reason"]) == (
        "accepted",
        "manager",
        "customer declined the change",
    )
    booked = body["order"]
    # The server's figures: 2 × 9.90 = 19.80, tax 19.80 × 21/121 = 3.436… → 3.44, net 16.36;
    # the 20.00 the till took is the payment, the 0.20 over is the difference.
    assert (booked["uuid"], booked["session"], booked["state"]) == (mismatch["uuid"], sid, "paid")
    assert (booked["total"], booked["tax_total"], booked["net_total"]) == ("19.80", "3.44", "16.36")
    assert (booked["amount_due"], booked["difference"]) == ("19.80", "0.20")
    stored = Order.objects.get(uuid=mismatch["uuid"])
    assert [p.amount for p in Payment.objects.filter(order=stored)] == [D("20.00")]
    assert stored.difference_account.code == "6580"  # Cash's cash-difference G/L account
    assert held_list(manager, sid) == []
    (resolved,) = held_list(manager, sid, state="all")
    assert resolved["order"]["id"] == stored.pk
    assert AuditEvent.objects.filter(action="held_order_accepted", session_id=sid).count() == 1

    # The money is in the books: 100.00 + 4.40 + 20.00 expected, sales 4.40 + 19.80.
    assert expected_cash(manager, sid) == "124.40"
    detail = alice.get(f"/sessions/{sid}").json()
    assert (detail["order_count"], detail["sales_total"]) == (2, "24.20")
    assert alice.get(f"/sessions/{sid}/report").json()["orders"]["held"] == 0
    # The terminal sending it again is told it is an order now.
    again = sync(alice, sid, mismatch)[0]
    assert (again["status"], again["session"]) == ("duplicate", sid)

    start = balances()
    closed = close(alice, sid, count(shop["cash1"], "124.40"))
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    cash = next(d for d in closed.json()["differences"] if d["name"] == "Cash")
    assert (cash["expected"], cash["counted"], cash["difference"]) == ("124.40", "124.40", "0.00")
    lines = entry_lines(manager, sid)
    espresso, mug = (shop[p].income_account.code for p in ("espresso", "mug"))
    for line in [
        (espresso, "Sales 6%", "0.00", "4.15"),
        ("2010", "VAT 6%", "0.00", "0.25"),
        (mug, "Sales 21%", "0.00", "16.36"),
        ("2000", "VAT 21%", "0.00", "3.44"),
        ("6580", "Held order difference", "0.00", "0.20"),
        ("1000", "Cash", "24.40", "0.00"),
    ]:
        assert line in lines, lines
    # Cash differences: the first float counted at opening (100.00, a gain) and the 0.20.
    assert net_by_account(lines)["6580"] == D("-100.20")
    journal_is_balanced()
    # The drawer held 124.40, and the books say so: kept plus transferred is 124.40, and the
    # cash ledger account holds what the drawers hold.
    end = balances()
    assert start["Till 1 cash drawer"] == D("124.40")
    assert end["Till 1 cash drawer"] + (end["Safe"] - start["Safe"]) == D("124.40")
    assert ledger_net("1000") == end["Till 1 cash drawer"] + end["Till 2 cash drawer"]


