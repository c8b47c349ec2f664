"""The web terminal end to end: a whole cashier shift in headless Chromium against a real
``opentill demo`` server, checked against what the API and the back office report.

Screenshots of every step land in artifacts/e2e/ for a person to look at.
"""

from __future__ import annotations

import json
import random
import re
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from opentill.orders.pricing import price_order
from tests.e2e.conftest import ApiProblem, HttpApi
from tests.unit.orders.test_pricing import case_inputs

pytestmark = pytest.mark.browser


class Shots:
    """Numbered screenshots: artifacts/e2e/<prefix>-NN-<step>.png."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self.directory = directory
        self.prefix = prefix
        self.n = 0
        for old in directory.glob(f"{prefix}-*.png"):
            old.unlink()

    def __call__(self, page: Any, step: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.directory / f"{self.prefix}-{self.n:02d}-{step}.png"))


def text(locator: Any) -> str:
    """Visible text with the non-breaking spaces of Intl's currency format made plain."""
    return " ".join(locator.inner_text().replace("\xa0", " ").split())


def euros(amount: str) -> str:
    """'-1.00' → '€ -1,00' as nl-BE formats it (the demo company's locale)."""
    value = Decimal(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(units):,}".replace(",", ".")
    return f"€ {sign}{grouped},{cents}"


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/terminal/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".profile-card")


def add_by_tile(page: Any, sku: str, times: int = 1) -> None:
    for _ in range(times):
        page.locator(f'button.product[data-sku="{sku}"]').click()


def scan(page: Any, code: str) -> None:
    """Type into the search box like a keyboard-wedge scanner: characters, then Enter."""
    page.locator("#search").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def wait_waiting(page: Any, n: int) -> None:
    page.wait_for_selector(f'#netstatus[data-waiting="{n}"]', timeout=20_000)


def pay(page: Any, kind: str, tendered: str | None = None) -> None:
    """F9, choose the method, type the amount (or none: exactly the rest), validate."""
    page.keyboard.press("F9")
    dialog = page.locator("dialog.payment")
    dialog.wait_for()
    dialog.locator(f'button.method[data-kind="{kind}"]').click()
    page.locator("#tendered").fill(tendered or "")
    page.keyboard.press("Enter")  # adds the payment
    page.wait_for_selector("#validate-payment:not([disabled])")


def test_service_worker_is_served_with_a_scope_covering_the_terminal(server: str) -> None:
    request = urllib.request.Request(f"{server}/terminal/sw.js")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/javascript")
        assert response.headers["Service-Worker-Allowed"] == "/terminal/"
        source = response.read().decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source, re.S).group(1))  # type: ignore[union-attr]
    assert "/terminal/" in shell and "/static/terminal/js/app.js" in shell
    for url in shell:  # everything the worker caches at install exists
        with urllib.request.urlopen(f"{server}{url}", timeout=10) as response:
            assert response.status == 200, url


def validate_and_close_receipt(page: Any) -> None:
    """Enter validates the payment; once the receipt shows, Enter starts a new sale."""
    page.keyboard.press("Enter")
    page.locator("#new-sale").wait_for()
    page.keyboard.press("Enter")
    page.locator("dialog.receipt-dialog").wait_for(state="detached")


