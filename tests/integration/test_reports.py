"""The X/Z report in every format: a closed session with refunds, a voided ticket, a
discount, an individual and consolidated invoices, cash moves and a cash difference. The
figures of JSON, HTML, PDF (text extracted), plain text and ESC/POS (decoded) agree with
each other and with the journal entries, to the cent.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from opentill.accounting.models import JournalLine
from opentill.catalog.models import Customer, Product, Tax
from opentill.orders.models import Order
from opentill.reports.render_escpos import decode_escpos
from opentill.reports.render_text import render_text
from tests.conftest import Api, api_for, shop_rows
from tests.conftest import order as order_at_a_fixed_time
from tests.integration.helpers import open_session, sync


def order(*args: Any, **extra: Any) -> dict[str, Any]:
    """An order made now (exports and dashboards select by date)."""
    return order_at_a_fixed_time(*args, created_at=timezone.localtime().isoformat(), **extra)


ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
MONEY = re.compile(r"(?<![\d.])-?\d+\.\d{2}(?![\d.])")


def run_scenario(api_as: Any, shop: dict[str, Any]) -> dict[str, Any]:
    """Session A (one sale) then session B: sales, a 10 % discount, an invoiced order for
    Café De Hoek, a refund, a voided ticket, a drop, a deposit and a cash close 1.20 short.
    Returns the ids and the amounts that the report must show."""
    alice = api_as("alice")
    cash, card = shop["cash1"].pk, shop["card1"].pk
    espresso, mug = shop["espresso"].pk, shop["mug"].pk
    cappuccino = Product.objects.get(sku="COF-CAP").pk
    hoek = Customer.objects.get(name="Café De Hoek").pk

    a = open_session(alice, shop["till1"].pk, [{"payment_method": cash, "amount": "100.00"}])
    sync(alice, a["id"], order([(espresso, "1")], [(cash, "2.20")]))
    closed = alice.post(
        f"/sessions/{a['id']}/close", {"counts": [{"payment_method": cash, "counted": "102.20"}]}
    )
    assert closed.json()["state"] == "closed", closed.content

    b = open_session(alice, shop["till1"].pk, [{"payment_method": cash, "amount": "100.00"}])
    discounted = order([], [(card, "8.91")])
    discounted["lines"] = [{"product": mug, "quantity": "1", "discount_percent": "10"}]
    draft = order([(cappuccino, "1")], state="draft")
    # Cash handed over: 5.00 for 4.40 (change 0.60) and 20.00 for 12.10 (change 7.90).
    two_espressos = order([(espresso, "2")], [(cash, "4.40")])
    two_espressos["payments"][0]["tendered"] = "5.00"
    invoiced = order(
        [(mug, "1"), (espresso, "1")], [(cash, "12.10")], customer=hoek, to_invoice=True
    )
    invoiced["payments"][0]["tendered"] = "20.00"
    results = sync(
        alice,
        b["id"],
        two_espressos,
        discounted,
        invoiced,
        order([(espresso, "-1")], [(cash, "-2.20")]),
        draft,
    )
    assert [r["status"] for r in results] == ["created"] * 5, results
    voided = alice.post(f"/orders/{draft['uuid']}/void", {"reason": "customer left"})
    assert voided.status_code == 200, voided.content
    for kind, amount, reason in (
        ("drop", "20.00", "Too much cash"),
        ("deposit", "10.00", "Change for the drawer"),
    ):
        moved = alice.post(
            f"/sessions/{b['id']}/cash-moves",
            {
                "kind": kind,
                "payment_method": cash,
                "amount": amount,
                "destination": "Safe",
                "reason": reason,
            },
        )
        assert moved.status_code == 201, moved.content
    expected = alice.get(f"/sessions/{b['id']}/closing").json()["lines"][0]["expected"]
    assert expected == "104.30"  # 100 + 4.40 + 12.10 - 2.20 + 10 - 20
    closed = alice.post(
        f"/sessions/{b['id']}/close",
        {"counts": [{"payment_method": cash, "counted": "103.10"}], "notes": "1.20 short"},
    )
    assert closed.json()["state"] == "closed", closed.content
    return {"a": a["id"], "b": b["id"], "api": alice}


@pytest.fixture(scope="module")
def scenario_once(module_db):
    """The scenario, played once for the module (``module_db``): its tests read it."""
    return run_scenario(api_for, shop_rows())


@pytest.fixture
def scenario(scenario_once, db):
    return dict(scenario_once)


# --- extracting what a person reads ---------------------------------------------------------


class _Text(HTMLParser):
    """The visible text of the report page (not its style sheet, title or toolbar)."""

    SKIP = {"style", "title", "nav", "script"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in ("tr", "p", "h1", "h2", "div", "section", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping -= 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def pdf_text(data: bytes) -> str:
    PdfReader = pytest.importorskip("pypdf").PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def money(text: str) -> list[str]:
    """Every amount in reading order."""
    return MONEY.findall(text)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def fetch(api: Api, session_id: int, **params: str) -> Any:
    response = api.get(f"/sessions/{session_id}/report", **params)
    assert response.status_code == 200, response.content
    return response


# --- the tests ------------------------------------------------------------------------------


def test_report_agrees_with_the_journal(scenario, shop):
    api, sid = scenario["api"], scenario["b"]
    r = fetch(api, sid).json()
    assert r["kind"] == "Z"
    assert r["session"]["sequence"] == 2
    assert (r["company"], r["store"], r["profile"], r["cashier"]) == (
        "OpenTill Demo Shop",
        "Main Street",
        "Till 1",
        "alice",
    )
    o = r["orders"]
    assert (o["count"], o["refunds"], o["voided"], o["drafts"]) == (4, 1, 1, 0)
    assert o["sales_total"] == "23.21"  # 4.40 + 8.91 + 12.10 - 2.20
    assert o["refunds_total"] == "-2.20"
    assert o["voided_total"] == "3.10"
    assert o["discounts"] == "0.99"
    assert o["average_ticket"] == "5.80"  # 23.21 / 4, half up

    lines = JournalLine.objects.filter(entry__session_id=sid).select_related("account")

    def booked(*, account: Any = None, label: str | None = None) -> Decimal:
        """Debit minus credit of the session's journal lines on ``account``/``label``."""
        total = Decimal("0.00")
        for line in lines:
            if account is not None and line.account_id != account.pk:
                continue
            if label is not None and line.label != label:
                continue
            total += line.debit - line.credit
        return total

    # Journal totals balance and match.
    debit = sum((line.debit for line in lines), Decimal("0.00"))
    credit = sum((line.credit for line in lines), Decimal("0.00"))
    assert r["journal"]["debit"] == r["journal"]["credit"] == f"{debit}" == f"{credit}"
    assert r["journal"]["lines"] == len(lines)
    for row in r["journal"]["accounts"]:
        on = [x for x in lines if x.account.code == row["code"]]
        assert row["debit"] == f"{sum((x.debit for x in on), Decimal('0.00'))}"
        assert row["credit"] == f"{sum((x.credit for x in on), Decimal('0.00'))}"

    # Each tax of the VAT summary = what its account booked; net = the sales accounts.
    taxes = {t.name: t for t in Tax.objects.all()}
    for row in r["taxes"]:
        assert Decimal(row["amount"]) == -booked(account=taxes[row["name"]].account), row
    sales_accounts = {line.account for line in lines if line.account.kind == "income"}
    net = -sum((booked(account=a) for a in sales_accounts), Decimal("0.00"))
    assert Decimal(r["sales_by_taxes_total"]["net"]) == net
    total = r["sales_by_taxes_total"]
    assert Decimal(total["net"]) + Decimal(total["tax"]) == Decimal(total["gross"])
    assert total["gross"] == o["sales_total"]
    assert sum(Decimal(c["gross"]) for c in r["sales_by_category"]) == Decimal(o["sales_total"])

    # Payments per method = what was booked on each method's account under its name.
    methods = {shop["cash1"].name: shop["cash1"], shop["card1"].name: shop["card1"]}
    assert {p["name"]: p["amount"] for p in r["payments"]} == {"Cash": "14.30", "Card": "8.91"}
    for p in r["payments"]:
        method = methods[p["name"]]
        assert Decimal(p["amount"]) == booked(
            account=method.financial_account.ledger_account, label=p["name"]
        )
    assert r["payments_total"] == o["sales_total"]
    # Cash given and cash kept: tendered 5.00 + 20.00 - 2.20 (the refund) = 22.80, change
    # 0.60 + 7.90 = 8.50, kept 22.80 - 8.50 = 14.30; the card tendered exactly 8.91.
    assert {p["name"]: (p["cash"], p["tendered"], p["change"]) for p in r["payments"]} == {
        "Cash": (True, "22.80", "8.50"),
        "Card": (False, "8.91", "0.00"),
    }
    assert (r["payments_tendered_total"], r["payments_change_total"]) == ("31.71", "8.50")

    # Cash moves, the difference and the transfers, as booked.
    drawer = shop["cash1"].financial_account.ledger_account
    assert r["cash_moves_total"] == {"drop": "20.00", "deposit": "10.00"}
    assert booked(account=drawer, label="Cash drop") == Decimal("-20.00")
    assert booked(account=drawer, label="Cash deposit") == Decimal("10.00")
    cash_close = next(c for c in r["closing"] if c["name"] == "Cash")
    assert (cash_close["expected"], cash_close["counted"], cash_close["difference"]) == (
        "104.30",
        "103.10",
        "-1.20",
    )
    assert (cash_close["keep"], cash_close["transferred"]) == ("100.00", "3.10")
    assert booked(account=drawer, label="Cash difference") == Decimal(cash_close["difference"])
    transferred = sum(Decimal(c["transferred"]) for c in r["closing"])
    assert f"{transferred}" == r["closing_total"]["transferred"]
    assert -booked(label="Close transfer", account=drawer) == Decimal(cash_close["transferred"])

    # Invoices: the individual one of Café De Hoek, the consolidated invoice and credit note.
    assert [(i["kind"], i["consolidated"], i["customer"]) for i in r["invoices"]] == [
        ("invoice", False, "Café De Hoek"),
        ("invoice", True, "Walk-in customer"),
        ("credit_note", True, "Walk-in customer"),
    ]
    assert r["invoices_summary"] == {"consolidated": 2, "individual": 1, "credit_notes": 1}

    # The perpetual grand total: session A's 2.20, then this session's 23.21.
    g = r["grand_total"]
    assert (g["previous"], g["session"], g["perpetual"], g["perpetual_absolute"]) == (
        "2.20",
        "23.21",
        "25.41",
        "29.81",
    )
    assert g["sessions"] == 2
    sold = Order.objects.filter(session__profile=shop["till1"], state__in=["paid", "invoiced"])
    assert sum((x.total for x in sold), Decimal("0.00")) == Decimal(g["perpetual"])
    assert r["notes"]["closing"] == "1.20 short"
    assert [s["role"] for s in r["signatures"]] == ["Cashier", "Manager"]


