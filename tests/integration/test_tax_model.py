"""The tax model through the API: several taxes per product, fixed taxes, taxes in each
other's base, fiscal positions per order, and the company's rounding conventions. Every
figure is worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentill.accounting.models import LedgerAccount
from opentill.catalog.models import Customer, FiscalPosition, Product, Tax
from opentill.orders.models import Order, OrderLine, OrderLineTax
from opentill.stores.models import Company
from tests.conftest import D, order, rolled_back
from tests.integration.helpers import open_session, sync


@pytest.fixture
def session(api_as: Any, shop: dict[str, Any]) -> int:
    return open_session(api_as("alice"), shop["till2"].pk)["id"]


def _product(sku: str, price: str, *taxes: Tax, account: str = "7000") -> Product:
    company = Company.objects.get()
    product = Product.objects.create(
        company=company,
        sku=sku,
        name=sku.title(),
        price=D(price),
        income_account=LedgerAccount.objects.get(code=account),
    )
    product.taxes.set(taxes)
    return product


def _tax(name: str, **fields: Any) -> Tax:
    account = LedgerAccount.objects.create(
        code=f"T{Tax.objects.count()}", name=name, kind="liability"
    )
    return Tax.objects.create(company=Company.objects.get(), name=name, account=account, **fields)


def _line_taxes(uuid: str) -> list[tuple[str, Decimal, Decimal, bool]]:
    return list(
        OrderLineTax.objects.filter(order__uuid=uuid)
        .order_by("line_id", "id")
        .values_list("name", "base", "amount", "refund")
    )


def _created(result: dict[str, Any]) -> dict[str, Any]:
    assert result["status"] == "created", result
    return result["order"]


# --- fiscal positions: take-away and eat-in ------------------------------------------------


def test_take_away_maps_the_sandwich_to_6_percent_and_keeps_its_net_price(api_as, shop, session):
    alice = api_as("alice")
    sandwich = Product.objects.get(sku="SND-HAM")  # 5.30 with VAT 12 % included
    take_away = FiscalPosition.objects.get(name="Take-away")
    cash = shop["cash2"].pk

    # Eat-in: 2 × 5.30 = 10.60; 10.60 × 12/112 = 1.13571 → 1.14; net 9.46.
    eat_in = order([(sandwich.pk, "2")], [(cash, "10.60")], fiscal_position=None)
    # Take-away: the price keeps its net, 5.30 / 1.12 × 1.06 = 5.01607 → 5.02;
    # 2 × 5.02 = 10.04; 10.04 × 6/106 = 0.56830 → 0.57; net 9.47.
    away = order([(sandwich.pk, "2")], [(cash, "10.04")], fiscal_position=take_away.pk)
    got_in, got_away = (_created(r) for r in sync(alice, session, eat_in, away))

    assert (got_in["total"], got_in["tax_total"], got_in["net_total"]) == ("10.60", "1.14", "9.46")
    assert got_in["fiscal_position"] is None
    assert [(t["name"], t["base"], t["amount"]) for t in got_in["taxes"]] == [
        ("VAT 12%", "9.46", "1.14")
    ]
    assert (got_away["total"], got_away["tax_total"], got_away["net_total"]) == (
        "10.04",
        "0.57",
        "9.47",
    )
    assert got_away["fiscal_position"] == take_away.pk
    assert [(t["name"], t["base"], t["amount"]) for t in got_away["taxes"]] == [
        ("VAT 6%", "9.47", "0.57")
    ]
    line = OrderLine.objects.get(order__uuid=away["uuid"])
    assert (line.unit_price, line.tax_label) == (D("5.02"), "6%")
    assert Order.objects.get(uuid=away["uuid"]).fiscal_position_id == take_away.pk


def test_a_customers_default_position_applies_when_the_order_does_not_say(api_as, shop, session):
    alice = api_as("alice")
    vat21 = Tax.objects.get(name="VAT 21%")
    export = FiscalPosition.objects.create(company=Company.objects.get(), name="Export")
    export.tax_maps.create(tax_src=vat21, tax_dest=None)  # exempt
    customer = Customer.objects.get(name="Jansen Architects")
    customer.fiscal_position = export
    customer.save()
    mug = shop["mug"]  # 9.90 with 21 % included: 9.90 / 1.21 = 8.18181… → 8.18 net
    card = shop["card2"].pk

    default = order([(mug.pk, "1")], [(card, "8.18")], customer=customer.pk)
    (got,) = sync(alice, session, default)
    assert got["status"] == "created", got["error"]
    assert got["order"]["fiscal_position"] == export.pk
    assert (got["order"]["total"], got["order"]["tax_total"]) == ("8.18", "0.00")
    assert got["order"]["taxes"] == []

    # Said explicitly: no position, the customer pays the price with VAT.
    none = order([(mug.pk, "1")], [(card, "9.90")], customer=customer.pk, fiscal_position=None)
    (got,) = sync(alice, session, none)
    assert (_created(got)["total"], got["order"]["tax_total"]) == ("9.90", "1.72")


def test_a_position_the_till_does_not_offer_holds_the_ticket(api_as, shop, session):
    alice = api_as("alice")
    other = FiscalPosition.objects.create(company=Company.objects.get(), name="Not here")
    ticket = order(
        [(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")], fiscal_position=other.pk
    )
    (got,) = sync(alice, session, ticket)
    assert got["status"] == "held"
    assert got["error"]["code"] == "unknown_fiscal_position"
    assert got["error"]["errors"][0]["loc"] == ["body", "orders", 0, "fiscal_position"]


def test_an_income_account_mapped_by_the_position(api_as, shop, session):
    alice = api_as("alice")
    position = FiscalPosition.objects.get(name="Take-away")
    goods, food = (LedgerAccount.objects.get(code=c) for c in ("7000", "7010"))
    position.account_maps.create(account_src=goods, account_dest=food)
    ticket = order(
        [(shop["mug"].pk, "1")], [(shop["card2"].pk, "9.90")], fiscal_position=position.pk
    )
    _created(sync(alice, session, ticket)[0])
    assert OrderLine.objects.get(order__uuid=ticket["uuid"]).income_account_id == food.pk


# --- several taxes on a line ---------------------------------------------------------------


def test_a_tax_group_vat_on_top_of_an_excise(api_as, shop, session):
    alice = api_as("alice")
    excise = _tax(
        "Excise 10%",
        rate=D("10"),
        price_include=False,
        include_base_amount=True,
        sequence=1,
    )
    vat = _tax("VAT 21% on top", rate=D("21"), price_include=False, sequence=2)
    spirit = _product("GIN-70", "20.00", vat, excise)
    # Excise 10 % of 20.00 = 2.00, in the VAT base: 21 % of 22.00 = 4.62. Total 26.62.
    ticket = order([(spirit.pk, "1")], [(shop["card2"].pk, "26.62")])
    got = _created(sync(alice, session, ticket)[0])
    assert (got["net_total"], got["tax_total"], got["total"]) == ("20.00", "6.62", "26.62")
    assert _line_taxes(ticket["uuid"]) == [
        ("Excise 10%", D("20.00"), D("2.00"), False),
        ("VAT 21% on top", D("22.00"), D("4.62"), False),
    ]
    assert OrderLine.objects.get(order__uuid=ticket["uuid"]).tax_label == "10% + 21%"


def test_a_fixed_deposit_on_a_refund(api_as, shop, session):
    alice = api_as("alice")
    vat = Tax.objects.get(name="VAT 21%")
    deposit = _tax(
        "Deposit",
        kind=Tax.Kind.FIXED,
        amount=D("0.10"),
        price_include=False,
        sequence=20,
    )
    beer = _product("BEER-33", "1.21", vat, deposit)
    # −6 × 1.21 = −7.26; VAT included: −7.26 × 21/121 = −1.26, net −6.00; the deposit on
    # top, outside the VAT base: −6 × 0.10 = −0.60. Total −7.86 paid back in cash.
    ticket = order([(beer.pk, "-6")], [(shop["cash2"].pk, "-7.86")])
    got = _created(sync(alice, session, ticket)[0])
    assert (got["net_total"], got["tax_total"], got["total"]) == ("-6.00", "-1.86", "-7.86")
    assert _line_taxes(ticket["uuid"]) == [
        ("VAT 21%", D("-6.00"), D("-1.26"), True),
        ("Deposit", D("-6.00"), D("-0.60"), True),
    ]


# --- conventions --------------------------------------------------------------------------


def test_cash_rounding_rounds_the_cash_remainder_of_a_split_payment(api_as, shop, session):
    alice = api_as("alice")
    Company.objects.update(cash_rounding=D("0.05"))
    item = _product("ITEM-1572", "15.72", Tax.objects.get(name="VAT 21%"))
    # 0.68 by card, 15.04 left in cash → 15.05: due 15.73, rounding +0.01.
    ticket = order([(item.pk, "1")], [(shop["card2"].pk, "0.68"), (shop["cash2"].pk, "15.05")])
    got = _created(sync(alice, session, ticket)[0])
    assert (got["total"], got["rounding"], got["amount_due"]) == ("15.72", "0.01", "15.73")

    # Rounding down: 15.04 → 15.00, due 15.68, rounding −0.04.
    Company.objects.update(cash_rounding_mode="down")
    ticket = order([(item.pk, "1")], [(shop["card2"].pk, "0.68"), (shop["cash2"].pk, "15.00")])
    got = _created(sync(alice, session, ticket)[0])
    assert (got["rounding"], got["amount_due"]) == ("-0.04", "15.68")

    # Every method rounded: a card-only 15.72 → 15.70 (half up).
    Company.objects.update(cash_rounding_mode="half_up", cash_rounding_scope="all")
    ticket = order([(item.pk, "1")], [(shop["card2"].pk, "15.70")])
    got = _created(sync(alice, session, ticket)[0])
    assert (got["rounding"], got["amount_due"]) == ("-0.02", "15.70")


def test_discount_rounding_line_rounds_the_discounted_line_once(api_as, shop, session):
    alice = api_as("alice")
    item = _product("ITEM-250", "2.50", Tax.objects.get(name="VAT 6%"))
    line = {"product": item.pk, "quantity": "1", "discount_percent": "15"}
    # 'discount': 0.375 → 0.38 off, 2.12 to pay.
    first = order([], [(shop["card2"].pk, "2.12")])
    first["lines"] = [line]
    # 'line': 2.50 × 0.85 = 2.125 → 2.13 to pay.
    Company.objects.update(discount_rounding="line")
    second = order([], [(shop["card2"].pk, "2.13")])
    second["lines"] = [line]
    assert _created(sync(alice, session, second)[0])["total"] == "2.13"
    Company.objects.update(discount_rounding="discount")
    assert _created(sync(alice, session, first)[0])["total"] == "2.12"


def test_changing_a_convention_never_changes_a_stored_order(api_as, shop, session):
    alice = api_as("alice")
    ticket = order([(shop["mug"].pk, "3")], [(shop["card2"].pk, "29.70")])
    _created(sync(alice, session, ticket)[0])
    before = Order.objects.values().get(uuid=ticket["uuid"])
    taxes_before = _line_taxes(ticket["uuid"])
    Company.objects.update(
        tax_rounding="global",
        discount_rounding="line",
        cash_rounding=D("0.05"),
        cash_rounding_scope="all",
    )
    Tax.objects.update(price_include=False)
    assert Order.objects.values().get(uuid=ticket["uuid"]) == before
    assert _line_taxes(ticket["uuid"]) == taxes_before
    # A repeat of the same ticket is a duplicate: it is not priced again.
    (again,) = sync(alice, session, ticket)
    assert again["status"] == "duplicate"
    assert Order.objects.values().get(uuid=ticket["uuid"]) == before


def test_the_catalog_gives_the_terminal_what_it_prices_with(api_as, shop):
    alice = api_as("alice")
    catalog = alice.get(f"/profiles/{shop['till1'].pk}/catalog").json()
    company = catalog["company"]
    assert (company["tax_rounding"], company["discount_rounding"]) == ("per_line", "discount")
    assert (company["cash_rounding_mode"], company["cash_rounding_scope"]) == ("half_up", "cash")
    assert company["decimals"] == 2
    by_name = {t["name"]: t for t in catalog["taxes"]}
    assert by_name["VAT 12%"] == {
        "id": by_name["VAT 12%"]["id"],
        "name": "VAT 12%",
        "kind": "percent",
        "rate": "12.0000",
        "amount": "0.00",
        "price_include": True,
        "include_base_amount": False,
        "sequence": 10,
    }
    sandwich = next(p for p in catalog["products"] if p["sku"] == "SND-HAM")
    assert [t["name"] for t in sandwich["taxes"]] == ["VAT 12%"]
    assert sandwich["tax_rate"] == "12.0000"
    (take_away,) = catalog["fiscal_positions"]
    assert take_away["name"] == "Take-away"
    assert take_away["taxes"] == [
        {"tax": by_name["VAT 12%"]["id"], "to": [by_name["VAT 6%"]["id"]]}
    ]
    assert catalog["fiscal_positions_offered"] == [take_away["id"]]
    assert catalog["default_fiscal_position"] is None


# --- the VAT summary in the X/Z report and the taxes export ---------------------------------


def test_the_report_and_export_keep_sales_and_refunds_apart_per_tax(api_as, shop, session):
    alice = api_as("alice")
    manager = api_as("manager")
    vat21 = Tax.objects.get(name="VAT 21%")
    deposit = _tax("Deposit", kind=Tax.Kind.FIXED, amount=D("0.10"), price_include=False)
    beer = _product("BEER-25", "1.21", vat21, deposit)
    card, cash = shop["card2"].pk, shop["cash2"].pk
    sync(
        alice,
        session,
        # 3 mugs: 29.70 with 21 % included: 29.70 × 21/121 = 5.15, net 24.55.
        order([(shop["mug"].pk, "3")], [(card, "29.70")]),
        # 6 beers: 7.26 (VAT 1.26, net 6.00) + deposit 0.60 = 7.86.
        order([(beer.pk, "6")], [(cash, "7.86")]),
        # 1 mug back: −9.90 (VAT −1.72, net −8.18); 2 beers back: −2.42 (VAT −0.42,
        # net −2.00), deposit −0.20.
        order([(shop["mug"].pk, "-1"), (beer.pk, "-2")], [(cash, "-12.52")]),
    )
    report = manager.get(f"/sessions/{session}/report").json()
    taxes = {t["name"]: t for t in report["taxes"]}
    assert [t["name"] for t in report["taxes"]] == ["VAT 21%", "Deposit"]  # percent first
    assert {k: taxes["VAT 21%"][k] for k in taxes["VAT 21%"] if k != "tax"} == {
        "name": "VAT 21%",
        "kind": "percent",
        "rate": "21.0000",
        "sales_base": "30.55",  # 24.55 + 6.00
        "sales_tax": "6.41",  # 5.15 + 1.26
        "refunds_base": "-10.18",  # −8.18 − 2.00
        "refunds_tax": "-2.14",  # −1.72 − 0.42
        "base": "20.37",
        "amount": "4.27",
    }
    assert (taxes["Deposit"]["kind"], taxes["Deposit"]["rate"]) == ("fixed", None)
    assert (taxes["Deposit"]["sales_tax"], taxes["Deposit"]["refunds_tax"]) == ("0.60", "-0.20")
    assert report["taxes_total"]["amount"] == "4.67"  # 4.27 + 0.40

    text = manager.get(f"/sessions/{session}/report?format=text").content.decode()
    assert "TAXES" in text.upper()
    assert "VAT 21% refunds" in text and "-10.18" in text and "Tax due" in text

    export = manager.get("/exports/taxes?from=2026-11-01&to=2026-11-30&format=csv")
    assert export.status_code == 200, export.content
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].split(",")[5:] == [
        "tax",
        "kind",
        "rate",
        "refund",
        "base",
        "amount",
        "account",
    ]
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 6  # mug; beer VAT and deposit; mug back; beer back VAT and deposit
    assert sorted((r[5], r[8], r[9], r[10]) for r in rows) == [
        ("Deposit", "false", "6.00", "0.60"),
        ("Deposit", "true", "-2.00", "-0.20"),
        ("VAT 21%", "false", "24.55", "5.15"),
        ("VAT 21%", "false", "6.00", "1.26"),
        ("VAT 21%", "true", "-2.00", "-0.42"),
        ("VAT 21%", "true", "-8.18", "-1.72"),
    ]


def test_an_invoice_carries_its_vat_breakdown_rounding_and_payments(api_as, shop, session):
    alice = api_as("alice")
    Company.objects.update(cash_rounding=D("0.05"))
    item = _product("ITEM-INV", "15.72", Tax.objects.get(name="VAT 21%"))
    customer = Customer.objects.get(name="Café De Hoek")
    # 15.72 with 21 % included: tax 2.73, net 12.99; all in cash, 0.05 steps: 15.70 due.
    ticket = order(
        [(item.pk, "1")], [(shop["cash2"].pk, "15.70")], customer=customer.pk, to_invoice=True
    )
    assert _created(sync(alice, session, ticket)[0])["amount_due"] == "15.70"
    (invoice,) = api_as("manager").get(f"/sessions/{session}/invoices").json()
    assert (invoice["net_total"], invoice["tax_total"], invoice["rounding"], invoice["total"]) == (
        "12.99",
        "2.73",
        "-0.02",
        "15.70",
    )
    assert [(t["name"], t["rate"], t["base"], t["amount"]) for t in invoice["taxes"]] == [
        ("VAT 21%", "21.0000", "12.99", "2.73")
    ]
    assert [(p["name"], p["amount"]) for p in invoice["payments"]] == [("Cash", "15.70")]


def test_a_parked_take_away_ticket_resumes_at_its_rung_price(api_as, shop, session):
    alice = api_as("alice")
    sandwich = Product.objects.get(sku="SND-HAM")
    take_away = FiscalPosition.objects.get(name="Take-away")
    draft = order([(sandwich.pk, "2")], state="draft", fiscal_position=take_away.pk)
    assert _created(sync(alice, session, draft)[0])["total"] == "10.04"
    line = OrderLine.objects.get(order__uuid=draft["uuid"])
    assert (line.unit_price, line.list_price) == (D("5.02"), D("5.30"))
    # Another device resumes it from the closing data: the price as rung and the position,
    # which it applies again (5.30 → 5.02), as the server does.
    closing = alice.get(f"/sessions/{session}/closing").json()
    (pending,) = [o for o in closing["pending_orders"] if o["uuid"] == draft["uuid"]]
    assert pending["fiscal_position"] == take_away.pk
    assert [(x["quantity"], x["unit_price"]) for x in pending["lines"]] == [("2.000", "5.30")]


conventions_changes = st.fixed_dictionaries(
    {
        "tax_rounding": st.sampled_from(["per_line", "global"]),
        "discount_rounding": st.sampled_from(["discount", "line"]),
        "cash_rounding": st.sampled_from([D("0.01"), D("0.05"), D("0.10")]),
        "cash_rounding_mode": st.sampled_from(["half_up", "up", "down"]),
        "cash_rounding_scope": st.sampled_from(["cash", "all"]),
    }
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["COF-ESP", "MUG-WHT", "SND-HAM", "TEE-LOG"]),
            st.sampled_from(["-1", "1", "2", "0.350"]),
            st.sampled_from(["0", "10", "12.5"]),
        ),
        min_size=1,
        max_size=4,
    ),
    before=conventions_changes,
    after=conventions_changes,
    price_include=st.booleans(),
)
def test_a_convention_change_never_changes_a_stored_order(
    api_as, shop, lines, before, after, price_include
):
    """Whatever the conventions were and become, a stored order, its lines and their taxes
    read the same afterwards (orders are never priced again)."""
    with rolled_back():
        Company.objects.update(**before)
        alice = api_as("alice")
        session = open_session(alice, shop["till2"].pk)["id"]
        body = order([], state="draft")
        body["lines"] = [
            {
                "product": Product.objects.get(sku=sku).pk,
                "quantity": qty,
                "discount_percent": pct,
            }
            for sku, qty, pct in lines
        ]
        _created(sync(alice, session, body)[0])
        stored = Order.objects.values().get(uuid=body["uuid"])
        stored_lines = list(OrderLine.objects.filter(order__uuid=body["uuid"]).values())
        taxes = _line_taxes(body["uuid"])
        Company.objects.update(**after)
        Tax.objects.update(price_include=price_include)
        assert Order.objects.values().get(uuid=body["uuid"]) == stored
        assert list(OrderLine.objects.filter(order__uuid=body["uuid"]).values()) == stored_lines
        assert _line_taxes(body["uuid"]) == taxes
