"""Force close and rescue close from the back office with counts, and every place that shows
an amount taken as expected rather than counted ("not counted")."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from opentill.accounting.models import FinancialTransaction
from opentill.pos.models import Session, SessionCount
from opentill.reports import exports
from tests.conftest import order
from tests.integration.closing_helpers import journal_is_balanced
from tests.integration.helpers import open_session, sync

D = Decimal


def manager_client() -> Client:
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    return client


def selling_session(api_as, shop) -> int:
    """Alice's session on Till 1: float 100.00, cash sales 14.30, card sales 9.90; expected
    cash 114.30."""
    alice = api_as("alice")
    session = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "100.00"}]
    )
    sync(
        alice,
        session["id"],
        order([(shop["espresso"].pk, "2"), (shop["mug"].pk, "1")], [(shop["cash1"].pk, "14.30")]),
        order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")]),
    )
    return int(session["id"])


def closing_count(sid: int, method: Any) -> SessionCount:
    return SessionCount.objects.get(session_id=sid, payment_method=method, stage="closing")


def sessions_export() -> dict[str, dict[str, str]]:
    out = io.StringIO()
    today = timezone.localdate()
    exports.write_export(exports.dataset("sessions", today, today), "csv", out)
    return {row["id"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}


def test_the_force_close_page_asks_for_each_countable_method(api_as, shop):
    sid = selling_session(api_as, shop)
    page = manager_client().get(f"/admin/pos/session/{sid}/force-close/").content.decode()
    assert f'name="counted_{shop["cash1"].pk}"' in page
    assert "Expected 114.30." in page
    assert f'name="counted_{shop["card1"].pk}"' not in page  # a card is not counted


def test_force_close_from_the_back_office_with_a_count_books_it(api_as, shop):
    sid = selling_session(api_as, shop)
    response = manager_client().post(
        f"/admin/pos/session/{sid}/force-close/",
        {"reason": "terminal broken", f"counted_{shop['cash1'].pk}": "110.00"},
    )
    assert response.status_code == 302
    stored = Session.objects.get(pk=sid)
    assert (stored.state, stored.closed_by.username) == ("closed", "manager")
    cash = closing_count(sid, shop["cash1"])
    assert (cash.expected, cash.counted, cash.difference, cash.not_counted) == (
        D("114.30"),
        D("110.00"),
        D("-4.30"),
        False,
    )
    assert (cash.keep, cash.transferred) == (D("100.00"), D("10.00"))
    diff = FinancialTransaction.objects.get(session_id=sid, kind="difference")
    assert diff.amount == D("-4.30")
    journal_is_balanced()
    assert sessions_export()[str(sid)]["not_counted"] == "false"


def test_force_close_from_the_back_office_without_a_count_is_marked_not_counted(api_as, shop):
    sid = selling_session(api_as, shop)
    manager = manager_client()
    response = manager.post(
        f"/admin/pos/session/{sid}/force-close/",
        {"reason": "cashier left", f"counted_{shop['cash1'].pk}": ""},
    )
    assert response.status_code == 302
    cash = closing_count(sid, shop["cash1"])
    assert (cash.counted, cash.difference, cash.not_counted) == (D("114.30"), D("0.00"), True)
    assert not closing_count(sid, shop["card1"]).not_counted

    api = api_as("manager")
    report = api.get(f"/sessions/{sid}/report").json()
    assert (report["closing"][0]["name"], report["closing"][0]["not_counted"]) == ("Cash", True)
    assert report["closing"][1]["not_counted"] is False
    text = api.get(f"/sessions/{sid}/report", format="text").content.decode()
    assert "Cash (not counted)" in text
    assert "Not counted: the amount was taken as expected, not counted." in text
    assert "Card (not counted)" not in text
    html = api.get(f"/sessions/{sid}/report", format="html").content.decode()
    assert "Cash (not counted)" in html

    session = api.get(f"/sessions/{sid}").json()
    assert [(c["name"], c["counted"], c["not_counted"]) for c in session["closing"]] == [
        ("Cash", "114.30", True),
        ("Card", "9.90", False),
    ]
    page = manager.get(f"/admin/pos/session/{sid}/change/").content.decode()
    assert "not counted: taken as expected" in page

    row = sessions_export()[str(sid)]
    assert (row["state"], row["counted"], row["not_counted"]) == ("closed", "124.20", "true")


def test_an_unreadable_or_out_of_bounds_count_is_shown_in_place_and_nothing_closes(api_as, shop):
    sid = selling_session(api_as, shop)
    manager = manager_client()
    url = f"/admin/pos/session/{sid}/force-close/"
    field = f"counted_{shop['cash1'].pk}"
    typo = manager.post(url, {"reason": "broken", field: "12abc"})
    assert typo.status_code == 200
    assert "is not a decimal number" in typo.content.decode()
    assert 'value="12abc"' in typo.content.decode()  # what was typed stays in the field
    beyond = manager.post(url, {"reason": "broken", field: "100000000000.01"})
    assert beyond.status_code == 200
    assert "a counted amount is at most 100000000000.00" in beyond.content.decode()
    assert Session.objects.get(pk=sid).state == "in_progress"
    assert not SessionCount.objects.filter(session_id=sid, stage="closing").exists()


def test_force_close_of_a_waiting_closing_keeps_the_cashiers_count_when_none_is_entered(
    api_as, shop
):
    sid = selling_session(api_as, shop)
    waiting = api_as("alice").post(
        f"/sessions/{sid}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "107.00"}]},
    )
    assert waiting.json()["state"] == "closing_control"
    manager_client().post(f"/admin/pos/session/{sid}/force-close/", {"reason": "checked"})
    cash = closing_count(sid, shop["cash1"])
    assert (cash.counted, cash.not_counted, cash.created_by.username) == (
        D("107.00"),
        False,
        "alice",
    )
    assert Session.objects.get(pk=sid).state == "closed"


def _rescue(api_as, shop) -> Session:
    """A late cash ticket of 2.20 rescued after alice closed her Till 2 session."""
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash2"].pk, "counted": "0.00"}]},
    )
    (late,) = sync(
        alice, session["id"], order([(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")])
    )
    assert late["status"] == "rescued"
    return Session.objects.get(pk=late["session"])


def test_rescue_close_from_the_back_office_with_a_count(api_as, shop):
    rescue = _rescue(api_as, shop)
    response = manager_client().post(
        f"/admin/pos/session/{rescue.pk}/close-rescue/",
        {"notes": "found 2.00", f"counted_{shop['cash2'].pk}": "2.00"},
    )
    assert response.status_code == 302
    rescue.refresh_from_db()
    assert rescue.state == "closed"
    cash = closing_count(rescue.pk, shop["cash2"])
    assert (cash.expected, cash.counted, cash.difference, cash.not_counted) == (
        D("2.20"),
        D("2.00"),
        D("-0.20"),
        False,
    )
    # A rescue session keeps nothing: what was counted goes to the safe.
    assert (cash.keep, cash.transferred) == (D("0.00"), D("2.00"))
    journal_is_balanced()


def test_rescue_close_from_the_back_office_without_a_count_is_not_counted(api_as, shop):
    rescue = _rescue(api_as, shop)
    manager_client().post(f"/admin/pos/session/{rescue.pk}/close-rescue/", {"notes": ""})
    cash = closing_count(rescue.pk, shop["cash2"])
    assert (cash.counted, cash.not_counted) == (D("2.20"), True)
    assert sessions_export()[str(rescue.pk)]["not_counted"] == "true"