def test_every_format_shows_the_same_figures(scenario):
    api, sid = scenario["api"], scenario["b"]
    r = fetch(api, sid).json()
    reference = money(render_text(r))
    assert len(reference) > 60
    formats = {
        "text": fetch(api, sid, format="text").content.decode(),
        "text 80 mm": fetch(api, sid, format="text", paper="80").content.decode(),
        "text 58 mm": fetch(api, sid, format="text", paper="58").content.decode(),
        "html": html_text(fetch(api, sid, format="html").content.decode()),
        "html 80 mm": html_text(fetch(api, sid, format="html", paper="80").content.decode()),
        "pdf": pdf_text(fetch(api, sid, format="pdf").content),
        "escpos 80 mm": decode_escpos(fetch(api, sid, format="escpos", paper="80").content),
        "escpos 58 mm": decode_escpos(fetch(api, sid, format="escpos", paper="58").content),
    }
    for name, text in formats.items():
        assert money(text) == reference, name

    # And each figure stands next to its name, as the JSON has it.
    o = r["orders"]
    rate = {t["taxes"]: t for t in r["sales_by_taxes"]}
    cash = next(c for c in r["closing"] if c["name"] == "Cash")
    g = r["grand_total"]
    expected_rows = [
        f"Sales total {o['sales_total']}",
        f"Average ticket {o['average_ticket']}",
        f"Refunds ({o['refunds']}) {o['refunds_total']}",
        f"Discounts {o['discounts']}",
        f"Voided tickets ({o['voided']}) {o['voided_total']}",
        "6% {net} {tax} {gross}".format(**rate["6%"]),
        "21% {net} {tax} {gross}".format(**rate["21%"]),
        f"Cash 3 {next(p['amount'] for p in r['payments'] if p['name'] == 'Cash')}",
        "Tendered Change Kept",
        "Cash 22.80 8.50 14.30",
        f"drop Cash Safe Too much cash {r['cash_moves'][0]['amount']}",
        f"Cash {cash['expected']} {cash['counted']} {cash['difference']}",
        f"Cash {cash['keep']} {cash['transferred']}",
        f"Total {r['journal']['debit']} {r['journal']['credit']}",
        f"Perpetual total {g['perpetual']}",
        "Café De Hoek",
        "Closing: 1.20 short",
        "Cashier: alice",
    ]
    for name in ("text", "html", "pdf", "escpos 80 mm"):
        text = flat(formats[name])
        for row in expected_rows:
            if name == "escpos 80 mm" and row.startswith("drop"):
                continue  # five columns do not fit 42 characters: one block per move
            assert row in text, (name, row)


