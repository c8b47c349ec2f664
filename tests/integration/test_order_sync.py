"""POST /sessions/{id}/orders: idempotency, drafts and voids, refunds, totals, balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from opentill.accounting.models import FinancialTransaction
from opentill.accounting.selectors import account_balance
from opentill.catalog.models import Customer, Product
from opentill.orders.models import Order, OrderLine, Payment
from opentill.stores.models import Company
from tests.conftest import Api, new_uuid, order
from tests.integration.checks import Rows, assert_problem, assert_problem_document
from tests.integration.helpers import open_session, sync

D = Decimal

ORDER_KEYS = {
    "id",
    "uuid",
    "session",
    "state",
    "number",
    "customer",
    "fiscal_position",
    "taxes",
    "to_invoice",
    "created_at",
    "net_total",
    "tax_total",
    "total",
    "rounding",
    "amount_due",
    "payments",
}


@pytest.fixture
def alice(api_as) -> Api:
    return api_as("alice")


@pytest.fixture
def session(alice, shop) -> int:
    """Alice's session in progress on Till 2 (no opening control: the drawer starts at 0)."""
    return open_session(alice, shop["till2"].pk)["id"]


def cash_balance(shop: dict[str, Any], key: str = "cash2") -> Decimal:
    return account_balance(account_id=shop[key].financial_account_id)


def sell(shop: dict[str, Any], lines: list[tuple[Any, ...]], *payments: tuple[str, str], **kw):
    """An order of demo products by name: ``sell(shop, [("espresso", "2")], ("cash2", "4.40"))``."""
    return order(
        [(shop[name].pk, *rest) for name, *rest in lines],
        [(shop[method].pk, amount) for method, amount in payments],
        **kw,
    )


# --- idempotency ---------------------------------------------------------------------------


def test_the_same_batch_twice_is_stored_once(alice, shop, session):
    batch = [
        sell(shop, [("espresso", "2")], ("cash2", "4.40")),
        sell(shop, [("mug", "1")], ("card2", "9.90")),
        sell(shop, [("espresso", "1"), ("mug", "1")], ("cash2", "5.00"), ("card2", "7.10")),
    ]
    first = sync(alice, session, *batch)
    assert [r["status"] for r in first] == ["created"] * 3
    rows = Rows.now()
    balances = (cash_balance(shop), cash_balance(shop, "card2"))
    # One financial transaction per payment method and synced batch: cash and card.
    assert rows == Rows(orders=3, lines=4, payments=4, transactions=2)

    second = sync(alice, session, *batch)

    assert [r["status"] for r in second] == ["duplicate"] * 3
    assert [r["uuid"] for r in second] == [o["uuid"] for o in batch]
    assert all(r["session"] == session for r in second)
    assert all(r["order"] is None and r["error"] is None for r in second)
    assert Rows.now() == rows
    assert (cash_balance(shop), cash_balance(shop, "card2")) == balances == (D("9.40"), D("17.00"))


def test_a_uuid_repeated_inside_one_batch_is_created_once(alice, shop, session):
    ticket = sell(shop, [("espresso", "1")], ("cash2", "2.20"))
    results = sync(alice, session, ticket, dict(ticket))
    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[1]["uuid"] == ticket["uuid"]
    assert results[1]["session"] == session
    assert results[1]["order"] is None
    assert Order.objects.filter(uuid=ticket["uuid"]).count() == 1
    assert Payment.objects.count() == 1
    assert cash_balance(shop) == D("2.20")


def test_a_duplicate_changes_nothing_even_with_other_content(alice, shop, session):
    uuid = new_uuid()
    sync(alice, session, sell(shop, [("espresso", "1")], ("cash2", "2.20"), uuid=uuid))
    results = sync(alice, session, sell(shop, [("mug", "3")], ("card2", "29.70"), uuid=uuid))
    assert results[0]["status"] == "duplicate"
    stored = Order.objects.get(uuid=uuid)
    assert stored.total == D("2.20")
    assert [line.product_id for line in stored.lines.all()] == [shop["espresso"].pk]
    assert cash_balance(shop) == D("2.20")
    assert cash_balance(shop, "card2") == D("0.00")


