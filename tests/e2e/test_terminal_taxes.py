"""The web terminal end to end with taxes and fiscal positions (issue #12): a ticket switched
to the demo's "Take-away" position (VAT 12% → VAT 6%) shows the mapped price and total, is paid,
and the server, which prices the order itself, books it as sent (no payment_mismatch).

Screenshots land in artifacts/e2e/taxes-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import HttpApi
from tests.e2e.test_terminal import (
    Shots,
    _catalog_of,
    add_by_tile,
    euros,
    login,
    pay,
    text,
    validate_and_close_receipt,
)

pytestmark = pytest.mark.browser


def test_take_away(server: str, new_context: Any, artifacts: Path) -> None:
    shot = Shots(artifacts, "taxes")
    alice = HttpApi(server, "alice")
    till = next(p for p in alice.get("/profiles") if p["name"] == "Till 2")
    positions = {p["name"]: p for p in _catalog_of(alice, till, "fiscal_positions")}
    take_away = positions["Take-away"]
    page = new_context().new_page()
    sent: list[Any] = []
    answers: list[Any] = []

    def on_response(response: Any) -> None:
        if response.request.method == "POST" and response.url.endswith("/orders"):
            sent.append(response.request.post_data_json)
            answers.append(response.json())

    page.on("response", on_response)
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name="New Session"
    ).click()
    page.wait_for_selector("#search")

    # Eaten in: a ham sandwich at 12 % included, 5.30.
    add_by_tile(page, "SND-HAM")
    assert text(page.locator("#ticket-total")) == euros("5.30")
    selector = page.locator("#fiscal-position")
    assert selector.is_visible()
    assert selector.input_value() == ""  # the till has no default position: eaten in
    shot(page, "eat-in")

    # Take-away: VAT 12% becomes VAT 6% with the same net. 5.30 / 1.12 = 4.7321…,
    # × 1.06 = 5.0160… → 5.02; tax 5.02 × 6/106 = 0.2841… → 0.28.
    selector.select_option(label="Take-away")
    assert text(page.locator("#ticket-lines .line .detail")) == f"1 × {euros('5.02')}"
    assert text(page.locator("#ticket-lines .line .line-total")) == euros("5.02")
    assert text(page.locator("#ticket-total")) == euros("5.02")
    assert text(page.locator("#totals .tax")) == euros("0.28")
    shot(page, "take-away")

    # Paid in cash with a 10.00 note: 4.98 back.
    pay(page, "cash", "10")
    assert text(page.locator("#amount-due")) == euros("5.02")
    assert text(page.locator("#amount-change")) == euros("4.98")
    validate_and_close_receipt(page)

    # The order names its position and the price as rung (the server maps it itself), and the
    # server, which reprices it, books it as sent.
    page.wait_for_selector('#netstatus[data-waiting="0"]', timeout=20_000)
    orders = [o for body in sent for o in body["orders"]]
    assert len(orders) == 1
    order = orders[0]
    assert order["fiscal_position"] == take_away["id"]
    assert [(line["unit_price"], line["quantity"]) for line in order["lines"]] == [("5.30", "1")]
    assert order["payments"][0]["amount"] == "5.02"
    assert [r["status"] for a in answers for r in a["results"]] == ["created"]
    # The choice is the ticket's: the next one starts eaten in again.
    assert selector.input_value() == ""