def test_html_prints_on_a4_and_on_rolls(scenario):
    api, sid = scenario["api"], scenario["b"]
    a4 = fetch(api, sid, format="html").content.decode()
    assert "@page { size: A4" in a4
    roll = fetch(api, sid, format="html", paper="80").content.decode()
    assert "@page { size: 80mm 297mm" in roll and 'class="paper-80 roll"' in roll
    assert "113.10" not in a4 and "103.10" in a4


def test_pdf_is_rendered_for_a_person_to_look_at(scenario):
    api, sid = scenario["api"], scenario["b"]
    response = fetch(api, sid, format="pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "Z-report-TILL1-" in response["Content-Disposition"]
    data = response.content
    assert data.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "z-report.pdf").write_bytes(data)
    (ARTIFACTS / "z-report-80mm.txt").write_text(
        decode_escpos(fetch(api, sid, format="escpos", paper="80").content)
    )
    (ARTIFACTS / "z-report-58mm.txt").write_text(
        decode_escpos(fetch(api, sid, format="escpos", paper="58").content)
    )
    (ARTIFACTS / "z-report.html").write_bytes(fetch(api, sid, format="html").content)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: no PNG rendered")
    for old in ARTIFACTS.glob("z-report-page-*.png"):
        old.unlink()
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "80",
            "-png",
            str(ARTIFACTS / "z-report.pdf"),
            str(ARTIFACTS / "z-report-page"),
        ],
        check=True,
        timeout=60,
    )
    pages = sorted(ARTIFACTS.glob("z-report-page-*.png"))
    assert pages, "pdftoppm wrote no page"
    for page in pages:
        assert page.read_bytes().startswith(b"\x89PNG")
        assert page.stat().st_size > 10_000  # not a blank page


