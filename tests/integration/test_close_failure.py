"""A close that fails half-way posts nothing: one transaction, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from opentill.accounting.models import FinancialTransaction, JournalEntry, Reconciliation
from opentill.audit.models import AuditEvent
from opentill.closing import services as closing
from opentill.invoicing.models import Invoice
from opentill.pos.counting import CountInput
from opentill.pos.models import PosProfile, Session, SessionCount
from tests.conftest import order
from tests.integration.closing_helpers import (
    balances,
    close,
    count,
    journal_is_balanced,
    snapshot,
    start_till1,
)
from tests.integration.helpers import sync

D = Decimal


class Boom(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Boom("injected fault")


def explode_on_call(n: int, real):
    """Let the first ``n - 1`` calls through, then fail."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= n:
            raise Boom("injected fault")
        return real(*args, **kwargs)

    return wrapper


# Where to fail: each is a step of closing._post, after the steps before it have written.
FAULTS = {
    "reconciliation": lambda: explode_on_call(3, closing.reconciliation_create),
    "invoices": lambda: explode,
    "journal": lambda: explode,
    "stock": lambda: explode,
}
TARGETS = {
    "reconciliation": "reconciliation_create",
    "invoices": "invoices_consolidate",
    "journal": "journal_entry_create",
    "stock": None,
}


def inject(monkeypatch, where: str) -> None:
    if where == "stock":
        PosProfile.objects.update(stock_mode="at_close")
        from opentill.catalog.models import StockMove

        monkeypatch.setattr(StockMove.objects, "bulk_create", explode)
    else:
        monkeypatch.setattr(closing, TARGETS[where], FAULTS[where]())


def session_with_sales(alice, shop) -> int:
    session = start_till1(alice, shop)
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    sync(
        alice,
        session["id"],
        order([(e, "2")], [(cash, "4.40")]),
        order([(m, "1")], [(card, "9.90")]),
        order([(m, "1"), (e, "1")], [(cash, "12.10")]),
        order([(e, "-1")], [(cash, "-2.20")]),
    )
    return session["id"]


def assert_nothing_posted(sid: int, before: dict) -> None:
    assert snapshot(sid) == before
    session = Session.objects.get(pk=sid)
    assert session.closed_at is None
    assert not FinancialTransaction.objects.filter(
        session_id=sid, kind__in=["difference", "transfer"]
    ).exists()
    assert not Reconciliation.objects.filter(session_id=sid).exists()
    assert not JournalEntry.objects.filter(session_id=sid).exists()
    assert not Invoice.objects.filter(session_id=sid).exists()
    assert not AuditEvent.objects.filter(
        session_id=sid,
        action__in=["session_closed", "session_validated", "session_force_closed"],
    ).exists()


def assert_posted(sid: int, start: dict) -> None:
    session = Session.objects.get(pk=sid)
    assert session.state == "closed"
    assert FinancialTransaction.objects.get(session_id=sid, kind="difference").amount == D("-1.20")
    assert Reconciliation.objects.filter(session_id=sid).count() == 4
    assert JournalEntry.objects.filter(session_id=sid).count() == 1
    assert Invoice.objects.filter(session_id=sid).count() == 2
    end = balances()
    assert end["Till 1 cash drawer"] == D("100.00")
    assert end["Safe"] == start["Safe"] + D("13.10")
    assert end["Bank"] == start["Bank"] + D("9.90")
    journal_is_balanced()


@pytest.mark.parametrize("where", list(FAULTS))
def test_fault_during_close_answers_500_and_posts_nothing(api_as, shop, monkeypatch, where):
    alice = api_as("alice")
    sid = session_with_sales(alice, shop)
    inject(monkeypatch, where)
    before = snapshot(sid)
    assert before["state"] == "in_progress"

    response = close(alice, sid, count(shop["cash1"], "113.10"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "server_error"
    assert body["status"] == 500
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    text = response.content.decode()
    assert "Traceback" not in text and "injected fault" not in text and "Boom" not in text
    assert_nothing_posted(sid, before)
    assert not SessionCount.objects.filter(session_id=sid, stage="closing").exists()

    monkeypatch.undo()
    response = close(alice, sid, count(shop["cash1"], "113.10"))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    assert_posted(sid, before["balances"])


@pytest.mark.parametrize("where", ["invoices", "journal"])
def test_fault_in_the_service_raises_and_posts_nothing(shop, monkeypatch, where):
    from opentill.identity.services import token_issue
    from tests.conftest import Api

    token, alice = token_issue(username="alice", password="demo")
    sid = session_with_sales(Api(token), shop)
    inject(monkeypatch, where)
    before = snapshot(sid)
    counts = [CountInput(payment_method_id=shop["cash1"].pk, counted=D("113.10"))]
    with pytest.raises(Boom):
        closing.session_close(session_id=sid, user=alice, counts=counts)
    assert_nothing_posted(sid, before)

    monkeypatch.undo()
    result = closing.session_close(session_id=sid, user=alice, counts=counts)
    assert result.session.state == "closed"
    assert_posted(sid, before["balances"])


def test_fault_during_validation_leaves_the_session_waiting(api_as, shop, monkeypatch):
    alice, manager = api_as("alice"), api_as("manager")
    sid = session_with_sales(alice, shop)
    waiting = close(alice, sid, count(shop["cash1"], "107.00"))
    assert waiting.json()["state"] == "closing_control"
    before = snapshot(sid)
    monkeypatch.setattr(closing, "journal_entry_create", explode)
    response = manager.post(f"/sessions/{sid}/validate-closing", {"notes": "ok"})
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert snapshot(sid) == before
    assert before["state"] == "closing_control"
    assert Session.objects.get(pk=sid).closing_notes == ""
    monkeypatch.undo()
    response = manager.post(f"/sessions/{sid}/validate-closing", {"notes": "ok"})
    assert response.json()["state"] == "closed"
    assert FinancialTransaction.objects.get(session_id=sid, kind="difference").amount == D("-7.30")
    journal_is_balanced()


def test_fault_during_force_close_does_not_void_drafts(api_as, shop, monkeypatch):
    alice, manager = api_as("alice"), api_as("manager")
    sid = session_with_sales(alice, shop)
    draft = order([(shop["mug"].pk, "1")], state="draft")
    sync(alice, sid, draft)
    before = snapshot(sid)
    monkeypatch.setattr(closing, "invoices_consolidate", explode)
    response = manager.post(f"/sessions/{sid}/force-close", {"reason": "crash"})
    assert response.status_code == 500
    assert snapshot(sid) == before
    assert Session.objects.get(pk=sid).force_close_reason == ""
    monkeypatch.undo()
    response = manager.post(f"/sessions/{sid}/force-close", {"reason": "crash"})
    assert response.json()["state"] == "closed"
    journal_is_balanced()


@pytest.mark.django_db(transaction=True)
def test_fault_rolls_back_a_real_transaction(api_as, shop, monkeypatch):
    """The same, outside the test's wrapping transaction: the close's own atomic block is
    the outermost one, so its rollback is a real ROLLBACK."""
    alice = api_as("alice")
    sid = session_with_sales(alice, shop)
    inject(monkeypatch, "journal")
    before = snapshot(sid)
    response = close(alice, sid, count(shop["cash1"], "113.10"))
    assert response.status_code == 500
    assert_nothing_posted(sid, before)
    monkeypatch.undo()
    assert close(alice, sid, count(shop["cash1"], "113.10")).json()["state"] == "closed"
    assert_posted(sid, before["balances"])
    assert get_user_model().objects.filter(username="alice").exists()
