"""Cash moves sent again with the same uuid (a terminal retrying from its offline queue)."""

from __future__ import annotations

from decimal import Decimal

from opentill.accounting.selectors import account_balance
from opentill.pos.models import CashMove
from tests.conftest import new_uuid
from tests.integration.helpers import open_session


def test_a_cash_move_sent_twice_with_its_uuid_is_stored_once(api_as, shop):
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    move = {
        "uuid": new_uuid(),
        "kind": "deposit",
        "payment_method": shop["cash2"].pk,
        "amount": "25.00",
        "reason": "change from the safe",
    }
    first = alice.post(f"/sessions/{session['id']}/cash-moves", move)
    assert first.status_code == 201, first.content
    again = alice.post(f"/sessions/{session['id']}/cash-moves", move)
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["uuid"] == move["uuid"]
    assert CashMove.objects.filter(session_id=session["id"]).count() == 1
    assert account_balance(account_id=shop["cash2"].financial_account_id) == Decimal("25.00")


def test_a_cash_move_uuid_of_another_session_is_refused(api_as, shop):
    alice, bob = api_as("alice"), api_as("bob")
    first = open_session(alice, shop["till2"].pk)
    second = open_session(
        bob, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    uuid = new_uuid()
    body = {"uuid": uuid, "kind": "deposit", "payment_method": shop["cash2"].pk, "amount": "5.00"}
    assert alice.post(f"/sessions/{first['id']}/cash-moves", body).status_code == 201
    body["payment_method"] = shop["cash1"].pk
    refused = bob.post(f"/sessions/{second['id']}/cash-moves", body)
    assert refused.status_code == 422
    assert refused.json()["code"] == "validation_error"
    assert CashMove.objects.count() == 1
