"""Receipts carry the proof in the terminal (issue #13 item 7): a ticket paid online shows
its signature excerpt and QR code once the sync answered (the same the server's journal
holds); a ticket paid offline says the proof prints on a reprint, and its reprint has it.
A training session (Training Session on the till's card) marks its screens and receipts
TRAINING and its tickets are chained as training records, in no total.

Screenshots land in artifacts/e2e/receipts-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import HttpApi
from tests.e2e.test_terminal import Shots, add_by_tile, login, pay, text, wait_waiting

pytestmark = pytest.mark.browser


def _sent_uuids(page: Any) -> list[str]:
    uuids: list[str] = []

    def on_request(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/orders"):
            uuids.extend(o["uuid"] for o in request.post_data_json["orders"])

    page.on("request", on_request)
    return uuids


def test_the_screen_receipt_shows_the_proof_once_signed_and_says_so_offline(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "receipts")
    alice = HttpApi(server, "alice")
    till = next(p for p in alice.get("/profiles") if p["name"] == "Till 2")
    context = new_context()
    page = context.new_page()
    sent = _sent_uuids(page)
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name="New Session"
    ).click()
    page.wait_for_selector("#search")

    # Online: the sync answers while the receipt is shown, then the proof appears.
    add_by_tile(page, "COF-BEA")
    pay(page, "cash", "10")
    page.keyboard.press("Enter")
    page.locator("#new-sale").wait_for()
    page.locator("#receipt-signature").wait_for(timeout=15_000)
    (uuid,) = sent
    proof = alice.get(f"/orders/{uuid}/proof")
    assert proof["signed"] is True
    assert text(page.locator("#receipt-signature")) == proof["excerpt"]
    assert text(page.locator("#receipt-record")) == str(proof["sequence"])
    assert page.locator("#receipt-qr").get_attribute("data-payload") == proof["qr"]
    assert proof["qr"].startswith(f"OT1|TILL2|{proof['number']}|")
    assert page.locator("#receipt-qr svg").count() == 1
    assert page.locator("#receipt-unsigned").count() == 0
    shot(page, "signed")
    page.keyboard.press("Enter")
    page.locator("dialog.receipt-dialog").wait_for(state="detached")

    # Offline: the receipt says the proof prints on a reprint, and stays so.
    assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")
    context.set_offline(True)
    page.wait_for_selector('#netstatus[data-online="false"]')
    add_by_tile(page, "COF-BEA")
    pay(page, "card")
    page.keyboard.press("Enter")
    page.locator("#new-sale").wait_for()
    assert text(page.locator("#receipt-unsigned")) == (
        "Not yet signed — the proof prints on a reprint"
    )
    page.wait_for_timeout(1500)
    assert page.locator("#receipt-signature").count() == 0
    shot(page, "unsigned")
    page.keyboard.press("Enter")
    page.locator("dialog.receipt-dialog").wait_for(state="detached")
    context.set_offline(False)
    wait_waiting(page, 0)

    # Its reprint, once synced, carries the proof and says REPRINT (a reprint record).
    offline_uuid = sent[-1]
    reprint = alice.get(f"/orders/{offline_uuid}/receipt")
    assert reprint["reprint"] is True and reprint["proof"]["excerpt"]
    assert reprint["number"] == f"TILL2-{int(proof['number'][-6:]) + 1:06d}"
    context.close()


def test_a_training_session_marks_its_screens_and_its_tickets_are_no_sales(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "receipts")
    alice = HttpApi(server, "alice")
    till = next(p for p in alice.get("/profiles") if p["name"] == "Till 1")
    page = new_context().new_page()
    sent = _sent_uuids(page)
    login(page, server, "alice")
    card = page.locator(f'.profile-card[data-profile="{till["id"]}"]')
    card.get_by_role("button", name="Training Session").click()
    opening = page.locator("dialog.opening")
    opening.wait_for()
    assert "TRAINING — not a sale" in text(opening.locator("#opening-training"))
    opening.locator('input[data-value="20.00"]').fill("5")
    opening.get_by_role("button", name="Open Session").click()
    page.wait_for_selector("#search")
    assert "TRAINING" in text(page.locator("#topbar-training"))
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]
    assert session["training"] is True

    add_by_tile(page, "COF-ESP")
    pay(page, "cash")
    page.keyboard.press("Enter")
    page.locator("#new-sale").wait_for()
    assert text(page.locator("#receipt-training")) == "TRAINING — not a sale"
    page.locator("#receipt-training-proof").wait_for(timeout=15_000)
    shot(page, "training")
    page.keyboard.press("Enter")
    wait_waiting(page, 0)

    (uuid,) = sent
    proof = alice.get(f"/orders/{uuid}/proof")
    assert (proof["kind"], proof["training"]) == ("training", True)
    report = alice.get(f"/sessions/{session['id']}/report")
    assert report["session"]["training"] is True
    assert report["grand_total"]["session"] == "0.00"
    # The back office's dashboard and exports leave it out: the orders export is empty.
    manager = HttpApi(server, "manager")
    today = session["opened_at"][:10]
    exported = manager.get(f"/exports/orders?from={today}&to={today}&format=csv")
    assert uuid not in str(exported)
