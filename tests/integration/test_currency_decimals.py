"""A currency's decimals come from the currency (ISO 4217): the demo shop switched to JPY (no
decimals) and to BHD (three) runs a whole session through the API — open with a float, sell
with a tax included and one on top, a refund, cash with change, close with counts, the Z
report, an export and the journal entry — and every amount is parsed, stored, summed, rounded
and shown with the currency's decimals. The figures are worked out by hand."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from opentill.accounting.models import JournalLine
from opentill.catalog.models import Tax
from opentill.orders.models import Order
from opentill.pos.models import Denomination, PaymentMethod, PosProfile
from opentill.stores.models import Company
from tests.conftest import api_for, order
from tests.integration.closing_helpers import close, count, journal_is_balanced
from tests.integration.helpers import open_session, sync

D = Decimal
TODAY_EXPORT = {"from": "2000-01-01", "to": "2099-12-31"}


def switch_currency(
    shop: dict[str, Any],
    *,
    currency: str,
    cash_rounding: str,
    denominations: list[str],
    float_kept: str,
    max_difference: str,
    mug: str,
    espresso: str,
) -> None:
    """The demo company in ``currency``: its cash rounding step, Till 1's coins and notes and
    the float it keeps, the mug at ``mug`` with 10 % tax included (the VAT 21% tax becomes a
    10 % one) and the espresso at ``espresso`` with 8 % tax on top (the VAT 6% tax)."""
    company = Company.objects.get(pk=shop["till1"].store.company_id)
    company.currency = currency
    company.cash_rounding = D(cash_rounding)
    company.full_clean()
    company.save()
    cash = PaymentMethod.objects.get(pk=shop["cash1"].pk)
    Denomination.objects.filter(payment_method=cash).delete()
    for value in denominations:
        Denomination.objects.create(payment_method=cash, value=D(value), kind="coin")
    cash.keep_amount = D(float_kept)
    cash.save()
    PosProfile.objects.filter(pk=shop["till1"].pk).update(max_difference=D(max_difference))
    Tax.objects.filter(company=company, name="VAT 21%").update(rate=D("10"), price_include=True)
    Tax.objects.filter(company=company, name="VAT 6%").update(rate=D("8"), price_include=False)
    type(shop["mug"]).objects.filter(pk=shop["mug"].pk).update(price=D(mug))
    type(shop["espresso"]).objects.filter(pk=shop["espresso"].pk).update(price=D(espresso))


def paid_with_change(lines: list[tuple[int, str]], method: int, amount: str, tendered: str):
    body = order(lines, [(method, amount)])
    body["payments"][0]["tendered"] = tendered
    return body


def report_text(api: Any, sid: int) -> str:
    response = api.get(f"/sessions/{sid}/report", format="text")
    assert response.status_code == 200, response.content
    return response.content.decode()


def export_bytes(api: Any, dataset: str, format: str) -> bytes:
    response = api.get(f"/exports/{dataset}", format=format, **TODAY_EXPORT)
    assert response.status_code == 200, response.content
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def export_rows(api: Any, dataset: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_bytes(api, dataset, "csv").decode())))


@pytest.fixture
def jpy(shop: dict[str, Any]) -> dict[str, Any]:
    switch_currency(
        shop,
        currency="JPY",
        cash_rounding="1",
        denominations=["1", "5", "10", "50", "100", "500", "1000", "5000", "10000"],
        float_kept="10000",
        max_difference="500",
        mug="480",
        espresso="300",
    )
    return shop


def test_a_jpy_session_from_opening_to_the_journal(jpy):
    shop = jpy
    alice = api_for("alice")
    mug, espresso = shop["mug"].pk, shop["espresso"].pk
    cash, card = shop["cash1"].pk, shop["card1"].pk

    catalog = alice.get(f"/profiles/{shop['till1'].pk}/catalog").json()
    assert catalog["company"]["currency"] == "JPY"
    assert catalog["company"]["decimals"] == 0
    assert catalog["company"]["cash_rounding"] == "1"
    assert catalog["limits"]["max_amount"] == "1000000000"
    prices = {p["id"]: p["price"] for p in catalog["products"]}
    assert (prices[mug], prices[espresso]) == ("480", "300")
    cash_out = next(m for m in catalog["payment_methods"] if m["id"] == cash)
    assert [d["value"] for d in cash_out["denominations"]][-1] == "10000"

    # Open with a float of 10000 yen, counted by denomination.
    session = open_session(alice, shop["till1"].pk, [{"payment_method": cash, "amount": "10000"}])
    sid = session["id"]
    assert session["opening"][0]["counted"] == "10000"

    # 3 mugs at 480 with 10 % included: 1440, tax 1440 × 10/110 = 130.9 → 131, net 1309.
    # 2 espressos at 300 with 8 % on top: net 600, tax 48, total 648; paid 1000 in cash,
    #   change 352.
    # A mug refunded: −480, tax −480 × 10/110 = −43.6 → −44, net −436.
    results = sync(
        alice,
        sid,
        order([(mug, "3")], [(card, "1440")]),
        paid_with_change([(espresso, "2")], cash, "648", "1000"),
        order([(mug, "-1")], [(cash, "-480")]),
    )
    assert [r["status"] for r in results] == ["created"] * 3, results
    sale, coffee, refund = (r["order"] for r in results)
    assert (sale["total"], sale["tax_total"], sale["net_total"]) == ("1440", "131", "1309")
    assert (coffee["total"], coffee["tax_total"], coffee["net_total"]) == ("648", "48", "600")
    assert coffee["payments"] == [
        {"payment_method": cash, "amount": "648", "tendered": "1000", "change": "352"}
    ]
    assert (refund["total"], refund["tax_total"], refund["net_total"]) == ("-480", "-44", "-436")
    assert Order.objects.get(uuid=results[0]["uuid"]).total == D("1440")

    # Half a yen is no amount: the ticket is held (content error) with the field named.
    (held,) = sync(alice, sid, order([(mug, "1")], [(card, "480.50")]))
    assert held["status"] == "held"
    assert "more than 0 decimals" in str(held["error"])
    # Nor for a cash move: 422.
    move = {"kind": "deposit", "payment_method": cash, "amount": "100.5", "reason": "coins"}
    refused = alice.post(f"/sessions/{sid}/cash-moves", move)
    assert refused.status_code == 422, refused.content
    assert refused.json()["errors"][0]["loc"] == ["body", "amount"]
    assert "more than 0 decimals" in refused.json()["errors"][0]["msg"]
    manager = api_for("manager")
    void = manager.post(
        f"/held-orders/{held['uuid']}/resolve", {"action": "void", "reason": "typo"}
    )
    assert void.status_code == 200, void.content

    closing = alice.get(f"/sessions/{sid}/closing").json()
    by_method = {line["payment_method"]: line for line in closing["lines"]}
    # The drawer: 10000 + 648 − 480 = 10168.
    assert by_method[cash]["expected"] == "10168"
    assert by_method[cash]["keep_amount"] == "10000"
    assert by_method[card]["expected"] == "1440"
    assert closing["max_difference"] == "500"

    # Messages name amounts in yen too.
    drop = {"kind": "drop", "payment_method": cash, "amount": "20000", "reason": "bank"}
    refused = alice.post(f"/sessions/{sid}/cash-moves", drop)
    assert refused.status_code == 422, refused.content
    assert refused.json()["available"] == "10168"
    assert refused.json()["detail"] == "Cannot drop 20000: the drawer holds 10168 of Cash."
    two_yen = close(alice, sid, count(shop["cash1"], denominations=[{"value": "2", "quantity": 1}]))
    assert two_yen.json()["errors"][0]["msg"] == "2 is not a denomination of this payment method"

    # A count in yen with a fraction is refused; then counted by denomination.
    bad = close(alice, sid, count(shop["cash1"], "10168.5"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "counts", 0, "counted"]
    drawer = [
        {"value": "10000", "quantity": 1},
        {"value": "100", "quantity": 1},
        {"value": "50", "quantity": 1},
        {"value": "10", "quantity": 1},
        {"value": "5", "quantity": 1},
        {"value": "1", "quantity": 3},
    ]
    closed = close(alice, sid, count(shop["cash1"], denominations=drawer))
    assert closed.status_code == 200, closed.content
    differences = {d["payment_method"]: d for d in closed.json()["differences"]}
    assert differences[cash] == {
        "payment_method": cash,
        "name": "Cash",
        "expected": "10168",
        "counted": "10168",
        "difference": "0",
        "keep": "10000",
        "transferred": "168",
        "not_counted": False,
    }
    assert closed.json()["sales_total"] == "1608"  # 1440 + 648 − 480

    # The Z report: every amount in yen, none with decimals.
    report = alice.get(f"/sessions/{sid}/report").json()
    assert report["orders"]["sales_total"] == "1608"
    assert report["orders"]["refunds_total"] == "-480"
    assert report["payments_total"] == "1608"
    assert report["payments_tendered_total"] == "1960"  # 1440 + 1000 − 480
    assert report["payments_change_total"] == "352"
    taxes = {(t["name"], t.get("rate")): t for t in report["taxes"]}
    jct10 = taxes[("VAT 21%", "10.0000")]
    assert (jct10["sales_base"], jct10["sales_tax"]) == ("1309", "131")
    assert (jct10["refunds_base"], jct10["refunds_tax"]) == ("-436", "-44")
    jct8 = taxes[("VAT 6%", "8.0000")]
    assert (jct8["sales_base"], jct8["sales_tax"]) == ("600", "48")
    text = report_text(alice, sid)
    assert "1608" in text and "10168" in text
    assert "1608.00" not in text and "10168.00" not in text

    # The export and the journal: amounts in yen; the entry balances.
    orders = {r["uuid"]: r for r in export_rows(manager, "orders")}
    assert orders[results[1]["uuid"]]["total"] == "648"
    assert orders[results[1]["uuid"]]["change"] == "352"
    workbook = load_workbook(io.BytesIO(export_bytes(manager, "orders", "xlsx")))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    total_cells = [row[header.index("total")] for row in sheet.iter_rows(min_row=2)]
    assert {c.number_format for c in total_cells} == {"#,##0"}
    assert sorted(c.value for c in total_cells) == [-480, 648, 1440]
    beancount = export_bytes(manager, "journal", "beancount").decode()
    assert " 1440 JPY" in beancount and ".00 JPY" not in beancount
    journal_is_balanced()
    entries = alice.get(f"/sessions/{sid}/journal-entries").json()
    lines = [line for e in entries for line in e["lines"]]
    assert all("." not in line["debit"] + line["credit"] for line in lines)
    assert sum(D(line["debit"]) for line in lines) == sum(D(line["credit"]) for line in lines)
    stored = JournalLine.objects.filter(entry__session_id=sid)
    assert sum(line.debit for line in stored) == sum(line.credit for line in stored)


@pytest.fixture
def bhd(shop: dict[str, Any]) -> dict[str, Any]:
    switch_currency(
        shop,
        currency="BHD",
        cash_rounding="0.005",  # the smallest coin, 5 fils
        denominations=["0.005", "0.010", "0.025", "0.050", "0.100", "0.500", "1", "5", "10"],
        float_kept="20.000",
        max_difference="0.500",
        mug="1.099",
        espresso="0.450",
    )
    return shop


def test_a_bhd_session_with_three_decimals(bhd):
    shop = bhd
    alice, manager = api_for("alice"), api_for("manager")
    mug, espresso = shop["mug"].pk, shop["espresso"].pk
    cash, card = shop["cash1"].pk, shop["card1"].pk

    catalog = alice.get(f"/profiles/{shop['till1'].pk}/catalog").json()
    assert catalog["company"]["decimals"] == 3
    assert catalog["company"]["cash_rounding"] == "0.005"
    assert {p["id"]: p["price"] for p in catalog["products"]}[mug] == "1.099"

    sid = open_session(alice, shop["till1"].pk, [{"payment_method": cash, "amount": "20"}])["id"]

    # 3 mugs at 1.099, 10 % included: 3.297, tax 3.297 × 10/110 = 0.29973 → 0.300, net 2.997;
    #   in cash the 3.297 due rounds to 5 fils: 3.295 (rounding −0.002); 5.000 tendered,
    #   1.705 change.
    # 2 espressos at 0.450, 8 % on top, by card: net 0.900, tax 0.072, total 0.972.
    # A mug refunded in cash: −1.099 rounds to −1.100 (half up, away from zero; rounding
    #   −0.001), tax −0.0999 → −0.100, net −0.999.
    results = sync(
        alice,
        sid,
        paid_with_change([(mug, "3")], cash, "3.295", "5"),
        order([(espresso, "2")], [(card, "0.972")]),
        order([(mug, "-1")], [(cash, "-1.1")]),
    )
    assert [r["status"] for r in results] == ["created"] * 3, results
    sale, coffee, refund = (r["order"] for r in results)
    assert (sale["total"], sale["tax_total"], sale["net_total"]) == ("3.297", "0.300", "2.997")
    assert (sale["rounding"], sale["amount_due"]) == ("-0.002", "3.295")
    assert sale["payments"] == [
        {"payment_method": cash, "amount": "3.295", "tendered": "5.000", "change": "1.705"}
    ]
    assert (coffee["total"], coffee["tax_total"], coffee["net_total"]) == (
        "0.972",
        "0.072",
        "0.900",
    )
    assert (refund["total"], refund["tax_total"], refund["net_total"]) == (
        "-1.099",
        "-0.100",
        "-0.999",
    )
    assert (refund["rounding"], refund["amount_due"]) == ("-0.001", "-1.100")

    # A tenth of a fils is no amount.
    (held,) = sync(alice, sid, order([(espresso, "1")], [(card, "0.4860")]))
    assert held["status"] == "held"
    assert "more than 3 decimals" in str(held["error"])
    resolved = manager.post(
        f"/held-orders/{held['uuid']}/resolve", {"action": "void", "reason": "typo"}
    )
    assert resolved.status_code == 200, resolved.content

    # A deposit of 1.250 into the drawer: 20.000 + 3.295 − 1.100 + 1.250 = 23.445.
    deposit = {
        "uuid": str(uuid.uuid4()),
        "kind": "deposit",
        "payment_method": cash,
        "amount": "1.25",
        "reason": "coins",
    }
    moved = alice.post(f"/sessions/{sid}/cash-moves", deposit)
    assert moved.status_code == 201, moved.content
    assert moved.json()["amount"] == "1.250"
    closing = alice.get(f"/sessions/{sid}/closing").json()
    expected = {line["payment_method"]: line.get("expected") for line in closing["lines"]}
    assert expected == {cash: "23.445", card: "0.972"}

    closed = close(alice, sid, count(shop["cash1"], "23.445"))
    assert closed.status_code == 200, closed.content
    differences = {d["payment_method"]: d for d in closed.json()["differences"]}
    assert (differences[cash]["counted"], differences[cash]["transferred"]) == ("23.445", "3.445")
    # The session's sales are what was due: 3.295 + 0.972 − 1.100.
    assert closed.json()["sales_total"] == "3.167"

    report = alice.get(f"/sessions/{sid}/report").json()
    assert report["orders"]["sales_total"] == "3.170"
    assert report["orders"]["rounding"] == "-0.003"
    assert report["payments_total"] == "3.167"  # 3.295 + 0.972 − 1.100
    assert report["payments_change_total"] == "1.705"
    text = report_text(alice, sid)
    assert "3.170" in text and "23.445" in text and "1.705" in text

    amounts = sorted(r["amount"] for r in export_rows(manager, "payments"))
    assert amounts == ["-1.100", "0.972", "3.295"]
    journal_is_balanced()
    entries = alice.get(f"/sessions/{sid}/journal-entries").json()
    lines = [line for e in entries for line in e["lines"]]
    assert all(len(x.split(".")[1]) == 3 for line in lines for x in (line["debit"], line["credit"]))
    assert sum(D(line["debit"]) for line in lines) == sum(D(line["credit"]) for line in lines)
    # The rounding (−0.003 given away) is booked.
    assert any(D(line["debit"]) == D("0.003") for line in lines)


def test_a_company_cash_rounding_finer_than_its_currency_is_refused(shop):
    company = Company.objects.get(pk=shop["till1"].store.company_id)
    company.currency = "JPY"
    company.cash_rounding = D("0.50")
    with pytest.raises(ValidationError, match="multiple of 1 JPY"):
        company.full_clean()
    company.currency = "BHD"
    company.cash_rounding = D("0.005")
    company.full_clean()


def test_back_office_amounts_have_the_currencys_decimals(shop):
    """A price, a fixed tax, a coin, a float to keep or a maximum difference with more
    decimals than the company's currency is refused by the forms (the models' clean)."""
    mug = type(shop["mug"]).objects.get(pk=shop["mug"].pk)
    mug.price = D("12.345")
    with pytest.raises(ValidationError) as refused:
        mug.full_clean()
    assert refused.value.message_dict["price"] == [
        "12.345 has more decimals than EUR amounts have (2)."
    ]
    mug.price = D("12.30")
    mug.full_clean()

    switch_currency(
        shop,
        currency="JPY",
        cash_rounding="1",
        denominations=["1", "5"],
        float_kept="10000",
        max_difference="500",
        mug="480",
        espresso="300",
    )
    coin = Denomination(payment_method=shop["cash1"], value=D("0.50"), kind="coin")
    with pytest.raises(ValidationError, match="more decimals than JPY"):
        coin.full_clean()
    cash = PaymentMethod.objects.get(pk=shop["cash1"].pk)
    cash.keep_amount = D("100.50")
    with pytest.raises(ValidationError, match="keep_amount"):
        cash.clean()
    till = PosProfile.objects.get(pk=shop["till1"].pk)
    till.max_difference = D("0.5")
    with pytest.raises(ValidationError, match="max_difference"):
        till.clean()
    fixed = Tax(company=till.store.company, name="Deposit", kind="fixed", amount=D("10.5"))
    with pytest.raises(ValidationError, match="amount"):
        fixed.clean()
