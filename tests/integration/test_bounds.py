"""Bounds where money enters a session (opentill.limits), and a session that can always be
closed: the deposit flood of issue 9, counts beyond the bounds, a negative expected cash."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from opentill.accounting.models import FinancialTransaction, JournalEntry
from opentill.accounting.selectors import account_balance
from opentill.audit.models import AuditEvent
from opentill.limits import MAX_AMOUNT, MAX_BALANCE, MAX_COUNT
from opentill.pos.models import CashMove, Session, SessionCount
from tests.conftest import order
from tests.integration.checks import assert_problem
from tests.integration.closing_helpers import journal_is_balanced
from tests.integration.helpers import open_session, sync

D = Decimal


def deposit(api, session_id, method, amount):
    return api.post(
        f"/sessions/{session_id}/cash-moves",
        {"kind": "deposit", "payment_method": method.pk, "amount": amount, "reason": "change"},
    )


def test_the_limits_are_the_ones_this_file_was_written_for():
    # The figures below are written by hand for these bounds.
    assert (MAX_AMOUNT, MAX_BALANCE, MAX_COUNT) == (
        D("1000000000.00"),
        D("100000000000.00"),
        D("100000000000.00"),
    )


# --- cash moves -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["deposit", "drop"])
def test_a_cash_move_above_the_maximum_amount_is_refused_with_its_location(api_as, shop, kind):
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    response = alice.post(
        f"/sessions/{session['id']}/cash-moves",
        {"kind": kind, "payment_method": shop["cash2"].pk, "amount": "1000000000.01"},
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [{"loc": ["body", "amount"], "msg": "must be <= 1000000000.00"}]
    assert not CashMove.objects.exists()
    assert not FinancialTransaction.objects.exists()


def test_the_issue_flood_is_refused_at_the_first_deposit(api_as, shop):
    """Issue 9, point 5: 9,300 deposits of 9999999999999.99 were accepted, then nothing
    could read or close the session. The very first one is refused now."""
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    response = deposit(alice, session["id"], shop["cash2"], "9999999999999.99")
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", "amount"]
    assert account_balance(account_id=shop["cash2"].financial_account_id) == D("0.00")


@pytest.mark.slow
def test_a_deposit_flood_stops_at_the_balance_limit_and_the_session_still_closes(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    session = open_session(alice, shop["till2"].pk)
    sid = session["id"]
    # 100 deposits of the largest amount fill the drawer exactly to 100,000,000,000.00.
    for _ in range(100):
        assert deposit(alice, sid, shop["cash2"], "1000000000.00").status_code == 201
    refused = deposit(alice, sid, shop["cash2"], "0.01")
    body = assert_problem(refused, 422, "validation_error")
    assert body["errors"] == [
        {"loc": ["body", "amount"], "msg": "the drawer may hold at most 100000000000.00"}
    ]
    assert body["available"] == "100000000000.00"
    assert "would then hold 100000000000.01" in body["detail"]
    assert CashMove.objects.filter(session_id=sid).count() == 100

    # Everything that read or closed the flooded session answers.
    closing = alice.get(f"/sessions/{sid}/closing")
    assert closing.status_code == 200, closing.content
    assert closing.json()["lines"][0]["expected"] == "100000000000.00"
    assert alice.get(f"/sessions/{sid}/report").status_code == 200
    staff = Client()
    staff.force_login(User.objects.get(username="manager"))
    assert staff.get(f"/admin/pos/session/{sid}/change/").status_code == 200

    # A drop back from the limit is always allowed.
    drop = alice.post(
        f"/sessions/{sid}/cash-moves",
        {"kind": "drop", "payment_method": shop["cash2"].pk, "amount": "0.01"},
    )
    assert drop.status_code == 201, drop.content

    # The cashier counts nothing (a difference far beyond 5.00): it waits for a manager,
    # who force-closes it with the cashier's count.
    waiting = alice.post(
        f"/sessions/{sid}/close",
        {"counts": [{"payment_method": shop["cash2"].pk, "counted": "0.00"}]},
    )
    assert waiting.status_code == 200, waiting.content
    assert waiting.json()["state"] == "closing_control"
    assert waiting.json()["differences"][0]["difference"] == "-99999999999.99"
    assert alice.get(f"/sessions/{sid}/report").status_code == 200
    closed = manager.post(f"/sessions/{sid}/force-close", {"reason": "flood test"})
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    assert account_balance(account_id=shop["cash2"].financial_account_id) == D("0.00")
    assert manager.get(f"/sessions/{sid}/report").status_code == 200
    journal_is_balanced()

    # The till is free again, and a full drawer closes normally when counted.
    again = open_session(alice, shop["till2"].pk)
    for _ in range(100):
        assert deposit(alice, again["id"], shop["cash2"], "1000000000.00").status_code == 201
    counted = alice.post(
        f"/sessions/{again['id']}/close",
        {"counts": [{"payment_method": shop["cash2"].pk, "counted": "100000000000.00"}]},
    )
    assert counted.status_code == 200, counted.content
    assert counted.json()["state"] == "closed"
    assert counted.json()["differences"][0] == {
        "payment_method": shop["cash2"].pk,
        "name": "Cash",
        "expected": "100000000000.00",
        "counted": "100000000000.00",
        "difference": "0.00",
        "keep": "100.00",
        "transferred": "99999999900.00",
        "not_counted": False,
    }
    journal_is_balanced()


def test_a_deposit_back_towards_the_limit_from_below_zero_is_allowed(api_as, shop):
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    # A refund paid in cash: the drawer is expected to hold -2.20.
    (result,) = sync(
        alice,
        session["id"],
        order([(shop["espresso"].pk, "-1")], [(shop["cash2"].pk, "-2.20")]),
    )
    assert result["status"] == "created", result
    assert deposit(alice, session["id"], shop["cash2"], "2.20").status_code == 201
    assert account_balance(account_id=shop["cash2"].financial_account_id) == D("0.00")


# --- counts ---------------------------------------------------------------------------------


def test_an_opening_count_beyond_the_bounds_is_refused_and_nothing_stored(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    response = alice.post(
        f"/sessions/{session['id']}/open",
        {"counts": [{"payment_method": shop["cash1"].pk, "amount": "100000000000.01"}]},
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [
        {
            "loc": ["body", "counts", 0, "amount"],
            "msg": "a counted amount is at most 100000000000.00",
        }
    ]
    # More coins of one value than the bound.
    too_many = alice.post(
        f"/sessions/{session['id']}/open",
        {
            "counts": [
                {
                    "payment_method": shop["cash1"].pk,
                    "denominations": [{"value": "1.00", "quantity": 1000001}],
                }
            ]
        },
    )
    assert_problem(too_many, 422, "validation_error")
    assert Session.objects.get(pk=session["id"]).state == "opening_control"
    assert not SessionCount.objects.exists()
    assert not FinancialTransaction.objects.exists()


def test_the_denominations_of_a_count_may_not_add_up_beyond_the_bound(api_as, shop):
    from opentill.pos.models import Denomination

    Denomination.objects.create(payment_method=shop["cash1"], value=D("1000000.00"), kind="note")
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    response = alice.post(
        f"/sessions/{session['id']}/open",
        {
            "counts": [
                {
                    "payment_method": shop["cash1"].pk,
                    "denominations": [{"value": "1000000.00", "quantity": 100001}],
                }
            ]
        },
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [
        {
            "loc": ["body", "counts", 0],
            "msg": "the denominations add up to more than 100000000000.00",
        }
    ]
    assert not SessionCount.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "msg"),
    [
        ("counted", "100000000000.01", "a counted amount is at most 100000000000.00"),
        ("keep", "100000000000.01", "cash to keep is at most 100000000000.00"),
    ],
)
def test_close_counts_beyond_the_bounds_are_refused(api_as, shop, field, value, msg):
    alice, manager = api_as("alice"), api_as("manager")
    session = open_session(alice, shop["till2"].pk)
    sid = session["id"]
    count = {"payment_method": shop["cash2"].pk, "counted": "0.00", field: value}
    for api, path, body in (
        (alice, "close", {"counts": [count]}),
        (alice, "partial-close", {"counts": [count]}),
        (manager, "force-close", {"reason": "broken", "counts": [count]}),
    ):
        response = api.post(f"/sessions/{sid}/{path}", body)
        problem = assert_problem(response, 422, "validation_error")
        assert problem["errors"] == [{"loc": ["body", "counts", 0, field], "msg": msg}], path
    assert Session.objects.get(pk=sid).state == "in_progress"
    assert not SessionCount.objects.filter(session_id=sid).exists()


# --- a negative expected cash ---------------------------------------------------------------


def _refunded_session(api_as, shop):
    """A session on Till 2 whose only ticket is a cash refund: the drawer should hold -6.60."""
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    (result,) = sync(
        alice,
        session["id"],
        order([(shop["espresso"].pk, "-3")], [(shop["cash2"].pk, "-6.60")]),
    )
    assert result["status"] == "created", result
    closing = alice.get(f"/sessions/{session['id']}/closing").json()
    assert closing["lines"][0]["expected"] == "-6.60"
    return session


def test_force_close_without_counts_of_a_negative_expected_cash_books_the_difference(api_as, shop):
    session = _refunded_session(api_as, shop)
    sid = session["id"]
    response = api_as("manager").post(f"/sessions/{sid}/force-close", {"reason": "till broken"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "closed"
    cash, card = body["differences"]
    assert cash == {
        "payment_method": shop["cash2"].pk,
        "name": "Cash",
        "expected": "-6.60",
        "counted": "0.00",
        "difference": "6.60",
        "keep": "0.00",
        "transferred": "0.00",
        "not_counted": True,
    }
    assert (card["counted"], card["not_counted"]) == ("0.00", False)
    diff = FinancialTransaction.objects.get(session_id=sid, kind="difference")
    assert (diff.account_id, diff.amount) == (shop["cash2"].financial_account_id, D("6.60"))
    assert account_balance(account_id=shop["cash2"].financial_account_id) == D("0.00")
    stored = SessionCount.objects.get(session_id=sid, payment_method=shop["cash2"], stage="closing")
    assert (stored.counted, stored.difference, stored.not_counted) == (D("0.00"), D("6.60"), True)
    assert JournalEntry.objects.filter(session_id=sid).count() == 1
    journal_is_balanced()
    event = AuditEvent.objects.get(session_id=sid, action="session_force_closed")
    assert event.after["counts"]["Cash"]["not_counted"] is True


def test_a_cashier_counting_zero_against_a_negative_expected_waits_then_is_validated(api_as, shop):
    session = _refunded_session(api_as, shop)
    response = api_as("alice").post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash2"].pk, "counted": "0.00"}]},
    )
    assert response.status_code == 200, response.content
    # 6.60 is beyond the 5.00 maximum: it waits for a manager, who validates it.
    assert response.json()["state"] == "closing_control"
    validated = api_as("manager").post(f"/sessions/{session['id']}/validate-closing", {})
    assert validated.status_code == 200, validated.content
    assert validated.json()["differences"][0]["difference"] == "6.60"
    assert account_balance(account_id=shop["cash2"].financial_account_id) == D("0.00")