def random_pricing_case(rng: random.Random) -> dict[str, Any]:
    """A random order in the format of tests/cases/pricing.json (without "expected"): taxes
    of both kinds, included or not, in each other's base; maybe a fiscal position; random
    conventions; cash or not."""
    places = rng.choice([2, 2, 2, 0, 3])
    rates = ["0", "5", "5.5", "6", "9", "10", "12", "17", "20", "21", "25", "7.7"]
    taxes = [
        {
            "id": i,
            "kind": rng.choice(["percent", "percent", "percent", "fixed"]),
            "rate": rng.choice(rates),
            "amount": str(Decimal(rng.randint(0, 50)).scaleb(-places)),
            "price_include": rng.random() < 0.6,
            "include_base_amount": rng.random() < 0.3,
            "sequence": rng.choice([1, 5, 10, 10, 20]),
        }
        for i in range(1, rng.randint(1, 4) + 1)
    ]
    ids = [t["id"] for t in taxes]
    lines = [
        {
            "quantity": rng.choice(["1", "2", "3", "-1", "-2", "0.350", "1.235", "-2.5"]),
            "unit_price": str(Decimal(rng.randint(0, 5000)).scaleb(-places)),
            "discount_percent": rng.choice(["0", "0", "10", "12.5", "33.3333", "100"]),
            "taxes": rng.sample(ids, rng.randint(1, len(ids))),
        }
        for _ in range(rng.randint(1, 5))
    ]
    steps = {0: ["1", "10"], 2: ["0.01", "0.05", "0.10"], 3: ["0.001", "0.005", "0.050"]}
    case: dict[str, Any] = {
        "conventions": {
            "tax_rounding": rng.choice(["per_line", "global"]),
            "discount_rounding": rng.choice(["discount", "line"]),
            "cash_rounding": rng.choice(steps[places]),
            "cash_rounding_mode": rng.choice(["half_up", "up", "down"]),
            "cash_rounding_scope": rng.choice(["cash", "all"]),
            "places": places,
        },
        "taxes": taxes,
        "lines": lines,
        "cash_after": rng.choice([None, str(Decimal(rng.randint(0, 900)).scaleb(-places))]),
    }
    if rng.random() < 0.4:
        src = rng.choice(ids)
        case["fiscal_position"] = {"taxes": {str(src): rng.sample(ids, rng.randint(0, 1))}}
    return case


def server_figures(case: dict[str, Any]) -> list[str]:
    """The server's pricing of a case (pricing.price_order, read as the shared cases are),
    as the strings the browser's answer gives."""
    lines, conventions, cash_after = case_inputs(case)
    price = price_order(lines, conventions=conventions, cash_after=cash_after)

    def wire(value: Decimal) -> str:
        return str(abs(value) if value == 0 else value)

    figures = [wire(x.unit_price) for x in lines]
    for p in price.lines:
        figures += [wire(p.amount), wire(p.discount), wire(p.net), wire(p.tax), wire(p.total)]
        figures += [f"{t.tax_id}:{wire(t.base)}:{wire(t.amount)}" for t in p.taxes]
    figures += [wire(v) for v in (price.net_total, price.tax_total, price.total, price.amount_due)]
    return figures


BROWSER_FIGURES = """async (cases) => {
    const m = await import('/static/terminal/js/money.js');
    return cases.map((c) => {
        const conventions = m.conventionsOf(c.conventions);
        const places = conventions.places;
        const taxes = new Map(c.taxes.map((t) => [t.id, t]));
        const lines = c.lines.map((x) => m.mapLine(x, c.fiscal_position || null, taxes, places));
        const p = m.priceOrder(lines, conventions, {taxes, cashAfter: c.cash_after});
        const s = (u) => m.unitsToString(u, places);
        const figures = lines.map((x) => x.unit_price);
        for (const l of p.lines) {
            figures.push(s(l.amount), s(l.discount), s(l.net), s(l.tax), s(l.total));
            for (const t of l.taxes) figures.push(`${t.tax}:${s(t.base)}:${s(t.amount)}`);
        }
        figures.push(s(p.net), s(p.tax), s(p.total), s(p.due));
        return figures;
    });
}"""


def test_money_module_prices_orders_like_the_server(server: str, new_context: Any) -> None:
    """money.js in the browser gives the server's figures (pricing.price_order) for random
    orders: several taxes per line, fiscal positions, every rounding convention, 0, 2 and 3
    decimals, cash or not."""
    page = new_context().new_page()
    page.goto(f"{server}/health")
    rng = random.Random(5)
    cases = [random_pricing_case(rng) for _ in range(400)]
    got = page.evaluate(BROWSER_FIGURES, cases)
    for case, answer in zip(cases, got, strict=True):
        assert answer == server_figures(case), case