def test_a_rejected_uuid_can_be_sent_again_once_corrected(alice, shop, session):
    # Rejected (a JSON number where the contract says a string): nothing is stored, so the
    # corrected ticket is created. A ticket that was *held* stays held (test_held_orders).
    uuid = new_uuid()
    bad = sell(shop, [("espresso", "1")], ("cash2", "2.20"), uuid=uuid)
    bad["payments"][0]["amount"] = 2.2
    assert sync(alice, session, bad)[0]["status"] == "rejected"
    good = sell(shop, [("espresso", "1")], ("cash2", "2.20"), uuid=uuid)
    assert sync(alice, session, good)[0]["status"] == "created"
    assert Order.objects.filter(uuid=uuid).count() == 1


def test_a_rejected_copy_does_not_hide_a_good_one_in_the_same_batch(alice, shop, session):
    uuid = new_uuid()
    bad = sell(shop, [("espresso", "1")], ("cash2", "2.20"), uuid=uuid)
    bad["lines"][0]["quantity"] = ["1"]
    good = sell(shop, [("espresso", "1")], ("cash2", "2.20"), uuid=uuid)
    results = sync(alice, session, bad, good, good)
    assert [r["status"] for r in results] == ["rejected", "created", "duplicate"]
    assert Order.objects.get(uuid=uuid).amount_due == D("2.20")


