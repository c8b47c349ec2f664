"""Ticket numbers in the terminal (issue #13 item 1): a cash sale is numbered when it is paid,
the receipt shows the number, the server stores the same one; after a reload the till's
counter goes on (TILL2-…01, then …02).

Screenshots land in artifacts/e2e/numbers-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import HttpApi
from tests.e2e.test_terminal import Shots, add_by_tile, login, pay, text, wait_waiting

pytestmark = pytest.mark.browser


def test_a_cash_sale_shows_its_number_and_the_server_stores_it(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "numbers")
    alice = HttpApi(server, "alice")
    till = next(p for p in alice.get("/profiles") if p["name"] == "Till 2")
    page = new_context().new_page()
    sent: list[Any] = []
    answers: list[Any] = []

    def on_response(response: Any) -> None:
        if response.request.method == "POST" and response.url.endswith("/orders"):
            sent.extend(response.request.post_data_json["orders"])
            answers.extend(response.json()["results"])

    page.on("response", on_response)
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name="New Session"
    ).click()
    page.wait_for_selector("#search")
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]
    series, first = session["number_series"], session["next_number"]
    assert series == "TILL2"
    expected = f"TILL2-{first:06d}"  # TILL2-000001 on a till that has sold nothing yet

    add_by_tile(page, "COF-BEA")
    pay(page, "cash", "10")
    page.keyboard.press("Enter")  # validates: the receipt shows
    page.locator("#new-sale").wait_for()
    assert text(page.locator("#receipt-number")) == f"Ticket {expected}"
    shot(page, "receipt")
    page.keyboard.press("Enter")
    page.locator("dialog.receipt-dialog").wait_for(state="detached")
    wait_waiting(page, 0)

    assert [o["number"] for o in sent] == [first]
    assert [(a["status"], a["order"]["number"]) for a in answers] == [("created", expected)]
    report = alice.get(f"/sessions/{session['id']}/report")
    assert (report["numbers"]["first"], report["numbers"]["last"]) == (expected, expected)
    assert alice.get(f"/sessions/{session['id']}")["next_number"] == first + 1

    # After a reload (offline or not) the till's counter goes on from the browser's storage.
    page.reload()
    page.wait_for_selector("#search")
    add_by_tile(page, "COF-BEA")
    pay(page, "card")
    page.keyboard.press("Enter")
    page.locator("#new-sale").wait_for()
    assert text(page.locator("#receipt-number")) == f"Ticket TILL2-{first + 1:06d}"
    page.keyboard.press("Enter")
    wait_waiting(page, 0)
    assert [o["number"] for o in sent] == [first, first + 1]
    assert answers[-1]["order"]["number"] == f"TILL2-{first + 1:06d}"