def test_a_whole_shift(server: str, new_context: Any, artifacts: Path) -> None:
    shot = Shots(artifacts, "shift")
    alice = HttpApi(server, "alice")
    till = next(p for p in alice.get("/profiles") if p["name"] == "Till 1")
    context = new_context()
    page = context.new_page()

    # 1. Login and dashboard: Till 1 has no session.
    login(page, server, "alice")
    card = page.locator(f'.profile-card[data-profile="{till["id"]}"]')
    assert "No active session" in text(card)
    shot(page, "dashboard")

    # 2. Open with a counted float by denominations: 2 × 20 + 5 × 10 + 2 × 5 = 100.00.
    card.get_by_role("button", name="New Session").click()
    opening = page.locator("dialog.opening")
    opening.wait_for()
    assert "Expected opening: € 0,00" in text(opening)
    for value, quantity in (("20.00", "2"), ("10.00", "5"), ("5.00", "2")):
        opening.locator(f'input[data-value="{value}"]').fill(quantity)
    assert text(opening.locator(".denomination-sum")) == "€ 100,00"
    assert text(opening.locator(".difference")) == "€ 100,00"
    opening.get_by_label("Notes", exact=True).fill("Float from the safe")
    shot(page, "opening-count")
    opening.get_by_role("button", name="Open Session").click()
    page.wait_for_selector("#search")
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]
    assert session["opening"][0]["counted"] == "100.00"
    shot(page, "selling")

    # 3. A cash sale with change: 2 espressos by touch, a croissant by barcode (6.00).
    add_by_tile(page, "COF-ESP", 2)
    croissant = next(p for p in _catalog_of(alice, till, "products") if p["sku"] == "BRD-CRO")
    scan(page, croissant["barcode"])
    assert text(page.locator("#ticket-total")) == "€ 6,00"
    pay(page, "cash", "10")
    assert text(page.locator("#amount-change")) == "€ 4,00"
    shot(page, "payment-cash-change")
    page.keyboard.press("Enter")  # validate
    assert text(page.locator("#receipt-change")) == "€ 4,00"
    # The receipt says what was handed over for the cash payment and what it kept.
    assert text(page.locator("#receipt tr.tendered")) == "Tendered € 10,00"
    assert "Cash € 6,00" in text(page.locator("#receipt"))
    shot(page, "receipt")
    page.keyboard.press("Enter")  # new sale
    page.locator("dialog.receipt-dialog").wait_for(state="detached")

    # 4. A card sale with a line discount: white mug 9.90 − 10 % = 8.91, by keyboard only.
    scan(page, "MUG-WHT")
    page.keyboard.press("F6")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    assert text(page.locator("#ticket-total")) == "€ 8,91"
    shot(page, "discount")
    pay(page, "card")
    validate_and_close_receipt(page)

    # 5. Park a ticket (a tote bag, 12.50), then resume it and pay cash.
    scan(page, "BAG-TOT")
    page.keyboard.press("F8")
    page.wait_for_selector("button:has-text('Parked') .count:text-is('1')")
    wait_waiting(page, 0)  # the draft reached the server
    page.keyboard.press("Shift+F8")
    parked = page.locator("dialog.parked")
    shot(page, "parked-tickets")
    parked.get_by_role("button", name="Resume").click()
    assert text(page.locator("#ticket-total")) == "€ 12,50"
    pay(page, "cash")
    validate_and_close_receipt(page)

    # 6. A drop of 20.00 to the safe.
    page.keyboard.press("F7")
    move = page.locator("dialog.cash-move")
    move.get_by_label("Amount").fill("20.00")
    assert move.get_by_label("Destination").input_value() == "Safe"
    move.get_by_label("Reason").fill("Too many notes")
    shot(page, "cash-drop")
    move.get_by_role("button", name="Save").click()
    move.wait_for(state="detached")
    wait_waiting(page, 0)
    detail = alice.get(f"/sessions/{session['id']}")
    assert detail["order_count"] == 3
    assert detail["sales_total"] == "27.41"

    # 7. Another cashier's browser cannot take the session over.
    other = new_context().new_page()
    login(other, server, "bob")
    bobs_card = other.locator(f'.profile-card[data-profile="{till["id"]}"]')
    assert "In use by alice" in text(bobs_card)
    assert bobs_card.get_by_role("button").count() == 0
    shot(other, "other-cashier")
    bob = HttpApi(server, "bob")
    refused = bob.post(f"/profiles/{till['id']}/sessions")
    assert isinstance(refused, ApiProblem) and refused["code"] == "session_already_open"
    refused = bob.post(f"/sessions/{session['id']}/cash-moves", _drop(till, "1.00"))
    assert isinstance(refused, ApiProblem) and refused["code"] == "not_session_owner"
    other.context.close()

    # 8. Offline: sell two tickets, reload the page, nothing is lost.
    assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")
    context.set_offline(True)
    page.wait_for_selector('#netstatus[data-online="false"]')
    add_by_tile(page, "COF-CAP")  # 3.10 cash
    pay(page, "cash")
    validate_and_close_receipt(page)
    add_by_tile(page, "TEA-GRN")  # 2.60 + 0.65 = 3.25 card
    add_by_tile(page, "SNK-APP")
    pay(page, "card")
    validate_and_close_receipt(page)
    wait_waiting(page, 2)
    shot(page, "offline-two-waiting")
    page.reload()
    page.wait_for_selector("#search")
    wait_waiting(page, 2)
    assert page.evaluate("navigator.serviceWorker.controller !== null")  # the shell came from it
    assert page.locator('#netstatus[data-online="false"]').count() == 1
    shot(page, "offline-after-reload")
    assert alice.get(f"/sessions/{session['id']}")["order_count"] == 3
    page.keyboard.press("F10")  # the close needs the network and an empty buffer
    refusal = page.locator("dialog.close-wizard .notice.warn")
    assert "runs only online" in text(refusal) and "2 ticket(s) wait" in text(refusal)
    shot(page, "offline-close-refused")
    page.keyboard.press("Escape")
    page.locator("dialog.close-wizard").wait_for(state="detached")

    # 9. Back online: both tickets are sent, once.
    context.set_offline(False)
    wait_waiting(page, 0)
    page.wait_for_selector('#netstatus[data-online="true"]')
    shot(page, "online-synced")
    detail = alice.get(f"/sessions/{session['id']}")
    assert detail["order_count"] == 5
    assert detail["sales_total"] == "33.76"

    # A ticket parked before closing: the close wizard must deal with it.
    scan(page, "BOO-NOT")
    page.keyboard.press("F8")
    wait_waiting(page, 0)

    # 10. F10: the pending ticket is voided.
    page.keyboard.press("F10")
    wizard = page.locator("dialog.close-wizard")
    pending = wizard.locator(".ticket-list.pending li")
    pending.first.wait_for()
    assert pending.count() == 1
    assert wizard.locator("#wizard-next").is_disabled()
    shot(page, "close-pending")
    pending.first.get_by_role("button", name="Void").click()
    wizard.locator("#no-pending").wait_for()
    shot(page, "close-no-pending")
    wizard.locator("#wizard-next").click()

    # 11. Count: expected cash 100 + 6.00 + 12.50 + 3.10 − 20 = 101.60; counted 100.60.
    cash_id = next(m["id"] for m in till["payment_methods"] if m["kind"] == "cash")
    card_id = next(m["id"] for m in till["payment_methods"] if m["kind"] == "card")
    cash_row = wizard.locator(f'.count-method[data-method="{cash_id}"]')
    assert text(cash_row.locator(".expected")) == "€ 101,60"
    assert text(wizard.locator(f'.count-method[data-method="{card_id}"] .expected')) == "€ 12,16"
    assert text(wizard.locator("#expected-total")) == "€ 113,76"
    assert wizard.locator("#wizard-next").is_disabled()
    cash_row.get_by_label("Counted Cash").fill("100.60")
    assert text(cash_row.locator(".difference")) == "€ -1,00"
    assert text(wizard.locator("#difference-total")) == "€ -1,00"
    assert wizard.locator("#wizard-next").is_disabled()  # not confirmed yet
    cash_row.get_by_role("button", name="Confirm").click()
    shot(page, "close-count-shortage")
    wizard.locator("#wizard-next").click()

    # 12. Keep the float of 100.00 in the drawer; 0.60 goes to the safe.
    keep = wizard.get_by_label("Keep in the drawer (Cash)")
    assert keep.input_value() == "100.00"
    keep.fill("100.00")
    assert text(wizard.locator(f'.keep-method[data-method="{cash_id}"] .transfer')) == "€ 0,60"
    shot(page, "close-keep")
    wizard.locator("#wizard-next").click()

    # 13. Summary, then Post, print and close: the Z report opens; back to the dashboard.
    wizard.locator("#sum-orders").wait_for()
    assert text(wizard.locator("#sum-orders")) == "5"
    assert text(wizard.locator("#sum-sales")) == "€ 33,76"
    shot(page, "close-summary")
    with page.expect_popup() as popup_info:
        wizard.get_by_role("button", name="Post, print and close").click()
    report_page = popup_info.value
    report_page.wait_for_function("document.title.startsWith('Z report')", timeout=20_000)
    report_page.set_viewport_size({"width": 1024, "height": 768})
    shot(report_page, "z-report")
    page.wait_for_selector(".dashboard")
    shot(page, "dashboard-after-close")

    report = alice.get(f"/sessions/{session['id']}/report")
    assert report["kind"] == "Z" and report["session"]["state"] == "closed"
    assert report["orders"]["count"] == 5
    assert report["orders"]["sales_total"] == "33.76"
    assert report["orders"]["voided"] == 2  # the resumed draft and the one voided at close
    closing = {c["name"]: c for c in report["closing"]}
    assert closing["Cash"]["expected"] == "101.60"
    assert closing["Cash"]["counted"] == "100.60"
    assert closing["Cash"]["difference"] == "-1.00"
    assert closing["Cash"]["keep"] == "100.00"
    assert closing["Cash"]["transferred"] == "0.60"
    assert closing["Card"]["counted"] == "12.16"
    # The one sale with change (6.00 paid with 10.00) reached the server with it.
    cash = next(p for p in report["payments"] if p["name"] == "Cash")
    assert (cash["change"], report["payments_change_total"]) == ("4.00", "4.00")
    assert Decimal(cash["tendered"]) == Decimal(cash["amount"]) + Decimal("4.00")
    _report_page_shows(report_page, report)
    report_page.close()

    # The dashboard and the back office show the session closed.
    assert "No active session" in text(card)
    admin = new_context().new_page()
    admin.goto(f"{server}/admin/login/?next=/admin/pos/session/{session['id']}/change/")
    admin.get_by_label("Username").fill("manager")
    admin.get_by_label("Password").fill("demo")
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_load_state()
    assert session["name"] in text(admin.locator("body"))
    assert re.search(r"\bClosed\b", text(admin.locator("body")))
    shot(admin, "back-office-closed")
    assert not context.errors, context.errors


