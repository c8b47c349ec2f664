"""Orders that arrive after their session closed (or while it waits for a manager) go to
the profile's rescue session, which a manager closes later."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opentill.accounting.models import FinancialTransaction, JournalEntry, Reconciliation
from opentill.orders.models import Order
from opentill.pos.models import Session, SessionCount
from tests.conftest import order
from tests.integration.closing_helpers import (
    balances,
    close,
    count,
    entry_lines,
    journal_is_balanced,
    start_till1,
)
from tests.integration.helpers import sync

D = Decimal


def sell(api, shop, session_id: int) -> None:
    """The worked example's orders: cash 14.30, card 9.90."""
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    results = sync(
        api,
        session_id,
        order([(e, "2")], [(cash, "4.40")]),
        order([(m, "1")], [(card, "9.90")]),
        order([(m, "1"), (e, "1")], [(cash, "12.10")]),
        order([(e, "-1")], [(cash, "-2.20")]),
    )
    assert [r["status"] for r in results] == ["created"] * 4


def frozen(api, session_id: int) -> dict[str, Any]:
    """What must never change once a session is closed."""
    detail = api.get(f"/sessions/{session_id}").json()
    return {
        "detail": detail,
        "journal": api.get(f"/sessions/{session_id}/journal-entries").json(),
        "invoices": api.get(f"/sessions/{session_id}/invoices").json(),
        "report": {
            k: v
            for k, v in api.get(f"/sessions/{session_id}/report").json().items()
            if k not in ("generated_at",)
        },
        "reconciliations": sorted(
            Reconciliation.objects.filter(session_id=session_id).values_list(
                "pk", "account_id", "start_balance", "end_balance", "transaction_count"
            )
        ),
        "transactions": sorted(
            FinancialTransaction.objects.filter(session_id=session_id).values_list(
                "pk", "amount", "reconciliation_id"
            )
        ),
        "orders": sorted(Order.objects.filter(session_id=session_id).values_list("pk", "state")),
    }


def late_orders(shop):
    cash, card = shop["cash1"].pk, shop["card1"].pk
    return (
        order([(shop["espresso"].pk, "1")], [(cash, "2.20")]),
        order([(shop["mug"].pk, "1")], [(card, "9.90")]),
    )


