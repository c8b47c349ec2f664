"""The web terminal end to end, continued: a ticket parked on another device resumed and
paid in the close wizard; the printable X and Z reports through signed links; a cash drop
made offline, kept through a reload and sent exactly once when the network returns.

Screenshots land in artifacts/e2e/more-*.png.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ApiProblem, HttpApi
from tests.e2e.test_terminal import (
    Shots,
    _catalog_of,
    euros,
    login,
    text,
    validate_and_close_receipt,
    wait_waiting,
)

pytestmark = pytest.mark.browser


def till_named(api: HttpApi, name: str) -> dict[str, Any]:
    return next(p for p in api.get("/profiles") if p["name"] == name)


def method_id(till: dict[str, Any], kind: str) -> int:
    return next(m["id"] for m in till["payment_methods"] if m["kind"] == kind)


def report_popup(page: Any, click: Any, kind: str) -> Any:
    """Click something that opens the printable report: the popup, once it shows it."""
    with page.expect_popup() as info:
        click()
    popup = info.value
    popup.wait_for_function(f"document.title.startsWith('{kind} report')", timeout=20_000)
    assert "/reports/s/" in popup.url, popup.url  # a signed link: no cookie, no token
    popup.set_viewport_size({"width": 480, "height": 900})
    return popup


def test_a_draft_parked_on_another_device_is_resumed_and_paid_at_close(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "more-resume")
    alice = HttpApi(server, "alice")
    till = till_named(alice, "Till 2")
    context = new_context()
    page = context.new_page()
    voids: list[Any] = []
    page.on(
        "request",
        lambda r: voids.append(r.post_data_json) if r.url.endswith("/void") else None,
    )
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name="New Session"
    ).click()
    page.wait_for_selector("#search")
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]

    # The X report from the selling screen.
    x_report = report_popup(page, lambda: page.get_by_role("button", name="X report").click(), "X")
    assert session["name"] in text(x_report.locator("body"))
    shot(x_report, "x-report-selling")
    x_report.close()

    # Another device parks a ticket: 2 × beans −10 % and a mug, for a customer, to invoice.
    products = {p["sku"]: p for p in _catalog_of(alice, till, "products")}
    customer = next(c for c in _catalog_of(alice, till, "customers") if not c["is_walk_in"])
    draft_uuid = str(uuid.uuid4())
    beans, mug = products["COF-BEA"], products["MUG-WHT"]
    answer = alice.post(
        f"/sessions/{session['id']}/orders",
        {
            "orders": [
                {
                    "uuid": draft_uuid,
                    "created_at": datetime.now(UTC).isoformat(),
                    "state": "draft",
                    "customer": customer["id"],
                    "to_invoice": True,
                    "lines": [
                        {
                            "product": beans["id"],
                            "quantity": "2",
                            "unit_price": beans["price"],
                            "discount_percent": "10",
                        },
                        {
                            "product": mug["id"],
                            "quantity": "1",
                            "unit_price": mug["price"],
                            "discount_percent": "0",
                        },
                    ],
                    "payments": [],
                }
            ]
        },
    )
    assert answer["results"][0]["status"] == "created", answer
    total = answer["results"][0]["order"]["total"]

    # F10: the wizard lists it with its lines; Resume and pay loads it and opens the payment.
    page.keyboard.press("F10")
    wizard = page.locator("dialog.close-wizard")
    item = wizard.locator('.ticket-list.pending li[data-kind="server"]')
    item.wait_for()
    assert wizard.locator(".ticket-list.pending li").count() == 1
    assert "Parked on another device" in text(item) and "2 line(s)" in text(item)
    assert customer["name"] in text(item) and euros(total) in text(item)
    shot(page, "wizard-server-draft")
    item.get_by_role("button", name="Resume and pay").click()
    payment = page.locator("dialog.payment")
    payment.wait_for()
    assert text(page.locator("#ticket-total")) == euros(total)
    lines = page.locator("#ticket-lines li.line")
    assert lines.count() == 2
    assert "2 × € 8,40 · −10 %" in text(lines.nth(0))
    assert page.get_by_label("Customer").input_value() == str(customer["id"])
    assert page.get_by_label("Invoice").is_checked()
    payment.locator('button.method[data-kind="card"]').click()
    page.keyboard.press("Enter")  # the rest, by card
    page.wait_for_selector("#validate-payment:not([disabled])")
    shot(page, "resumed-payment")
    validate_and_close_receipt(page)
    wait_waiting(page, 0)
    assert voids == [{"reason": "resumed on Till 2"}]

    # F10 again: nothing pending; count, keep, summary with its Print button.
    page.keyboard.press("F10")
    wizard.locator("#no-pending").wait_for()
    wizard.locator("#wizard-next").click()
    cash_row = wizard.locator(f'.count-method[data-method="{method_id(till, "cash")}"]')
    cash_row.get_by_role("button", name=re.compile("^Confirm")).click()
    wizard.locator("#wizard-next").click()
    wizard.locator(".keep-method").first.wait_for()
    wizard.locator("#wizard-next").click()
    wizard.locator("#sum-orders").wait_for()
    assert text(wizard.locator("#sum-orders")) == "1"
    assert text(wizard.locator("#sum-sales")) == euros(total)
    shot(page, "summary")
    x_report = report_popup(page, lambda: wizard.locator("#summary-print").click(), "X")
    assert total in text(x_report.locator("body"))
    shot(x_report, "x-report-summary")
    x_report.close()

    # Post, print and close: the Z report opens, then a dialog offers to print it again.
    z_report = report_popup(
        page, lambda: wizard.get_by_role("button", name="Post, print and close").click(), "Z"
    )
    closed = page.locator("dialog.closed-dialog")
    closed.wait_for()
    page.wait_for_selector(".dashboard")
    assert "is closed" in text(closed)
    shot(page, "after-close")
    z_report.close()
    z_report = report_popup(
        page, lambda: closed.get_by_role("button", name="Print Z report").click(), "Z"
    )
    assert total in text(z_report.locator("body"))
    shot(z_report, "z-report")
    closed.get_by_role("button", name="Done").click()
    closed.wait_for(state="detached")

    # The server: the draft is void, the paid order (a new uuid) is the session's only sale.
    again = alice.post(f"/orders/{draft_uuid}/void", {"reason": "again"})
    assert isinstance(again, ApiProblem) and again.status == 409, again
    assert "is void" in again["detail"]
    report = alice.get(f"/sessions/{session['id']}/report")
    assert report["kind"] == "Z" and report["session"]["state"] == "closed"
    assert report["orders"]["count"] == 1
    assert report["orders"]["voided"] == 1
    assert report["orders"]["sales_total"] == total
    invoiced = [
        u for invoice in alice.get(f"/sessions/{session['id']}/invoices") for u in invoice["orders"]
    ]
    assert len(invoiced) == 1 and invoiced[0] != draft_uuid
    assert not context.errors, context.errors


def test_a_draft_taken_by_another_device_meanwhile_is_not_paid_twice(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "more-taken")
    alice = HttpApi(server, "alice")
    till = till_named(alice, "Till 2")
    page = new_context().new_page()
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name=re.compile("New Session|Resume|Open Session")
    ).first.click()
    page.wait_for_selector("#search")
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]
    espresso = next(p for p in _catalog_of(alice, till, "products") if p["sku"] == "COF-ESP")
    draft_uuid = str(uuid.uuid4())
    draft = {
        "uuid": draft_uuid,
        "state": "draft",
        "lines": [{"product": espresso["id"], "quantity": "1"}],
        "payments": [],
    }
    answer = alice.post(f"/sessions/{session['id']}/orders", {"orders": [draft]})
    assert answer["results"][0]["status"] == "created", answer

    page.keyboard.press("F10")
    wizard = page.locator("dialog.close-wizard")
    item = wizard.locator('.ticket-list.pending li[data-kind="server"]')
    item.wait_for()
    # Meanwhile the other device resumes it (voiding the draft) and takes the payment.
    alice.post(f"/orders/{draft_uuid}/void", {"reason": "resumed on another till"})
    item.get_by_role("button", name="Resume and pay").click()
    wizard.get_by_text("Another device has already taken this ticket.").wait_for()
    shot(page, "refused")
    assert page.locator("dialog.payment").count() == 0
    assert alice.get(f"/sessions/{session['id']}")["order_count"] == 0
    HttpApi(server, "manager").post(
        f"/sessions/{session['id']}/force-close", {"reason": "end of the test"}
    )


def test_a_cash_drop_made_offline_is_kept_and_sent_once(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "more-offline-drop")
    alice = HttpApi(server, "alice")
    till = till_named(alice, "Till 1")
    context = new_context()
    page = context.new_page()
    login(page, server, "alice")
    page.locator(f'.profile-card[data-profile="{till["id"]}"]').get_by_role(
        "button", name="New Session"
    ).click()
    opening = page.locator("dialog.opening")
    opening.locator('input[data-value="20.00"]').fill("5")
    opening.get_by_role("button", name="Open Session").click()
    page.wait_for_selector("#search")
    session = alice.get(f"/sessions?profile={till['id']}&state=in_progress")["items"][0]
    assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")

    # Offline: a drop of 30.00 to the safe is kept in the browser.
    context.set_offline(True)
    page.wait_for_selector('#netstatus[data-online="false"]')
    page.keyboard.press("F7")
    move = page.locator("dialog.cash-move")
    move.get_by_label("Amount").fill("30.00")
    assert move.get_by_label("Destination").input_value() == "Safe"  # kept from online
    move.get_by_label("Reason").fill("Offline drop")
    move.get_by_role("button", name="Save").click()
    move.wait_for(state="detached")
    page.wait_for_selector('#netstatus[data-waiting="1"][data-moves="1"]')
    assert text(page.locator("#netstatus")) == "Offline · 1 cash move waiting"
    shot(page, "waiting")

    # A reload without network keeps it; the close refuses to start while it waits.
    page.reload()
    page.wait_for_selector("#search")
    page.wait_for_selector('#netstatus[data-online="false"][data-waiting="1"][data-moves="1"]')
    page.keyboard.press("F10")
    refusal = page.locator("dialog.close-wizard .notice.warn")
    assert "1 cash move(s) wait" in text(refusal)
    shot(page, "close-refused")
    page.keyboard.press("Escape")
    page.locator("dialog.close-wizard").wait_for(state="detached")
    assert alice.get(f"/sessions/{session['id']}/cash-moves") == []

    # Online again; the server's first answer is lost on the way back, so the terminal
    # sends the move a second time: the API knows its uuid and stores it once.
    posts: list[Any] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.post_data_json)
        if len(posts) == 1:
            route.fetch()  # the server stores the move…
            route.abort("connectionreset")  # …but the terminal never hears of it
        else:
            route.continue_()

    context.route("**/api/v1/sessions/*/cash-moves", lose_first_answer)
    context.set_offline(False)
    # The lost answer reads as a server that does not answer (offline, it was "You are offline.").
    page.wait_for_selector('#netstatus.has-error[title*="does not answer"]', timeout=20_000)
    page.wait_for_timeout(300)  # that attempt is over
    page.locator("#netstatus").click()  # send now (else the next retry does)
    wait_waiting(page, 0)
    page.wait_for_selector('#netstatus[data-online="true"][data-moves="0"]')
    context.unroute("**/api/v1/sessions/*/cash-moves")
    assert len(posts) == 2 and posts[0] == posts[1], posts
    moves = alice.get(f"/sessions/{session['id']}/cash-moves")
    assert len(moves) == 1, moves
    assert moves[0]["uuid"] == posts[0]["uuid"]
    assert (moves[0]["kind"], moves[0]["amount"], moves[0]["destination"]) == (
        "drop",
        "30.00",
        "Safe",
    )
    assert moves[0]["reason"] == "Offline drop"
    shot(page, "synced")

    # Online, a drop the drawer cannot cover is refused in the dialog, and nothing is kept.
    page.keyboard.press("F7")
    move.get_by_label("Amount").fill("5000.00")
    move.get_by_role("button", name="Save").click()
    error = move.locator(".form-error")
    error.wait_for()
    assert "Refused" in text(error)
    shot(page, "refused-in-dialog")
    move.get_by_role("button", name="Cancel").click()
    wait_waiting(page, 0)
    assert len(alice.get(f"/sessions/{session['id']}/cash-moves")) == 1

    # With an empty buffer the close starts.
    page.keyboard.press("F10")
    page.locator("dialog.close-wizard #no-pending").wait_for()
    page.keyboard.press("Escape")
    assert not context.errors, context.errors


def test_the_browser_storage_of_an_older_terminal_is_upgraded_in_place(
    server: str, new_context: Any
) -> None:
    """A terminal already in use has version 1 of the IndexedDB database (no cash moves
    store), maybe with tickets waiting: the upgrade keeps them and adds what is new."""
    context = new_context()
    page = context.new_page()
    page.goto(f"{server}/health")  # same origin, no terminal code yet
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            const request = indexedDB.open("opentill-terminal", 1);
            request.onupgradeneeded = () => {
                const base = request.result;
                const outbox = base.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
                outbox.createIndex("uuid", "uuid");
                base.createObjectStore("tickets", { keyPath: "uuid" }).createIndex("session", "session");
                base.createObjectStore("kv", { keyPath: "key" });
            };
            request.onsuccess = () => {
                const base = request.result;
                const tx = base.transaction(["outbox", "kv"], "readwrite");
                tx.objectStore("outbox").add({ kind: "void", session: 999999, uuid: "00000000-0000-4000-8000-000000000000", reason: "old", attempts: 0, error: null });
                tx.objectStore("kv").put({ key: "old", value: 42 });
                tx.oncomplete = () => { base.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
            request.onerror = () => reject(request.error);
        })"""
    )
    page.goto(f"{server}/terminal/")
    page.get_by_label("User name").wait_for()
    wait_waiting(page, 1)  # the old entry survived the upgrade; it waits for a sign-in
    state = page.evaluate(
        """async () => {
            const store = await import('/static/terminal/js/store.js');
            const counts = await store.outboxCounts();
            const base = await new Promise((resolve) => {
                const request = indexedDB.open("opentill-terminal");
                request.onsuccess = () => resolve(request.result);
            });
            const result = {version: base.version, stores: [...base.objectStoreNames].sort(),
                            old: await store.kvGet("old"), counts};
            base.close();
            return result;
        }"""
    )
    assert state["version"] == 2
    assert state["stores"] == ["kv", "moves", "outbox", "tickets"]
    assert state["old"] == 42
    assert state["counts"] == {
        "total": 1,
        "waiting": 1,
        "refused": 0,
        "moves": 0,
        "refusedMoves": 0,
    }
    login(page, server, "alice")
    wait_waiting(page, 0)  # sent (the server knows no such order: nothing left to void)
    assert not context.errors, context.errors