def test_refund_invoice_and_a_ticket_that_survives_a_reload(
    server: str, new_context: Any, artifacts: Path
) -> None:
    """Till 2 has no opening control: New Session sells at once. A ticket in progress
    survives a reload; a sale to a customer with an invoice, then a refund in cash."""
    shot = Shots(artifacts, "refund")
    alice = HttpApi(server, "alice")
    till = next(p for p in alice.get("/profiles") if p["name"] == "Till 2")
    page = new_context().new_page()
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name="New Session"
    ).click()
    page.wait_for_selector("#search")
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]

    scan(page, "3*COF-BEA")  # 3 × 8.40
    # Reload once the line shows and the browser has stored the cart (as a cashier would:
    # not within the same millisecond as the scan).
    page.wait_for_function(
        """async (session) => {
            const store = await import('/static/terminal/js/store.js');
            const cart = await store.cartGet(session);
            return Boolean(cart && cart.lines && cart.lines.length);
        }""",
        arg=session["id"],
        timeout=20_000,
    )
    page.reload()
    page.wait_for_selector("#search")
    assert text(page.locator("#ticket-total")) == "€ 25,20"  # the cart was kept
    customer = next(c for c in _catalog_of(alice, till, "customers") if not c["is_walk_in"])
    page.get_by_label("Customer").select_option(str(customer["id"]))
    page.get_by_label("Invoice").check()
    shot(page, "invoice-customer")
    pay(page, "card")
    validate_and_close_receipt(page)

    scan(page, "COF-BEA")
    page.get_by_role("button", name="Refund").click()
    assert text(page.locator("#ticket-total")) == "€ 8,40"
    assert "To refund" in text(page.locator("#totals"))
    shot(page, "refund-ticket")
    pay(page, "cash")
    shot(page, "refund-payment")
    validate_and_close_receipt(page)
    wait_waiting(page, 0)

    detail = alice.get(f"/sessions/{session['id']}")
    assert detail["order_count"] == 2
    assert detail["sales_total"] == "16.80"
    report = alice.get(f"/sessions/{session['id']}/report")
    assert report["orders"]["refunds"] == 1
    assert report["orders"]["refunds_total"] == "-8.40"
    payments = {p["name"]: p["amount"] for p in report["payments"]}
    assert payments == {"Card": "25.20", "Cash": "-8.40"}