def test_order_after_close_is_rescued_and_the_closed_session_is_untouched(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = start_till1(alice, shop)
    sid = session["id"]
    sell(alice, shop, sid)
    assert close(alice, sid, count(shop["cash1"], "114.30")).json()["state"] == "closed"
    before = frozen(manager, sid)
    start = balances()
    assert start["Till 1 cash drawer"] == D("100.00")

    late_cash, late_card = late_orders(shop)
    results = sync(alice, sid, late_cash)
    assert [r["status"] for r in results] == ["rescued"]
    rescue_id = results[0]["session"]
    assert rescue_id != sid
    rescue = alice.get(f"/sessions/{rescue_id}").json()
    assert rescue["rescue"] is True
    assert rescue["state"] == "in_progress"
    assert rescue["user"] == "alice"
    stored = Order.objects.get(uuid=late_cash["uuid"])
    assert (stored.session_id, stored.requested_session_id, stored.state) == (
        rescue_id,
        sid,
        "paid",
    )

    # A second late order goes to the same rescue session; a repeat is a duplicate.
    again = sync(alice, sid, late_card, late_cash)
    assert [(r["status"], r["session"]) for r in again] == [
        ("rescued", rescue_id),
        ("duplicate", rescue_id),
    ]
    assert Session.objects.filter(rescue=True).count() == 1
    # Nor does the rescue session take the till: a new regular session may open.
    assert alice.get("/profiles").json()[0]["current_session"] is None

    assert frozen(manager, sid) == before
    now = balances()
    assert now["Till 1 cash drawer"] == D("102.20")  # the late cash, pending in the rescue
    assert now["Safe"] == start["Safe"]
    assert now["Bank"] == start["Bank"]
    assert not JournalEntry.objects.filter(session_id=rescue_id).exists()

    # The rescue session expects only its own payments.
    closing = manager.get(f"/sessions/{rescue_id}/closing").json()
    assert [(line["name"], line["expected"]) for line in closing["lines"]] == [
        ("Cash", "2.20"),
        ("Card", "9.90"),
    ]

    forced = manager.post(f"/sessions/{rescue_id}/force-close", {"reason": "late orders"})
    assert forced.status_code == 200, forced.content
    body = forced.json()
    assert body["state"] == "closed"
    assert [
        (d["name"], d["difference"], d["keep"], d["transferred"]) for d in body["differences"]
    ] == [
        ("Cash", "0.00", "0.00", "2.20"),  # keep nothing, whatever the fixed float
        ("Card", "0.00", "0.00", "9.90"),
    ]
    end = balances()
    assert end["Till 1 cash drawer"] == D("100.00")
    assert end["Safe"] == start["Safe"] + D("2.20")
    assert end["Bank"] == start["Bank"] + D("9.90")
    entries = JournalEntry.objects.filter(session_id=rescue_id)
    assert entries.count() == 1
    lines = entry_lines(manager, rescue_id)
    assert ("1000", "Cash", "2.20", "0.00") in lines
    assert ("1000", "Close transfer", "0.00", "2.20") in lines
    assert ("1010", "Close transfer", "2.20", "0.00") in lines
    assert ("1100", "Close transfer", "9.90", "0.00") in lines
    journal_is_balanced()
    assert frozen(manager, sid) == before
    invoices = manager.get(f"/sessions/{rescue_id}/invoices").json()
    assert [(i["kind"], i["total"], len(i["orders"])) for i in invoices] == [
        ("invoice", "12.10", 2)
    ]

    # The next session still expects the kept float.
    nxt = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    lines = alice.get(f"/sessions/{nxt['id']}/closing").json()["lines"]
    assert lines[0]["expected"] == "100.00"

    # A later late order opens a new rescue session.
    later = sync(alice, sid, order([(shop["espresso"].pk, "1")], [(shop["cash1"].pk, "2.20")]))
    assert later[0]["status"] == "rescued"
    assert later[0]["session"] not in (sid, rescue_id)
    assert Session.objects.get(pk=later[0]["session"]).rescue is True


def test_rescue_session_closed_with_counts_by_the_manager(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = start_till1(alice, shop)
    sid = session["id"]
    sell(alice, shop, sid)
    close(alice, sid, count(shop["cash1"], "114.30"))
    rescue_id = sync(alice, sid, *late_orders(shop))[0]["session"]
    start = balances()

    # Counted 2.00 of 2.20: a difference, and still nothing kept.
    closed = close(manager, rescue_id, count(shop["cash1"], "2.00"))
    assert closed.status_code == 200, closed.content
    cash = closed.json()["differences"][0]
    assert (cash["expected"], cash["counted"], cash["difference"], cash["keep"]) == (
        "2.20",
        "2.00",
        "-0.20",
        "0.00",
    )
    assert cash["transferred"] == "2.00"
    end = balances()
    assert end["Till 1 cash drawer"] == D("100.00")
    assert end["Safe"] == start["Safe"] + D("2.00")
    assert end["Bank"] == start["Bank"] + D("9.90")
    assert FinancialTransaction.objects.get(session_id=rescue_id, kind="difference").amount == D(
        "-0.20"
    )
    journal_is_balanced()


def test_rescue_and_next_session_close_in_any_order(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    first = start_till1(alice, shop)
    sell(alice, shop, first["id"])
    close(alice, first["id"], count(shop["cash1"], "114.30"))
    rescue_id = sync(alice, first["id"], *late_orders(shop))[0]["session"]

    # The next session opens while the rescue session is still open: it expects the float.
    second = start_till1(alice, shop)
    assert second["opening"][0]["expected"] == "100.00"
    sync(alice, second["id"], order([(shop["mug"].pk, "1")], [(shop["cash1"].pk, "9.90")]))
    closing = alice.get(f"/sessions/{second['id']}/closing").json()
    assert closing["lines"][0]["expected"] == "109.90"
    closed = close(alice, second["id"], count(shop["cash1"], "109.90"))
    assert closed.json()["state"] == "closed"
    assert balances()["Till 1 cash drawer"] == D("102.20")  # float + the rescued cash
    safe = balances()["Safe"]

    manager.post(f"/sessions/{rescue_id}/force-close", {"reason": "late orders"})
    assert balances()["Till 1 cash drawer"] == D("100.00")
    assert balances()["Safe"] == safe + D("2.20")
    third = start_till1(alice, shop)
    assert third["opening"][0]["expected"] == "100.00"
    assert third["opening"][0]["difference"] == "0.00"
    journal_is_balanced()


def test_order_during_closing_control_is_rescued_and_not_validated(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = start_till1(alice, shop)
    sid = session["id"]
    sell(alice, shop, sid)
    waiting = close(alice, sid, count(shop["cash1"], "107.00"))
    assert waiting.json()["state"] == "closing_control"
    start = balances()

    late_cash, late_card = late_orders(shop)
    results = sync(alice, sid, late_cash, late_card)
    assert [r["status"] for r in results] == ["rescued", "rescued"]
    rescue_id = results[0]["session"]
    assert Session.objects.get(pk=rescue_id).rescue is True
    assert Session.objects.get(pk=sid).state == "closing_control"
    # The waiting session's expected amounts do not move.
    lines = manager.get(f"/sessions/{sid}/closing").json()["lines"]
    assert [line["expected"] for line in lines] == ["114.30", "9.90"]

    validated = manager.post(f"/sessions/{sid}/validate-closing", {})
    assert validated.status_code == 200, validated.content
    body = validated.json()
    assert [(d["expected"], d["counted"], d["difference"]) for d in body["differences"]] == [
        ("114.30", "107.00", "-7.30"),
        ("9.90", "9.90", "0.00"),
    ]
    assert body["order_count"] == 4
    assert body["payments"] == [
        {"payment_method": shop["cash1"].pk, "name": "Cash", "amount": "14.30"},
        {"payment_method": shop["card1"].pk, "name": "Card", "amount": "9.90"},
    ]
    # The rescued orders are neither reconciled, invoiced nor booked with the first session.
    for uuid in (late_cash["uuid"], late_card["uuid"]):
        rescued = Order.objects.get(uuid=uuid)
        assert (rescued.session_id, rescued.state, rescued.invoice_id) == (rescue_id, "paid", None)
    late = FinancialTransaction.objects.filter(session_id=rescue_id, kind="payment")
    assert late.count() == 2
    assert all(t.reconciliation_id is None for t in late)
    invoiced = {u for i in manager.get(f"/sessions/{sid}/invoices").json() for u in i["orders"]}
    assert late_cash["uuid"] not in invoiced and late_card["uuid"] not in invoiced
    lines = entry_lines(manager, sid)
    assert ("1000", "Cash", "14.30", "0.00") in lines
    assert ("1020", "Card", "9.90", "0.00") in lines
    end = balances()
    assert end["Till 1 cash drawer"] == D("102.20")  # the float + the rescued cash
    assert end["Safe"] == start["Safe"] + D("7.00")
    assert end["Bank"] == start["Bank"] + D("9.90")
    counts = SessionCount.objects.filter(session_id=sid, stage="closing").order_by("id")
    assert [c.expected for c in counts] == [D("114.30"), D("9.90")]

    manager.post(f"/sessions/{rescue_id}/force-close", {"reason": "late orders"})
    end = balances()
    assert end["Till 1 cash drawer"] == D("100.00")
    assert end["Safe"] == start["Safe"] + D("7.00") + D("2.20")
    assert end["Bank"] == start["Bank"] + D("9.90") + D("9.90")
    journal_is_balanced()


def test_only_a_manager_closes_a_rescue_session_and_its_drafts_are_voided(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = start_till1(alice, shop)
    close(alice, session["id"], count(shop["cash1"], "100.00"))
    draft = order([(shop["mug"].pk, "1")], state="draft")
    late = order([(shop["espresso"].pk, "1")], [(shop["cash1"].pk, "2.20")])
    results = sync(alice, session["id"], draft, late)
    assert [r["status"] for r in results] == ["rescued", "rescued"]
    rescue_id = results[0]["session"]

    refused = close(alice, rescue_id, count(shop["cash1"], "2.20"))
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert Session.objects.get(pk=rescue_id).state == "in_progress"
    assert Order.objects.get(uuid=draft["uuid"]).state == "draft"
    refused = alice.post(f"/sessions/{rescue_id}/force-close", {"reason": "late"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")

    # No count given: the late payments are taken as expected.
    closed = close(manager, rescue_id)
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    assert [(d["counted"], d["keep"], d["transferred"]) for d in closed.json()["differences"]] == [
        ("2.20", "0.00", "2.20"),
        ("0.00", "0.00", "0.00"),
    ]
    assert Order.objects.get(uuid=draft["uuid"]).state == "void"
    assert balances()["Till 1 cash drawer"] == D("100.00")
    journal_is_balanced()
