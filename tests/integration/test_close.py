"""The cash close through the API: refusals, approval, force close, keep policies, X,
cash moves, posting and stock modes, invoices and invoicing-rule plugins."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from opentill.accounting.models import FinancialTransaction, JournalEntry, Reconciliation
from opentill.audit.models import AuditEvent
from opentill.catalog.models import Customer, StockMove
from opentill.invoicing import rules
from opentill.invoicing.models import Invoice
from opentill.invoicing.rules import CREDIT_NOTE, INVOICE, InvoiceGroup, OrderRow
from opentill.orders.models import Order
from opentill.pos.models import CashMove, PaymentMethod, PosProfile, Session, SessionCount
from tests.conftest import order
from tests.integration.closing_helpers import (
    balances,
    close,
    count,
    entry_lines,
    journal_is_balanced,
    net_by_account,
    snapshot,
    start_till1,
)
from tests.integration.helpers import sync

D = Decimal


def worked_orders(shop: dict[str, Any]) -> list[dict[str, Any]]:
    """The worked example's orders: cash 4.40 + 12.10 − 2.20 = 14.30, card 9.90."""
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    return [
        order([(e, "2")], [(cash, "4.40")]),
        order([(m, "1")], [(card, "9.90")]),
        order([(m, "1"), (e, "1")], [(cash, "12.10")]),
        order([(e, "-1")], [(cash, "-2.20")]),
    ]


def session_with_sales(api, shop) -> dict[str, Any]:
    """Till 1 opened with 100.00, the worked orders synced: cash expected 114.30, card 9.90."""
    session = start_till1(api, shop)
    assert [r["status"] for r in sync(api, session["id"], *worked_orders(shop))] == ["created"] * 4
    return session


def expected_of(api, session_id: int) -> dict[str, str | None]:
    lines = api.get(f"/sessions/{session_id}/closing").json()["lines"]
    return {line["name"]: line.get("expected") for line in lines}


# --- refusals ---------------------------------------------------------------------------------