def test_a_uuid_is_unique_across_sessions(alice, api_as, shop, session):
    ticket = sell(shop, [("espresso", "1")], ("cash2", "2.20"))
    sync(alice, session, ticket)
    bob = api_as("bob")
    other = open_session(
        bob, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    again = sell(shop, [("espresso", "1")], ("cash1", "2.20"), uuid=ticket["uuid"])
    (result,) = sync(bob, other["id"], again)
    # Seen before, in Alice's session: nothing changes, and Bob is not told where it lives.
    assert (result["status"], result["session"]) == ("duplicate", None)
    assert cash_balance(shop, "cash1") == D("0.00")


# --- drafts and voids -------------------------------------------------------------------------


def test_draft_orders_then_void(alice, shop, session):
    draft = sell(shop, [("mug", "1")], state="draft")
    (result,) = sync(alice, session, draft)
    assert result["status"] == "created"
    assert result["order"]["state"] == "draft"
    assert result["order"]["total"] == "9.90"
    stored = Order.objects.get(uuid=draft["uuid"])
    assert stored.state == "draft"
    assert not stored.payments.exists()
    assert FinancialTransaction.objects.count() == 0
    detail = alice.get(f"/sessions/{session}").json()
    assert (detail["order_count"], detail["sales_total"]) == (0, "0.00")

    response = alice.post(f"/orders/{draft['uuid']}/void", {"reason": "customer left"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= ORDER_KEYS
    assert (body["uuid"], body["state"], body["total"]) == (draft["uuid"], "void", "9.90")
    stored.refresh_from_db()
    assert (stored.state, stored.void_reason) == ("void", "customer left")
    # Voiding again is refused, and a re-sync of the draft is a duplicate that changes nothing.
    assert_problem(
        alice.post(f"/orders/{draft['uuid']}/void", {"reason": "again"}), 409, "invalid_state"
    )
    assert sync(alice, session, draft)[0]["status"] == "duplicate"
    assert Order.objects.get(uuid=draft["uuid"]).state == "void"


def test_a_manager_may_void_a_cashiers_draft(alice, api_as, shop, session):
    draft = sell(shop, [("espresso", "1")], state="draft")
    sync(alice, session, draft)
    response = api_as("manager").post(f"/orders/{draft['uuid']}/void", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "void"


def test_drafts_do_not_move_stock_money_or_sales(alice, shop, session):
    sync(
        alice,
        session,
        sell(shop, [("espresso", "1")], ("cash2", "2.20")),
        sell(shop, [("espresso", "5")], state="draft"),
    )
    detail = alice.get(f"/sessions/{session}").json()
    assert (detail["order_count"], detail["sales_total"]) == (1, "2.20")
    assert cash_balance(shop) == D("2.20")


# --- refunds -----------------------------------------------------------------------------------


def test_refunds_lower_the_cash_drawer(alice, shop, session):
    sync(alice, session, sell(shop, [("espresso", "3")], ("cash2", "6.60")))
    assert cash_balance(shop) == D("6.60")

    refund = sell(shop, [("espresso", "-1")], ("cash2", "-2.20"))
    (result,) = sync(alice, session, refund)

    assert result["status"] == "created"
    assert result["order"]["total"] == "-2.20"
    assert result["order"]["net_total"] == "-2.08"
    assert result["order"]["tax_total"] == "-0.12"
    assert result["order"]["amount_due"] == "-2.20"
    stored = Order.objects.get(uuid=refund["uuid"])
    assert stored.is_refund
    assert [p.amount for p in stored.payments.all()] == [D("-2.20")]
    line = stored.lines.get()
    assert (line.quantity, line.net, line.tax_amount, line.total) == (
        D("-1.000"),
        D("-2.08"),
        D("-0.12"),
        D("-2.20"),
    )
    assert cash_balance(shop) == D("4.40")
    detail = alice.get(f"/sessions/{session}").json()
    assert detail["payments"] == [
        {"payment_method": shop["cash2"].pk, "name": "Cash", "amount": "4.40"}
    ]


def test_a_refund_can_take_the_drawer_below_zero(alice, shop, session):
    sync(alice, session, sell(shop, [("mug", "-1")], ("cash2", "-9.90")))
    assert cash_balance(shop) == D("-9.90")


def test_an_exchange_in_one_order(alice, shop, session):
    # The customer brings back a mug (9.90) and takes two espressos (4.40): 5.50 back.
    (result,) = sync(
        alice,
        session,
        sell(shop, [("mug", "-1"), ("espresso", "2")], ("cash2", "-5.50")),
    )
    assert result["status"] == "created"
    assert result["order"]["total"] == "-5.50"
    # Mug −9.90: tax −1.72, net −8.18; espressos 4.40: tax 0.25, net 4.15.
    assert result["order"]["tax_total"] == "-1.47"
    assert result["order"]["net_total"] == "-4.03"
    assert cash_balance(shop) == D("-5.50")


# --- totals of the demo products (prices include tax, tax per line) -----------------------------


def test_tax_inclusive_totals_of_the_demo_products(alice, shop, session):
    # Espresso 2.20 at 6 %: 2 × 2.20 = 4.40, tax 4.40 × 6/106 = 0.249… → 0.25, net 4.15.
    # Mug 9.90 at 21 %: tax 9.90 × 21/121 = 1.718… → 1.72, net 8.18.
    ticket = sell(shop, [("espresso", "2"), ("mug", "1")], ("card2", "14.30"))
    (result,) = sync(alice, session, ticket)
    assert result["status"] == "created"
    got = result["order"]
    assert set(got) == ORDER_KEYS
    assert (got["net_total"], got["tax_total"], got["total"]) == ("12.33", "1.97", "14.30")
    assert (got["rounding"], got["amount_due"]) == ("0.00", "14.30")
    lines = list(OrderLine.objects.filter(order__uuid=ticket["uuid"]).order_by("id"))
    assert [
        (line.product_id, line.quantity, line.unit_price, line.tax_label, line.net, line.tax_amount)
        for line in lines
    ] == [
        (shop["espresso"].pk, D("2.000"), D("2.20"), "6%", D("4.15"), D("0.25")),
        (shop["mug"].pk, D("1.000"), D("9.90"), "21%", D("8.18"), D("1.72")),
    ]
    assert [line.total for line in lines] == [D("4.40"), D("9.90")]


@pytest.mark.parametrize(
    ("product", "net", "tax"), [("espresso", "2.08", "0.12"), ("mug", "8.18", "1.72")]
)
def test_one_demo_product(alice, shop, session, product, net, tax):
    price = str(shop[product].price)
    (result,) = sync(alice, session, sell(shop, [(product, "1")], ("card2", price)))
    got = result["order"]
    assert (got["net_total"], got["tax_total"], got["total"]) == (net, tax, price)


def test_unit_price_and_discount_from_the_terminal(alice, shop, session):
    # 3 espressos at 2.00 (a happy-hour price), 10 % off: 6.00 − 0.60 = 5.40,
    # tax 5.40 × 6/106 = 0.3056… → 0.31, net 5.09.
    ticket = sell(shop, [("espresso", "3", "2.00")], ("card2", "5.40"))
    ticket["lines"][0]["discount_percent"] = "10"
    (result,) = sync(alice, session, ticket)
    assert result["status"] == "created", result
    assert (result["order"]["net_total"], result["order"]["tax_total"]) == ("5.09", "0.31")
    line = OrderLine.objects.get(order__uuid=ticket["uuid"])
    assert (line.unit_price, line.discount_percent, line.discount) == (
        D("2.00"),
        D("10.0000"),
        D("0.60"),
    )


def test_tax_per_total_company_setting(alice, shop, session):
    # Three espresso lines: per line 3 × 0.12 = 0.36; per total 6.60 × 6/106 = 0.3735… → 0.37.
    Company.objects.update(tax_rounding=Company.TaxRounding.GLOBAL)
    ticket = sell(shop, [("espresso", "1")] * 3, ("card2", "6.60"))
    (result,) = sync(alice, session, ticket)
    assert (result["order"]["tax_total"], result["order"]["net_total"]) == ("0.37", "6.23")
    taxes = sorted(line.tax_amount for line in OrderLine.objects.filter(order__uuid=ticket["uuid"]))
    assert taxes == [D("0.12"), D("0.12"), D("0.13")]


def test_cash_rounding_applies_to_cash_payments_only(alice, shop, session):
    Company.objects.update(cash_rounding=D("0.05"))
    shop["batteries"] = Product.objects.get(sku="BAT-AA4")  # 5.49 at 21 %
    exact_in_cash = sell(shop, [("batteries", "1")], ("cash2", "5.49"))
    rounded_in_cash = sell(shop, [("batteries", "1")], ("cash2", "5.50"))
    by_card = sell(shop, [("batteries", "1")], ("card2", "5.49"))
    results = sync(alice, session, exact_in_cash, rounded_in_cash, by_card)
    # 5.49 in cash is not what is due (5.50): the ticket is held for a manager, in no total.
    assert [r["status"] for r in results] == ["held", "created", "created"]
    assert_problem_document(results[0]["error"], 422, "payment_mismatch")
    assert results[0]["error"]["amount_due"] == "5.50"
    cash, card = results[1]["order"], results[2]["order"]
    assert (cash["total"], cash["rounding"], cash["amount_due"]) == ("5.49", "0.01", "5.50")
    assert (card["total"], card["rounding"], card["amount_due"]) == ("5.49", "0.00", "5.49")
    assert cash_balance(shop) == D("5.50")
    assert cash_balance(shop, "card2") == D("5.49")
    # A cash refund rounds the other way: −5.49 → −5.50 back to the customer.
    (refund,) = sync(alice, session, sell(shop, [("batteries", "-1")], ("cash2", "-5.50")))
    assert (refund["status"], refund["order"]["rounding"]) == ("created", "-0.01")
    assert cash_balance(shop) == D("0.00")


# --- payments and balances ---------------------------------------------------------------------


def test_payment_balances_of_financial_accounts_after_sync(alice, api_as, shop, session):
    sync(
        alice,
        session,
        sell(shop, [("espresso", "2")], ("cash2", "4.40")),
        sell(shop, [("mug", "2")], ("card2", "19.80")),
        sell(shop, [("espresso", "1"), ("mug", "1")], ("cash2", "10.00"), ("card2", "2.10")),
        sell(shop, [("espresso", "-1")], ("cash2", "-2.20")),
        sell(shop, [("mug", "1")], state="draft"),
    )
    assert cash_balance(shop) == D("12.20")
    assert cash_balance(shop, "card2") == D("21.90")
    # Till 1's accounts did not move.
    assert cash_balance(shop, "cash1") == D("0.00")
    assert cash_balance(shop, "card1") == D("0.00")
    # One payment transaction per method and synced batch: the sum of the batch's payments
    # (refunds included) on the method's account.
    for method, total in (("cash2", D("12.20")), ("card2", D("21.90"))):
        (ft,) = FinancialTransaction.objects.filter(
            account_id=shop[method].financial_account_id, kind="payment"
        )
        assert ft.amount == total
        assert ft.session_id == session
    detail = alice.get(f"/sessions/{session}").json()
    assert detail["order_count"] == 4
    assert detail["sales_total"] == "34.10"
    assert detail["payments"] == [
        {"payment_method": shop["cash2"].pk, "name": "Cash", "amount": "12.20"},
        {"payment_method": shop["card2"].pk, "name": "Card", "amount": "21.90"},
    ]
    accounts = api_as("manager").get("/financial-accounts")
    assert accounts.status_code == 200, accounts.content
    by_method = {a["payment_method"]: a["balance"] for a in accounts.json()}
    assert by_method[shop["cash2"].pk] == "12.20"
    assert by_method[shop["card2"].pk] == "21.90"


# --- the order object in results ---------------------------------------------------------------


def test_the_order_object_in_results(alice, shop, session):
    customer = Customer.objects.get(name="Café De Hoek")
    ticket = sell(
        shop,
        [("espresso", "1")],
        ("cash2", "2.20"),
        customer=customer.pk,
        created_at="2026-11-21T10:02:03+01:00",
    )
    anonymous = sell(shop, [("mug", "1")], ("card2", "9.90"), created_at="2026-11-21T09:00:00Z")
    results = sync(alice, session, ticket, anonymous)
    assert [set(r) for r in results] == [{"uuid", "status", "session", "order", "error"}] * 2
    first, second = (r["order"] for r in results)
    stored = Order.objects.get(uuid=ticket["uuid"])
    assert first == {
        "id": stored.pk,
        "uuid": ticket["uuid"],
        "session": session,
        "state": "paid",
        # Sent without a number: the server gives the till's first (Till 2: TILL2-000001).
        "number": "TILL2-000001",
        "customer": customer.pk,
        "to_invoice": False,
        "created_at": "2026-11-21T10:02:03+01:00",
        "net_total": "2.08",
        "tax_total": "0.12",
        "total": "2.20",
        "rounding": "0.00",
        "amount_due": "2.20",
        "fiscal_position": None,
        # 2.20 × 6/106 = 0.12453 → 0.12, base 2.08
        "taxes": [
            {
                "tax": shop["espresso"].taxes.get().pk,
                "name": "VAT 6%",
                "base": "2.08",
                "amount": "0.12",
            }
        ],
        "payments": [
            {
                "payment_method": shop["cash2"].pk,
                "amount": "2.20",
                "tendered": "2.20",
                "change": "0.00",
            }
        ],
    }
    assert results[0]["session"] == session and results[0]["error"] is None
    assert (second["customer"], second["number"]) == (None, "TILL2-000002")
    assert second["created_at"].startswith("2026-11-21T09:00:00")
    assert stored.created_at.isoformat() == "2026-11-21T09:02:03+00:00"
    assert stored.user.username == "alice"
    assert stored.requested_session_id == session


def test_a_manager_syncing_stores_the_order_in_the_cashiers_session(alice, api_as, shop, session):
    (result,) = sync(api_as("manager"), session, sell(shop, [("mug", "1")], ("card2", "9.90")))
    assert result["status"] == "created"
    assert result["session"] == result["order"]["session"] == session
    assert Order.objects.get(uuid=result["uuid"]).user.username == "manager"


def test_a_duplicate_never_names_another_cashiers_session(alice, shop, session, api_as):
    """Bob resending Alice's uuid learns that it is stored, not where."""
    ticket = order([(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")])
    assert sync(alice, session, ticket)[0]["status"] == "created"

    bob = api_as("bob")
    bobs = open_session(
        bob, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    [result] = sync(bob, bobs["id"], ticket)
    assert result["status"] == "duplicate"
    assert result["session"] is None
    assert Order.objects.get(uuid=ticket["uuid"]).session_id == session

    # Alice herself, and a manager of the store, are told where it is.
    assert sync(alice, session, ticket)[0]["session"] == session
    manager = api_as("manager")
    assert sync(manager, bobs["id"], ticket)[0]["session"] == session


# --- tendered and change (issue #12) --------------------------------------------------------


def tendered(ticket: dict[str, Any], *given: str | None) -> dict[str, Any]:
    """The ticket with what the customer handed over for each payment (None: not sent)."""
    for payment, value in zip(ticket["payments"], given, strict=True):
        if value is not None:
            payment["tendered"] = value
    return ticket


def stored_payments(uuid: str) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (p.payment_method.name, p.amount, p.tendered, p.change)
        for p in Payment.objects.filter(order__uuid=uuid).select_related("payment_method")
    ]


def test_cash_tendered_beyond_the_amount_stores_the_change(alice, shop, session):
    # A mug sold at 17.86, paid with a 20.00 note: the drawer keeps 17.86 and gives 2.14 back.
    ticket = tendered(sell(shop, [("mug", "1", "17.86")], ("cash2", "17.86")), "20.00")
    (result,) = sync(alice, session, ticket)
    assert result["status"] == "created", result["error"]
    assert result["order"]["payments"] == [
        {
            "payment_method": shop["cash2"].pk,
            "amount": "17.86",
            "tendered": "20.00",
            "change": "2.14",
        }
    ]
    assert stored_payments(ticket["uuid"]) == [("Cash", D("17.86"), D("20.00"), D("2.14"))]
    # The drawer holds what was kept, not what was handed over.
    assert cash_balance(shop) == D("17.86")


def test_a_split_payment_gives_change_on_its_cash_part(alice, shop, session):
    # 17.86: card 5.00, then the remaining 12.86 in cash from a 20.00 note: change 7.14.
    ticket = tendered(
        sell(shop, [("mug", "1", "17.86")], ("card2", "5.00"), ("cash2", "12.86")),
        None,
        "20.00",
    )
    (result,) = sync(alice, session, ticket)
    assert result["status"] == "created", result["error"]
    assert [(p["tendered"], p["change"]) for p in result["order"]["payments"]] == [
        ("5.00", "0.00"),
        ("20.00", "7.14"),
    ]
    assert stored_payments(ticket["uuid"]) == [
        ("Card", D("5.00"), D("5.00"), D("0.00")),
        ("Cash", D("12.86"), D("20.00"), D("7.14")),
    ]
    assert (cash_balance(shop), cash_balance(shop, "card2")) == (D("12.86"), D("5.00"))


def test_without_tendered_or_tendered_exactly_no_change(alice, shop, session):
    exact = tendered(sell(shop, [("espresso", "2")], ("card2", "4.40")), "4.40")
    plain = sell(shop, [("espresso", "1")], ("cash2", "2.20"))
    refund = sell(shop, [("espresso", "-1")], ("cash2", "-2.20"))
    assert [r["status"] for r in sync(alice, session, exact, plain, refund)] == ["created"] * 3
    assert stored_payments(exact["uuid"]) == [("Card", D("4.40"), D("4.40"), D("0.00"))]
    assert stored_payments(plain["uuid"]) == [("Cash", D("2.20"), D("2.20"), D("0.00"))]
    assert stored_payments(refund["uuid"]) == [("Cash", D("-2.20"), D("-2.20"), D("0.00"))]


@pytest.mark.parametrize(
    ("lines", "payment", "given", "words"),
    [
        # A refund hands money back: the customer tenders nothing.
        (
            [("mug", "-1")],
            ("cash2", "-9.90"),
            "9.90",
            "payment 1, tendered: tendered is only for a payment the customer makes, not for "
            "a refund (a negative amount)",
        ),
        # 10.00 cannot pay 17.86.
        (
            [("mug", "1", "17.86")],
            ("cash2", "17.86"),
            "10.00",
            "payment 1, tendered: tendered 10.00 is less than the amount 17.86 it pays",
        ),
        # A card is charged the amount: it gives no change.
        (
            [("mug", "1", "17.86")],
            ("card2", "17.86"),
            "20.00",
            "payment 1 (Card) was tendered 20.00 for 17.86, but only cash gives change back",
        ),
    ],
)
def test_a_tendered_that_cannot_be_taken_holds_the_ticket(
    alice, shop, session, lines, payment, given, words
):
    ticket = tendered(sell(shop, lines, payment), given)
    before = Rows.now()
    (result,) = sync(alice, session, ticket)
    assert result["status"] == "held"
    assert_problem_document(result["error"], 422, "validation_error")
    assert result["error"]["detail"] == f"This ticket cannot be booked as sent: {words}."
    assert result["error"]["errors"][0]["loc"] == ["body", "orders", 0, "payments", 0, "tendered"]
    assert Rows.now() - before == (0, 0, 0, 0)
    assert cash_balance(shop) == cash_balance(shop, "card2") == D(0)


def test_the_database_refuses_a_payment_whose_change_does_not_add_up(alice, shop, session):
    ticket = sell(shop, [("espresso", "1")], ("cash2", "2.20"))
    sync(alice, session, ticket)
    stored = Order.objects.get(uuid=ticket["uuid"])

    def add(amount: str, given: str, change: str) -> None:
        with transaction.atomic():
            Payment.objects.create(
                order=stored,
                session_id=session,
                payment_method=shop["cash2"],
                amount=D(amount),
                tendered=D(given),
                change=D(change),
            )

    for amount, given, change in [
        ("5.00", "6.00", "0.50"),  # 5.00 + 0.50 is not 6.00
        ("5.00", "5.00", "0.01"),
        ("5.00", "4.00", "-1.00"),  # change never negative
        ("-5.00", "-4.00", "1.00"),  # a refund gives no change
        ("-5.00", "-5.00", "0.01"),
    ]:
        with pytest.raises(IntegrityError):
            add(amount, given, change)
    add("5.00", "20.00", "15.00")  # adds up: accepted
    add("-5.00", "-5.00", "0.00")
    assert Payment.objects.filter(order=stored).count() == 3