def test_unknown_format_and_paper_are_refused(scenario):
    api, sid = scenario["api"], scenario["b"]
    bad = api.get(f"/sessions/{sid}/report", format="docx")
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    bad = api.get(f"/sessions/{sid}/report", format="escpos", paper="a4")
    assert bad.status_code == 422
    bad = api.get(f"/sessions/{sid}/report", format="html", paper="letter")
    assert bad.status_code == 422


def test_grand_total_of_a_closed_session_never_changes(api_as, shop, scenario):
    api, sid = scenario["api"], scenario["b"]
    before = fetch(api, sid).json()["grand_total"]
    alice = api_as("alice")
    c = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "100.00"}]
    )
    sync(alice, c["id"], order([(shop["mug"].pk, "1")], [(shop["cash1"].pk, "9.90")]))
    x = fetch(alice, c["id"]).json()
    assert x["kind"] == "X"
    assert x["grand_total"]["previous"] == before["perpetual"]
    assert x["grand_total"]["perpetual"] == "35.31"  # 25.41 + 9.90
    alice.post(
        f"/sessions/{c['id']}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "109.90"}]},
    )
    assert fetch(api, sid).json()["grand_total"] == before


def test_blind_close_x_report_hides_expected_amounts_in_every_format(api_as, shop):
    till = shop["till1"]
    till.blind_close = True
    till.save()
    alice = api_as("alice")
    s = open_session(alice, till.pk, [{"payment_method": shop["cash1"].pk, "amount": "100.00"}])
    sync(alice, s["id"], order([(shop["mug"].pk, "1")], [(shop["cash1"].pk, "9.90")]))
    r = fetch(alice, s["id"]).json()
    assert r["expected_now"] == [] and "expected" not in r["opening"][0]
    assert r["payments"] == []  # payment totals would give the expected cash away
    text = fetch(alice, s["id"], format="text").content.decode()
    assert "109.90" not in text  # the expected cash is nowhere
    manager = fetch(api_as("manager"), s["id"], format="text").content.decode()
    assert "109.90" in manager


def test_back_office_session_page_links_the_formats(scenario):
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    page = client.get(f"/admin/pos/session/{scenario['b']}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"/api/v1/sessions/{scenario['b']}/report?format=pdf" in text
    assert "No receipt printer on this profile" in text
    pdf = client.get(f"/api/v1/sessions/{scenario['b']}/report", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