def test_close_refused_while_a_draft_is_pending(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    draft = order([(shop["mug"].pk, "1")], state="draft")
    assert sync(alice, session["id"], draft)[0]["status"] == "created"

    closing = alice.get(f"/sessions/{session['id']}/closing").json()
    assert closing["pending_orders"] == [
        {
            "uuid": draft["uuid"],
            "number": None,  # a parked ticket gets its number when it is paid
            "total": "9.90",
            "created_at": closing["pending_orders"][0]["created_at"],
            "customer": None,  # always there, null when the ticket has no customer
            "fiscal_position": None,
            "to_invoice": False,
            # The lines let another terminal resume the ticket.
            "lines": [
                {
                    "product": shop["mug"].pk,
                    "quantity": "1.000",
                    "unit_price": "9.90",
                    "discount_percent": "0.0000",
                }
            ],
        }
    ]
    before = snapshot(session["id"])
    refused = close(alice, session["id"], count(shop["cash1"], "114.30"))
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["code"] == "pending_orders"
    assert body["pending_orders"] == [draft["uuid"]]
    assert snapshot(session["id"]) == before

    voided = alice.post(f"/orders/{draft['uuid']}/void", {"reason": "customer left"})
    assert voided.status_code == 200, voided.content
    assert voided.json()["state"] == "void"
    assert alice.get(f"/sessions/{session['id']}/closing").json()["pending_orders"] == []

    closed = close(alice, session["id"], count(shop["cash1"], "114.30"))
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    # The voided ticket is neither sold nor invoiced.
    assert Order.objects.get(uuid=draft["uuid"]).invoice_id is None
    assert alice.get(f"/sessions/{session['id']}").json()["order_count"] == 4


def test_closing_twice_is_invalid_state(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    assert close(alice, session["id"], count(shop["cash1"], "114.30")).json()["state"] == "closed"
    before = snapshot(session["id"])
    again = close(alice, session["id"], count(shop["cash1"], "114.30"))
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    assert again.json()["state"] == "closed"
    # Nor may it be force-closed or validated once closed.
    manager = api_as("manager")
    forced = manager.post(f"/sessions/{session['id']}/force-close", {"reason": "again"})
    assert (forced.status_code, forced.json()["code"]) == (409, "invalid_state")
    validated = manager.post(f"/sessions/{session['id']}/validate-closing", {})
    assert (validated.status_code, validated.json()["code"]) == (409, "invalid_state")
    assert snapshot(session["id"]) == before
    assert JournalEntry.objects.filter(session_id=session["id"]).count() == 1


def test_closing_a_session_in_opening_control_is_invalid_state(api_as, shop):
    alice = api_as("alice")
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    assert created["state"] == "opening_control"
    refused = close(alice, created["id"], count(shop["cash1"], "0.00"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_state"
    assert Session.objects.get(pk=created["id"]).state == "opening_control"


def test_validating_a_session_not_waiting_is_invalid_state(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    refused = manager.post(f"/sessions/{session['id']}/validate-closing", {})
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_state")
    assert snapshot(session["id"]) == before


def test_count_missing(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    for counts in ([], [count(shop["cash1"], keep="10.00")]):
        refused = close(alice, session["id"], *counts)
        assert refused.status_code == 422, refused.content
        assert refused.json()["code"] == "count_missing"
        assert "Cash" in refused.json()["detail"]
    assert snapshot(session["id"]) == before


@pytest.mark.parametrize("keep", ["40.00", "-5.00", "114.30"])
def test_a_keep_the_fixed_policy_ignores_is_refused_not_dropped(api_as, shop, keep):
    # Cash keeps a fixed float of 100.00: a different keep was silently dropped before.
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    refused = close(alice, session["id"], count(shop["cash1"], "114.30", keep=keep))
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "keep_not_chosen"
    assert "fixed float of 100.00" in refused.json()["detail"]
    assert snapshot(session["id"]) == before
    # The card keeps nothing: a keep for it is refused too.
    refused = close(
        alice, session["id"], count(shop["cash1"], "114.30"), count(shop["card1"], keep="9.90")
    )
    assert refused.json()["code"] == "keep_not_chosen"
    # The float itself, sent back, is an echo and closes.
    closed = close(alice, session["id"], count(shop["cash1"], "114.30", keep="100.00"))
    assert closed.status_code == 200, closed.content
    assert closed.json()["differences"][0]["keep"] == "100.00"


def test_counting_a_non_countable_method_is_refused(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    refused = close(
        alice, session["id"], count(shop["cash1"], "114.30"), count(shop["card1"], "9.90")
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "validation_error"
    assert snapshot(session["id"]) == before


def test_close_counted_by_denomination(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    rows = [
        {"value": "100.00", "quantity": 1},
        {"value": "10.00", "quantity": 1},
        {"value": "2.00", "quantity": 2},
        {"value": "0.10", "quantity": 3},
    ]
    before = snapshot(sid)
    for bad in (
        count(shop["cash1"], "114.00", denominations=rows),  # rows sum to 114.30
        count(shop["cash1"], denominations=[*rows, {"value": "3.00", "quantity": 1}]),
        count(shop["cash1"], denominations=[{"value": "1.00", "quantity": -1}]),
    ):
        refused = close(alice, sid, bad)
        assert refused.status_code == 422, refused.content
        assert refused.json()["code"] == "validation_error"
        assert snapshot(sid) == before
    closed = close(alice, sid, count(shop["cash1"], denominations=rows))
    assert closed.status_code == 200, closed.content
    assert closed.json()["differences"][0]["counted"] == "114.30"
    stored = SessionCount.objects.get(session_id=sid, stage="closing", payment_method=shop["cash1"])
    assert sorted(stored.denominations.values_list("value", "quantity")) == [
        (D("0.10"), 3),
        (D("2.00"), 2),
        (D("10.00"), 1),
        (D("100.00"), 1),
    ]
    report = alice.get(f"/sessions/{sid}/report").json()
    assert len(report["closing"][0]["denominations"]) == 4


def test_other_cashier_may_not_close(api_as, shop):
    session = session_with_sales(api_as("alice"), shop)
    refused = close(api_as("bob"), session["id"], count(shop["cash1"], "114.30"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_session_owner"


# --- differences and approval ----------------------------------------------------------------


def test_difference_at_the_limit_closes_and_one_cent_more_waits(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    response = close(alice, session["id"], count(shop["cash1"], "109.30"))  # 5.00 short
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert response.json()["needs_approval"] is False

    # Next session: 100.00 kept, same sales, 5.01 short.
    session = session_with_sales(alice, shop)
    response = close(alice, session["id"], count(shop["cash1"], "109.29"))
    assert response.status_code == 200
    assert response.json()["state"] == "closing_control"
    assert response.json()["needs_approval"] is True


def test_shortage_above_limit_by_cashier_waits_then_manager_validates(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    before = snapshot(sid)

    response = close(alice, sid, count(shop["cash1"], "107.00"), notes="7.30 short")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "closing_control"
    assert body["needs_approval"] is True
    assert body["differences"][0] == {
        "payment_method": shop["cash1"].pk,
        "name": "Cash",
        "expected": "114.30",
        "counted": "107.00",
        "difference": "-7.30",
        "keep": "100.00",
        "transferred": "7.00",
        "not_counted": False,
    }
    # Nothing is posted: the counts are stored, that is all.
    after = snapshot(sid)
    assert after["state"] == "closing_control"
    assert after["closing_counts"] == [
        (shop["cash1"].pk, D("114.30"), D("107.00"), D("100.00"), D("7.00")),
        (shop["card1"].pk, D("9.90"), D("9.90"), D("0.00"), D("9.90")),
    ]
    for key in ("transactions", "reconciliations", "journal_entries", "invoices", "balances"):
        assert after[key] == before[key], key
    assert not JournalEntry.objects.filter(session_id=sid).exists()
    assert not Reconciliation.objects.filter(session_id=sid).exists()
    assert not FinancialTransaction.objects.filter(
        session_id=sid, kind__in=["difference", "transfer"]
    ).exists()
    assert Session.objects.get(pk=sid).closed_at is None

    # The till stays taken, and the cashier cannot sell on it anymore.
    taken = alice.post(f"/profiles/{shop['till1'].pk}/sessions")
    assert (taken.status_code, taken.json()["code"]) == (409, "session_already_open")
    refused = alice.post(
        f"/sessions/{sid}/cash-moves",
        {"kind": "drop", "payment_method": shop["cash1"].pk, "amount": "1.00"},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_state")

    # The cashier may not validate her own difference.
    forbidden = alice.post(f"/sessions/{sid}/validate-closing", {"notes": "ok"})
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"
    assert snapshot(sid) == after

    validated = manager.post(f"/sessions/{sid}/validate-closing", {"notes": "checked twice"})
    assert validated.status_code == 200, validated.content
    body = validated.json()
    assert body["state"] == "closed"
    assert body["differences"][0]["counted"] == "107.00"
    assert body["differences"][0]["difference"] == "-7.30"

    session_row = Session.objects.get(pk=sid)
    assert session_row.closed_by.username == "manager"
    assert "checked twice" in session_row.closing_notes
    assert "7.30 short" in session_row.closing_notes
    diff = FinancialTransaction.objects.get(session_id=sid, kind="difference")
    assert diff.amount == D("-7.30")
    assert diff.account_id == shop["cash1"].financial_account_id
    now = balances()
    assert now["Till 1 cash drawer"] == D("100.00")
    assert now["Safe"] == before["balances"]["Safe"] + D("7.00")
    assert now["Bank"] == before["balances"]["Bank"] + D("9.90")
    assert JournalEntry.objects.filter(session_id=sid).count() == 1
    assert Reconciliation.objects.filter(session_id=sid).count() == 4
    lines = entry_lines(alice, sid)
    assert ("1000", "Cash difference", "0.00", "7.30") in lines
    assert ("6580", "Cash difference", "7.30", "0.00") in lines
    journal_is_balanced()


def test_same_shortage_closed_by_the_manager_closes_at_once(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    response = close(manager, session["id"], count(shop["cash1"], "107.00"))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    assert response.json()["needs_approval"] is False
    assert FinancialTransaction.objects.get(
        session_id=session["id"], kind="difference"
    ).amount == D("-7.30")
    assert balances()["Till 1 cash drawer"] == D("100.00")
    journal_is_balanced()


def test_overage_above_limit_also_waits(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    response = close(alice, session["id"], count(shop["cash1"], "120.00"))
    assert response.json()["state"] == "closing_control"
    assert response.json()["differences"][0]["difference"] == "5.70"


# --- force close ------------------------------------------------------------------------------


def test_force_close_from_in_progress_takes_expected_and_voids_drafts(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    draft = order([(shop["mug"].pk, "1")], state="draft")
    sync(alice, sid, draft)
    safe_before = balances()["Safe"]
    before = snapshot(sid)

    for reason in ("", "   "):
        refused = manager.post(f"/sessions/{sid}/force-close", {"reason": reason})
        assert refused.status_code == 422, refused.content
        assert refused.json()["code"] == "validation_error"
    refused = manager.post(f"/sessions/{sid}/force-close", {})
    assert refused.status_code == 422
    assert snapshot(sid) == before

    forbidden = alice.post(f"/sessions/{sid}/force-close", {"reason": "terminal crashed"})
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"
    assert snapshot(sid) == before

    forced = manager.post(f"/sessions/{sid}/force-close", {"reason": "terminal crashed"})
    assert forced.status_code == 200, forced.content
    body = forced.json()
    assert body["state"] == "closed"
    assert [
        (d["name"], d["expected"], d["counted"], d["difference"]) for d in body["differences"]
    ] == [
        ("Cash", "114.30", "114.30", "0.00"),
        ("Card", "9.90", "9.90", "0.00"),
    ]
    row = Session.objects.get(pk=sid)
    assert row.force_close_reason == "terminal crashed"
    assert row.closed_by.username == "manager"
    voided = Order.objects.get(uuid=draft["uuid"])
    assert voided.state == "void"
    assert "terminal crashed" in voided.void_reason
    assert not FinancialTransaction.objects.filter(session_id=sid, kind="difference").exists()
    assert balances()["Till 1 cash drawer"] == D("100.00")
    assert balances()["Safe"] == safe_before + D("14.30")
    assert SessionCount.objects.filter(session_id=sid, stage="closing").count() == 2
    report = manager.get(f"/sessions/{sid}/report").json()
    assert report["kind"] == "Z"
    assert report["notes"]["force_close_reason"] == "terminal crashed"
    audit = AuditEvent.objects.get(session_id=sid, action="session_force_closed")
    assert audit.user.username == "manager"
    assert audit.detail == "terminal crashed"
    journal_is_balanced()


def test_force_close_with_counts(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    forced = manager.post(
        f"/sessions/{session['id']}/force-close",
        {"reason": "count by the manager", "counts": [count(shop["cash1"], "104.30")]},
    )
    assert forced.status_code == 200, forced.content
    assert forced.json()["differences"][0]["difference"] == "-10.00"
    assert FinancialTransaction.objects.get(
        session_id=session["id"], kind="difference"
    ).amount == D("-10.00")
    journal_is_balanced()


def test_force_close_from_closing_control_uses_the_stored_counts(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    assert close(alice, sid, count(shop["cash1"], "107.00")).json()["state"] == "closing_control"
    forced = manager.post(f"/sessions/{sid}/force-close", {"reason": "cashier went home"})
    assert forced.status_code == 200, forced.content
    assert forced.json()["state"] == "closed"
    assert forced.json()["differences"][0]["counted"] == "107.00"
    assert FinancialTransaction.objects.get(session_id=sid, kind="difference").amount == D("-7.30")
    assert balances()["Till 1 cash drawer"] == D("100.00")
    journal_is_balanced()


def test_force_close_from_closing_control_keeps_the_cashiers_denominations(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    denominations = [{"value": "100.00", "quantity": 1}, {"value": "5.00", "quantity": 1}]
    response = close(alice, sid, count(shop["cash1"], denominations=denominations))
    assert response.json()["state"] == "closing_control"
    cash_count = SessionCount.objects.get(
        session_id=sid, stage="closing", payment_method=shop["cash1"]
    )
    assert cash_count.counted == D("105.00")
    assert cash_count.denominations.count() == 2

    forced = manager.post(f"/sessions/{sid}/force-close", {"reason": "cashier went home"})
    assert forced.status_code == 200
    cash_count = SessionCount.objects.get(
        session_id=sid, stage="closing", payment_method=shop["cash1"]
    )
    assert cash_count.counted == D("105.00")
    assert sorted(cash_count.denominations.values_list("value", "quantity")) == [
        (D("5.00"), 1),
        (D("100.00"), 1),
    ]
    assert cash_count.created_by.username == "alice"


def test_force_close_of_a_session_in_opening_control(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    forced = manager.post(f"/sessions/{created['id']}/force-close", {"reason": "opened by mistake"})
    assert forced.status_code == 200, forced.content
    assert forced.json()["state"] == "closed"
    assert alice.post(f"/profiles/{shop['till1'].pk}/sessions").status_code == 201


# --- blind close ------------------------------------------------------------------------------


def test_blind_close_hides_expected_from_the_cashier_only(api_as, shop):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(blind_close=True)
    alice, manager = api_as("alice"), api_as("manager")
    session = session_with_sales(alice, shop)

    blind = alice.get(f"/sessions/{session['id']}/closing").json()
    assert blind["blind"] is True
    assert all(line.get("expected") is None for line in blind["lines"])
    assert blind.get("expected_total") is None
    assert [line["name"] for line in blind["lines"]] == ["Cash", "Card"]
    x_report = alice.get(f"/sessions/{session['id']}/report").json()
    assert x_report["expected_now"] == []
    assert b"114.30" not in alice.get(f"/sessions/{session['id']}/closing").content

    seen = manager.get(f"/sessions/{session['id']}/closing").json()
    assert seen["blind"] is False
    assert [line["expected"] for line in seen["lines"]] == ["114.30", "9.90"]
    assert seen["expected_total"] == "124.20"

    # Blind or not, the server still checks the limit.
    response = close(alice, session["id"], count(shop["cash1"], "100.00"))
    assert response.json()["state"] == "closing_control"


def test_blind_close_omits_expected_as_the_contract_says(api_as, shop):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(blind_close=True)
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    blind = alice.get(f"/sessions/{session['id']}/closing").json()
    assert all("expected" not in line for line in blind["lines"])
    assert "expected_total" not in blind


# --- keep policies ----------------------------------------------------------------------------


def test_variable_keep_is_kept_and_is_the_next_expected_opening(api_as, shop):
    PaymentMethod.objects.filter(pk=shop["cash1"].pk).update(keep_policy="variable")
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    safe_before = balances()["Safe"]
    assert alice.get(f"/sessions/{session['id']}/closing").json()["lines"][0]["keep_policy"] == (
        "variable"
    )
    response = close(alice, session["id"], count(shop["cash1"], "114.30", keep="40.00"))
    assert response.status_code == 200, response.content
    cash = response.json()["differences"][0]
    assert (cash["keep"], cash["transferred"]) == ("40.00", "74.30")
    assert balances()["Till 1 cash drawer"] == D("40.00")
    assert balances()["Safe"] == safe_before + D("74.30")

    nxt = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    assert expected_of(alice, nxt["id"])["Cash"] == "40.00"
    opened = alice.post(
        f"/sessions/{nxt['id']}/open", {"counts": [count(shop["cash1"]) | {"amount": "40.00"}]}
    ).json()
    assert opened["opening"][0]["expected"] == "40.00"
    assert opened["opening"][0]["difference"] == "0.00"


def test_variable_keep_above_counted_is_refused_and_changes_nothing(api_as, shop):
    PaymentMethod.objects.filter(pk=shop["cash1"].pk).update(keep_policy="variable")
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    refused = close(alice, session["id"], count(shop["cash1"], "114.30", keep="114.31"))
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "keep_exceeds_counted"
    assert snapshot(session["id"]) == before
    assert before["state"] == "in_progress"
    # A negative keep is refused as well.
    refused = close(alice, session["id"], count(shop["cash1"], "114.30", keep="-1.00"))
    assert refused.status_code == 422
    assert snapshot(session["id"]) == before


@pytest.mark.parametrize(
    ("policy", "drawer", "safe_gain"),
    [("all", "111.30", "0.00"), ("none", "0.00", "111.30"), ("fixed", "100.00", "11.30")],
)
def test_keep_all_none_fixed(api_as, shop, policy, drawer, safe_gain):
    PaymentMethod.objects.filter(pk=shop["cash1"].pk).update(keep_policy=policy)
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    safe_before = balances()["Safe"]
    response = close(alice, session["id"], count(shop["cash1"], "111.30"))  # 3.00 short
    assert response.status_code == 200, response.content
    cash = response.json()["differences"][0]
    assert (cash["difference"], cash["keep"], cash["transferred"]) == ("-3.00", drawer, safe_gain)
    assert balances()["Till 1 cash drawer"] == D(drawer)
    assert balances()["Safe"] == safe_before + D(safe_gain)
    transfers = FinancialTransaction.objects.filter(
        session_id=session["id"], kind="transfer", account_id=shop["cash1"].financial_account_id
    )
    assert [t.amount for t in transfers] == ([] if safe_gain == "0.00" else [-D(safe_gain)])
    nxt = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    assert expected_of(alice, nxt["id"])["Cash"] == drawer
    journal_is_balanced()


def test_fixed_keep_above_the_count_keeps_the_count(api_as, shop):
    alice = api_as("alice")
    session = start_till1(alice, shop, "30.00")
    response = close(alice, session["id"], count(shop["cash1"], "30.00"))
    cash = response.json()["differences"][0]
    assert (cash["keep"], cash["transferred"]) == ("30.00", "0.00")
    assert balances()["Till 1 cash drawer"] == D("30.00")


# --- partial close (X) ------------------------------------------------------------------------


def test_partial_close_stores_counts_and_drops(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    safe_before = balances()["Safe"]

    response = alice.post(
        f"/sessions/{sid}/partial-close",
        {
            "counts": [
                count(
                    shop["cash1"],
                    "64.30",
                    denominations=[
                        {"value": "50.00", "quantity": 1},
                        {"value": "10.00", "quantity": 1},
                        {"value": "2.00", "quantity": 2},
                        {"value": "0.10", "quantity": 3},
                    ],
                )
            ],
            "drop": {"payment_method": shop["cash1"].pk, "amount": "50.00", "reason": "too much"},
        },
    )
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["kind"] == "X"
    assert report["session"]["state"] == "in_progress"
    assert [(c["counted"], c["expected"], c["difference"]) for c in report["partial_counts"]] == [
        ("64.30", "64.30", "0.00")
    ]
    assert [(m["kind"], m["amount"], m["destination"]) for m in report["cash_moves"]] == [
        ("drop", "50.00", "Safe")
    ]
    rows = SessionCount.objects.filter(session_id=sid, stage="partial")
    assert [(r.counted, r.expected, r.denominations.count()) for r in rows] == [
        (D("64.30"), D("64.30"), 4)
    ]
    assert not SessionCount.objects.filter(session_id=sid, stage="closing").exists()
    assert not FinancialTransaction.objects.filter(session_id=sid, kind="difference").exists()
    assert Session.objects.get(pk=sid).state == "in_progress"
    assert expected_of(alice, sid)["Cash"] == "64.30"
    assert balances()["Safe"] == safe_before + D("50.00")

    # A second X is allowed; then the close.
    second = alice.post(
        f"/sessions/{sid}/partial-close", {"counts": [count(shop["cash1"], "64.00")]}
    )
    assert second.status_code == 200
    assert [c["difference"] for c in second.json()["partial_counts"]] == ["0.00", "-0.30"]
    closed = close(alice, sid, count(shop["cash1"], "64.30"))
    assert closed.json()["state"] == "closed"
    cash = closed.json()["differences"][0]
    assert (cash["expected"], cash["keep"], cash["transferred"]) == ("64.30", "64.30", "0.00")
    assert balances()["Till 1 cash drawer"] == D("64.30")
    assert balances()["Safe"] == safe_before + D("50.00")
    journal_is_balanced()


def test_partial_close_refusals_change_nothing(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    sid = session["id"]
    before = snapshot(sid)
    # A non-countable method cannot be counted; the drop in the same request is undone.
    response = alice.post(
        f"/sessions/{sid}/partial-close",
        {
            "counts": [count(shop["card1"], "9.90")],
            "drop": {"payment_method": shop["cash1"].pk, "amount": "10.00"},
        },
    )
    assert response.status_code == 422, response.content
    assert snapshot(sid) == before
    response = alice.post(
        f"/sessions/{sid}/partial-close",
        {"drop": {"payment_method": shop["cash1"].pk, "amount": "114.31"}},
    )
    assert (response.status_code, response.json()["code"]) == (422, "insufficient_cash")
    assert snapshot(sid) == before


# --- cash moves -------------------------------------------------------------------------------


def test_cash_moves_and_balances_to_the_cent(api_as, shop):
    alice = api_as("alice")
    cash = shop["cash1"].pk
    session = session_with_sales(alice, shop)  # drawer 114.30
    sid = session["id"]
    start = balances()

    destinations = alice.get(f"/profiles/{shop['till1'].pk}/cash-move-destinations")
    assert destinations.status_code == 200
    assert destinations.json() == {"drop": ["Safe"], "deposit": ["Safe"]}

    drop = alice.post(
        f"/sessions/{sid}/cash-moves",
        {
            "kind": "drop",
            "payment_method": cash,
            "amount": "60.05",
            "destination": "Safe",
            "reason": "big notes",
        },
    )
    assert drop.status_code == 201, drop.content
    assert {k: drop.json()[k] for k in ("kind", "amount", "destination", "reason", "session")} == {
        "kind": "drop",
        "amount": "60.05",
        "destination": "Safe",
        "reason": "big notes",
        "session": sid,
    }
    deposit = alice.post(
        f"/sessions/{sid}/cash-moves",
        {"kind": "deposit", "payment_method": cash, "amount": "20.10", "reason": "change"},
    )
    assert deposit.status_code == 201, deposit.content
    assert deposit.json()["destination"] == "Safe"

    now = balances()
    assert now["Till 1 cash drawer"] == start["Till 1 cash drawer"] - D("60.05") + D("20.10")
    assert now["Till 1 cash drawer"] == D("74.35")
    assert now["Safe"] == start["Safe"] + D("60.05") - D("20.10")
    assert expected_of(alice, sid)["Cash"] == "74.35"
    comments = list(
        FinancialTransaction.objects.filter(session_id=sid, kind__in=["drop", "deposit"])
        .order_by("id")
        .values_list("comment", flat=True)
    )
    assert "to Safe: big notes" in comments[0]
    assert "from Safe: change" in comments[2]

    # A drop above what the drawer holds changes nothing.
    before = snapshot(sid)
    refused = alice.post(
        f"/sessions/{sid}/cash-moves", {"kind": "drop", "payment_method": cash, "amount": "74.36"}
    )
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "insufficient_cash"
    assert refused.json()["available"] == "74.35"
    assert snapshot(sid) == before
    # The whole drawer may go.
    exact = alice.post(
        f"/sessions/{sid}/cash-moves", {"kind": "drop", "payment_method": cash, "amount": "74.35"}
    )
    assert exact.status_code == 201
    back = alice.post(
        f"/sessions/{sid}/cash-moves",
        {"kind": "deposit", "payment_method": cash, "amount": "74.35"},
    )
    assert back.status_code == 201
    before = snapshot(sid)

    # Bad moves.
    for body, status, code in [
        ({"kind": "steal", "payment_method": cash, "amount": "1.00"}, 422, "validation_error"),
        ({"kind": "drop", "payment_method": cash, "amount": "0.00"}, 422, "validation_error"),
        ({"kind": "drop", "payment_method": cash, "amount": "-1.00"}, 422, "validation_error"),
        ({"kind": "drop", "payment_method": cash, "amount": "1.001"}, 422, "validation_error"),
        (
            {"kind": "drop", "payment_method": cash, "amount": "1.00", "destination": "Moon"},
            422,
            "validation_error",
        ),
        (
            {"kind": "drop", "payment_method": shop["cash2"].pk, "amount": "1.00"},
            422,
            "unknown_payment_method",
        ),
        (
            {"kind": "drop", "payment_method": shop["card1"].pk, "amount": "1.00"},
            422,
            "validation_error",
        ),  # card has no drop G/L item
    ]:
        response = alice.post(f"/sessions/{sid}/cash-moves", body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    bob = api_as("bob").post(
        f"/sessions/{sid}/cash-moves", {"kind": "drop", "payment_method": cash, "amount": "1.00"}
    )
    assert (bob.status_code, bob.json()["code"]) == (403, "not_session_owner")
    assert snapshot(sid) == before

    moves = alice.get(f"/sessions/{sid}/cash-moves").json()
    assert [(m["kind"], m["amount"]) for m in moves] == [
        ("drop", "60.05"),
        ("deposit", "20.10"),
        ("drop", "74.35"),
        ("deposit", "74.35"),
    ]

    closed = close(alice, sid, count(shop["cash1"], "74.35"))
    assert closed.json()["state"] == "closed"
    end = balances()
    assert end["Till 1 cash drawer"] == D("74.35")  # fixed 100.00 > counted: keep it all
    assert end["Safe"] == start["Safe"] + D("60.05") - D("20.10")
    assert end["Bank"] == start["Bank"] + D("9.90")
    lines = entry_lines(alice, sid)
    assert ("1000", "Cash drop", "0.00", "134.40") in lines
    assert ("1010", "Cash drop", "134.40", "0.00") in lines
    assert ("1000", "Cash deposit", "94.45", "0.00") in lines
    assert ("1010", "Cash deposit", "0.00", "94.45") in lines
    # Every transaction of the session is reconciled; the safe's in its own reconciliation.
    assert not FinancialTransaction.objects.filter(session_id=sid, reconciliation=None).exists()
    safe_rec = Reconciliation.objects.get(session_id=sid, account__name="Safe")
    assert safe_rec.end_balance - safe_rec.start_balance == D("39.95")
    assert safe_rec.transaction_count == 4
    after_close = alice.post(
        f"/sessions/{sid}/cash-moves", {"kind": "deposit", "payment_method": cash, "amount": "1.00"}
    )
    assert (after_close.status_code, after_close.json()["code"]) == (409, "invalid_state")
    journal_is_balanced()


def test_financial_accounts_endpoint_shows_balances(api_as, shop):
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    close(alice, session["id"], count(shop["cash1"], "114.30"))
    assert alice.get("/financial-accounts").status_code == 403
    accounts = {a["name"]: a for a in api_as("accountant").get("/financial-accounts").json()}
    assert accounts["Till 1 cash drawer"]["balance"] == "100.00"
    assert accounts["Till 1 cash drawer"]["payment_method"] == shop["cash1"].pk
    assert accounts["Safe"]["balance"] == "14.30"
    assert accounts["Bank"]["balance"] == "9.90"


# --- posting and stock modes ------------------------------------------------------------------


def test_per_order_posting(api_as, shop):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(posting_mode="per_order")
    alice = api_as("alice")
    session = start_till1(alice, shop)
    sid = session["id"]
    synced = sync(alice, sid, *worked_orders(shop), order([(shop["mug"].pk, "1")], state="draft"))
    drafts = [r["uuid"] for r in synced if r["order"]["state"] == "draft"]
    entries = JournalEntry.objects.filter(session_id=sid)
    assert entries.count() == 4
    assert all(e.kind == "order" and e.order_id is not None for e in entries)
    assert {str(e.order.uuid) for e in entries} == {
        r["uuid"] for r in synced if r["uuid"] not in drafts
    }
    journal_is_balanced()
    alice.post(f"/orders/{drafts[0]}/void", {"reason": "no"})

    closed = close(alice, sid, count(shop["cash1"], "113.10"))
    assert closed.json()["state"] == "closed"
    entries = list(JournalEntry.objects.filter(session_id=sid).order_by("id"))
    assert [e.kind for e in entries] == ["order"] * 4 + ["session"]
    journal_is_balanced()
    # The close entry books movements only; sales were booked order by order.
    close_codes = {line.account.code for line in entries[-1].lines.all()}
    assert close_codes.isdisjoint({"7000", "7010", "2000", "2010"})
    # Same totals per account as the worked example's single entry (plus the opening
    # difference of this first float, booked at close).
    assert net_by_account(entry_lines(alice, sid)) == {
        "1000": D("100.00"),  # opening +100.00, cash +14.30, difference −1.20, transfer −13.10
        "1010": D("13.10"),
        "1100": D("9.90"),
        "2000": D("-3.44"),
        "2010": D("-0.25"),
        "6580": D("-98.80"),  # opening gain 100.00, shortage 1.20
        "7000": D("-16.36"),
        "7010": D("-4.15"),
    }


def test_stock_real_time_moves_at_sync(api_as, shop):
    alice = api_as("alice")
    session = start_till1(alice, shop)
    sync(alice, session["id"], *worked_orders(shop), order([(shop["mug"].pk, "5")], state="draft"))
    moves = StockMove.objects.filter(session_id=session["id"])
    # One move per product and synced batch (the draft moves nothing).
    assert moves.count() == 2
    per_product = {}
    for m in moves:
        per_product[m.product_id] = per_product.get(m.product_id, 0) + m.quantity
    assert per_product == {shop["espresso"].pk: D("-2"), shop["mug"].pk: D("-2")}
    api_as("manager").post(f"/sessions/{session['id']}/force-close", {"reason": "done"})
    assert StockMove.objects.filter(session_id=session["id"]).count() == 2


def test_stock_at_close_moves_once_per_product(api_as, shop):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(stock_mode="at_close")
    alice = api_as("alice")
    session = start_till1(alice, shop)
    sid = session["id"]
    sync(alice, sid, *worked_orders(shop), order([(shop["mug"].pk, "5")], state="draft"))
    assert not StockMove.objects.exists()
    # Refused close moves nothing.
    assert close(alice, sid, count(shop["cash1"], "114.30")).status_code == 409
    assert not StockMove.objects.exists()
    api_as("manager").post(f"/sessions/{sid}/force-close", {"reason": "done"})
    moves = StockMove.objects.filter(session_id=sid)
    assert sorted((m.product_id, m.quantity) for m in moves) == sorted(
        [(shop["espresso"].pk, D("-2")), (shop["mug"].pk, D("-2"))]
    )


# --- invoices -----------------------------------------------------------------------------------


def test_to_invoice_orders_are_invoiced_at_sync_and_not_consolidated(api_as, shop):
    alice = api_as("alice")
    cash = shop["cash1"].pk
    hoek = Customer.objects.get(name="Café De Hoek").pk
    session = start_till1(alice, shop)
    sid = session["id"]
    own = order([(shop["mug"].pk, "2")], [(cash, "19.80")], customer=hoek, to_invoice=True)
    own_refund = order([(shop["mug"].pk, "-1")], [(cash, "-9.90")], customer=hoek, to_invoice=True)
    anonymous = order([(shop["espresso"].pk, "1")], [(cash, "2.20")], to_invoice=True)
    plain = order([(shop["espresso"].pk, "3")], [(cash, "6.60")], customer=hoek)
    results = sync(alice, sid, own, own_refund, anonymous, plain, *worked_orders(shop))
    assert [r["order"]["state"] for r in results[:4]] == [
        "invoiced",
        "invoiced",
        "invoiced",
        "paid",
    ]
    invoices = alice.get(f"/sessions/{sid}/invoices").json()
    assert [
        (i["kind"], i["consolidated"], i["customer_name"], i["total"], i["orders"])
        for i in invoices
    ] == [
        ("invoice", False, "Café De Hoek", "19.80", [own["uuid"]]),
        ("credit_note", False, "Café De Hoek", "9.90", [own_refund["uuid"]]),
        ("invoice", False, "Walk-in customer", "2.20", [anonymous["uuid"]]),
    ]

    close(alice, sid, count(shop["cash1"], "133.00"))
    invoices = alice.get(f"/sessions/{sid}/invoices").json()
    assert len(invoices) == 3 + 3
    individual, consolidated = invoices[:3], invoices[3:]
    assert all(not i["consolidated"] for i in individual)
    assert sorted(
        (i["kind"], i["customer_name"], i["total"], len(i["orders"])) for i in consolidated
    ) == [
        ("credit_note", "Walk-in customer", "2.20", 1),
        ("invoice", "Café De Hoek", "6.60", 1),
        ("invoice", "Walk-in customer", "26.40", 3),
    ]
    consolidated_uuids = {u for i in consolidated for u in i["orders"]}
    assert consolidated_uuids.isdisjoint({own["uuid"], own_refund["uuid"], anonymous["uuid"]})
    assert plain["uuid"] in consolidated_uuids
    # Each sold order is on exactly one document.
    all_uuids = [u for i in invoices for u in i["orders"]]
    assert len(all_uuids) == len(set(all_uuids)) == 8
    assert not Order.objects.filter(session_id=sid, invoice=None).exists()


class OneInvoiceNetted:
    """Example rule: one document for the whole session, refunds netted, to the walk-in
    customer; a credit note when refunds outweigh sales."""

    def group(self, orders: Sequence[OrderRow], *, walk_in_customer_id: int) -> list[InvoiceGroup]:
        if not orders:
            return []
        total = sum((o.total for o in orders), D(0))
        return [
            InvoiceGroup(
                kind=INVOICE if total >= 0 else CREDIT_NOTE,
                customer_id=walk_in_customer_id,
                order_ids=tuple(o.id for o in orders),
            )
        ]


class OneInvoicePerOrder:
    def group(self, orders: Sequence[OrderRow], *, walk_in_customer_id: int) -> list[InvoiceGroup]:
        return [
            InvoiceGroup(
                kind=INVOICE if o.total >= 0 else CREDIT_NOTE,
                customer_id=o.customer_id or walk_in_customer_id,
                order_ids=(o.id,),
            )
            for o in orders
        ]


class ForgetfulRule:
    """A broken plugin: leaves the first order out."""

    def group(self, orders: Sequence[OrderRow], *, walk_in_customer_id: int) -> list[InvoiceGroup]:
        return [InvoiceGroup(INVOICE, walk_in_customer_id, tuple(o.id for o in orders[1:]))]


@pytest.fixture
def rule_plugins(monkeypatch):
    """Register this module's rules in the ``opentill.invoicing_rules`` entry point group."""
    plugins = [
        EntryPoint(name=name, value=f"{__name__}:{cls}", group=rules.ENTRY_POINT_GROUP)
        for name, cls in [
            ("one_for_all", "OneInvoiceNetted"),
            ("per_order", "OneInvoicePerOrder"),
            ("forgetful", "ForgetfulRule"),
        ]
    ]

    def fake_entry_points(*, group: str):
        return [ep for ep in plugins if ep.group == group]

    rules.load_rule.cache_clear()
    monkeypatch.setattr(rules, "entry_points", fake_entry_points)
    yield
    rules.load_rule.cache_clear()


def test_custom_invoicing_rule_one_invoice_netted(api_as, shop, rule_plugins):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(invoicing_rule="one_for_all")
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    assert close(alice, session["id"], count(shop["cash1"], "114.30")).json()["state"] == "closed"
    invoices = alice.get(f"/sessions/{session['id']}/invoices").json()
    assert [
        (
            i["kind"],
            i["consolidated"],
            i["customer_name"],
            i["net_total"],
            i["tax_total"],
            i["total"],
            len(i["orders"]),
        )
        for i in invoices
    ] == [("invoice", True, "Walk-in customer", "20.51", "3.69", "24.20", 4)]


def test_custom_invoicing_rule_one_per_order(api_as, shop, rule_plugins):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(invoicing_rule="per_order")
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    close(alice, session["id"], count(shop["cash1"], "114.30"))
    invoices = alice.get(f"/sessions/{session['id']}/invoices").json()
    assert sorted((i["kind"], i["total"]) for i in invoices) == [
        ("credit_note", "2.20"),
        ("invoice", "12.10"),
        ("invoice", "4.40"),
        ("invoice", "9.90"),
    ]
    assert all(len(i["orders"]) == 1 and i["consolidated"] for i in invoices)


def test_unknown_invoicing_rule_refuses_the_close(api_as, shop, rule_plugins):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(invoicing_rule="nowhere")
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    refused = close(alice, session["id"], count(shop["cash1"], "114.30"))
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "invalid_state"
    assert "nowhere" in refused.json()["detail"]
    assert snapshot(session["id"]) == before


def test_broken_invoicing_rule_rolls_the_close_back(api_as, shop, rule_plugins):
    PosProfile.objects.filter(pk=shop["till1"].pk).update(invoicing_rule="forgetful")
    alice = api_as("alice")
    session = session_with_sales(alice, shop)
    before = snapshot(session["id"])
    refused = close(alice, session["id"], count(shop["cash1"], "114.30"))
    assert refused.status_code == 500
    assert refused.json()["code"] == "server_error"
    assert "Traceback" not in refused.content.decode()
    assert snapshot(session["id"]) == before
    # Fix the configuration: the close goes through.
    PosProfile.objects.filter(pk=shop["till1"].pk).update(invoicing_rule="")
    assert close(alice, session["id"], count(shop["cash1"], "114.30")).json()["state"] == "closed"
    assert Invoice.objects.filter(session_id=session["id"]).count() == 2
    assert CashMove.objects.count() == 0
