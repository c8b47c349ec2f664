"""Training mode per session (issue #13 item 7): a training session's tickets are stored,
numbered and chained in the fiscal journal as ``training`` records, but they are no sales:
no cash moves, no stock, no invoice, no journal entry, nothing booked at the close, in no
grand total, report of the store, dashboard or export; every receipt says TRAINING."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from opentill.accounting.models import FinancialTransaction, JournalEntry
from opentill.catalog.models import StockMove
from opentill.fiscal import canonical
from opentill.fiscal.models import FiscalRecord
from opentill.pos.models import Session
from tests.conftest import order
from tests.integration.checks import assert_problem
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.fiscal_helpers import records, verify_till1
from tests.integration.helpers import sync

D = Decimal


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


def training_session(api: Any, shop: dict[str, Any], counted: str = "100.00") -> dict[str, Any]:
    created = api.post(f"/profiles/{shop['till1'].pk}/sessions", {"training": True})
    assert created.status_code == 201, created.content
    session = created.json()
    assert session["training"] is True
    if session["state"] == "opening_control":
        opened = api.post(
            f"/sessions/{session['id']}/open",
            {"counts": [{"payment_method": shop["cash1"].pk, "amount": counted}]},
        )
        assert opened.status_code == 200, opened.content
        session = opened.json()
    return session


def test_a_training_session_is_chained_but_books_nothing(api_as, shop, key_file):
    alice = api_as("alice")
    # A real session first, so the till has a grand total to keep.
    real = start_till1(alice, shop)["id"]
    sync(alice, real, order([(shop["mug"].pk, "1")], [(shop["cash1"].pk, "9.90")]))
    assert close(alice, real, count(shop["cash1"], "109.90")).json()["state"] == "closed"
    transactions = FinancialTransaction.objects.count()
    entries = JournalEntry.objects.count()
    moves = StockMove.objects.count()

    # Opened with a float that differs from the 109.90 kept: no opening difference booked.
    sid = training_session(alice, shop, counted="105.00")["id"]
    assert Session.objects.get(pk=sid).training
    results = sync(
        alice,
        sid,
        order([(shop["espresso"].pk, "2")], [(shop["cash1"].pk, "4.40")], to_invoice=True),
        order([(shop["espresso"].pk, "-1")], [(shop["cash1"].pk, "-2.20")]),
    )
    assert [r["status"] for r in results] == ["created", "created"]
    assert_problem(
        alice.post(
            f"/sessions/{sid}/cash-moves",
            {"kind": "drop", "payment_method": shop["cash1"].pk, "amount": "1.00"},
        ),
        409,
        "invalid_state",
    )
    closed = close(alice, sid, count(shop["cash1"], "105.00"))
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"

    # Nothing moved: no payment, difference or close transaction, entry, invoice or stock.
    assert FinancialTransaction.objects.count() == transactions
    assert JournalEntry.objects.count() == entries
    assert StockMove.objects.count() == moves
    from opentill.orders.models import Order

    assert not Order.objects.filter(session_id=sid, invoice__isnull=False).exists()

    # Chained as training records; the Z's totals leave them out.
    mine = [r for r in records() if r.session_id == sid]
    assert [r.kind for r in mine] == ["training", "training", "z"]
    z = canonical.loads(mine[-1].data)
    assert z["training"] is True  # an auditor reading the Z alone knows it
    assert z["period"]["count"] == {"tickets": 0, "refunds": 0}
    assert z["period"]["real"]["total"] == "0.00"
    real_z = canonical.loads(
        FiscalRecord.objects.get(profile__code="TILL1", session_id=real, kind="z").data
    )
    assert z["perpetual"] == real_z["perpetual"]  # 9.90: the real sale alone
    assert z["perpetual"]["real"]["total"] == "9.90"
    assert verify_till1().ok

    # The session's report says so; the till's grand total leaves it out.
    report = alice.get(f"/sessions/{sid}/report").json()
    assert report["session"]["training"] is True
    assert report["grand_total"]["perpetual"] == "9.90"
    assert report["grand_total"]["session"] == "0.00"
    text = alice.client.get(
        f"/api/v1/sessions/{sid}/report?format=text", HTTP_AUTHORIZATION=f"Bearer {alice.token}"
    ).content.decode()
    assert "TRAINING — not a sale" in text


def test_training_tickets_are_left_out_of_exports_and_dashboard(api_as, shop, key_file):
    from opentill.reports import exports
    from opentill.reports.dashboard import dashboard

    alice = api_as("alice")
    session = training_session(alice, shop)
    ticket = order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")])
    sync(alice, session["id"], ticket)
    day = date(2026, 11, 21)  # the day the order helper's tickets are made
    for name in ("orders", "payments", "taxes", "sessions"):
        rows = list(exports.dataset(name, day, day, store_ids=None).queryset)
        if name == "sessions":
            rows = list(exports.dataset(name, date.today(), date.today()).queryset)
        assert not any(session["name"] in map(str, row) for row in rows), name
    sales = next(p for p in dashboard(start=day, end=day) if p.key == "sales")
    assert sales.rows == []


def test_a_closed_training_sessions_late_tickets_are_refused_not_rescued(api_as, shop, key_file):
    alice, manager = api_as("alice"), api_as("manager")
    sid = training_session(alice, shop)["id"]
    forced = manager.post(f"/sessions/{sid}/force-close", {"reason": "end of the lesson"})
    assert forced.status_code == 200, forced.content
    late = alice.post(
        f"/sessions/{sid}/orders",
        {"orders": [order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")])]},
    )
    body = assert_problem(late, 409, "invalid_state")
    assert body["training"] is True
    assert not Session.objects.filter(profile=shop["till1"], rescue=True).exists()


def test_every_receipt_of_a_training_ticket_says_training(api_as, shop, key_file):
    alice = api_as("alice")
    sid = training_session(alice, shop)["id"]
    ticket = order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")])
    sync(alice, sid, ticket)
    proof = alice.get(f"/orders/{ticket['uuid']}/proof").json()
    assert (proof["training"], proof["kind"]) == (True, "training")
    assert "|training|" in proof["qr"]
    text = alice.client.get(
        f"/api/v1/orders/{ticket['uuid']}/receipt?format=text",
        HTTP_AUTHORIZATION=f"Bearer {alice.token}",
    ).content.decode()
    assert text.count("TRAINING — NOT A SALE") == 2
    sessions = alice.get("/sessions").json()
    assert next(s for s in sessions["items"] if s["id"] == sid)["training"] is True