def _catalog_of(api: HttpApi, till: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/profiles/{till['id']}/catalog")[key]
    return items


def _drop(till: dict[str, Any], amount: str) -> dict[str, Any]:
    cash = next(m["id"] for m in till["payment_methods"] if m["kind"] == "cash")
    return {"kind": "drop", "payment_method": cash, "amount": amount, "reason": "test"}


def _report_page_shows(page: Any, report: dict[str, Any]) -> None:
    """The printable Z report shows exactly the API report's figures: per section, the
    cells of the rows named like the API's items hold its amounts, in order."""
    sections = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('h2')].map(h => {
            const box = h.closest('section') || h.parentElement;
            const rows = [...box.querySelectorAll('tr')].map(
                r => [...r.cells].map(c => c.textContent.trim()));
            return [h.textContent.trim().toLowerCase(), rows];
        }))"""
    )

    def cells(section: str, label: str) -> list[str]:
        """The cells after ``label`` in every row of ``section`` that starts with it."""
        rows = [r for r in sections[section.lower()] if r and r[0] == label]
        assert rows, f"no row {label!r} in section {section!r}: {sections[section.lower()]}"
        return [cell for r in rows for cell in r[1:]]

    def shows(section: str, label: str, *values: str) -> None:
        found = iter(cells(section, label))
        assert all(v in found for v in values), (section, label, values, cells(section, label))

    shows("Sales", "Orders", str(report["orders"]["count"]))
    shows("Sales", "Sales total", report["orders"]["sales_total"])
    for payment in report["payments"]:
        shows("Payments", payment["name"], str(payment["count"]), payment["amount"])
    for count in report["closing"]:
        shows(
            "Closing",
            count["name"],
            count["expected"],
            count["counted"],
            count["difference"],
            count["keep"],
            count["transferred"],
        )
    for count in report["opening"]:
        shows("Opening", count["name"], count["counted"])
    assert any(report["cash_moves"][0]["amount"] in row for row in sections["cash moves"]), (
        sections["cash moves"]
    )
