"""Opening under control: the expected opening listed while in opening_control, and a
cashier's difference beyond the profile's maximum (5.00 in the demo) approved by a manager
at the till — at opening and at close — with a single-use approval bound to its session."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from opentill.accounting.models import FinancialTransaction
from opentill.audit.models import AuditEvent
from opentill.common.problems import Problem
from opentill.identity.approvals import approval_consume
from opentill.identity.services import user_create
from opentill.pos.models import Session, SessionCount
from tests.conftest import Api
from tests.integration.checks import assert_problem
from tests.integration.helpers import open_session

D = Decimal


def post(api: Api, path: str, body: Any, approval: str | None = None) -> Any:
    """POST as ``api``'s user, carrying a manager's approval when given."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    if approval is not None:
        headers["HTTP_X_OPENTILL_APPROVAL"] = approval
    return api.client.post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **headers
    )


def approval(api: Api, action: str, session_id: int, username: str = "manager") -> str:
    """A manager types their PIN (their password for another manager) on ``api``'s screen."""
    secret = {"pin": "1234"} if username == "manager" else {"password": "demo"}
    response = api.post(
        "/auth/approvals",
        {"username": username, **secret, "action": action, "session": session_id},
    )
    assert response.status_code == 201, response.content
    token: str = response.json()["approval"]
    return token


def cash(shop: dict[str, Any], amount: str) -> dict[str, Any]:
    return {"counts": [{"payment_method": shop["cash1"].pk, "amount": amount}]}


@pytest.fixture
def kept_float(api_as, shop) -> dict[str, Any]:
    """Till 1 after a first session that kept a float of 100.00; a new session of alice's
    waits in opening_control for its count."""
    alice = api_as("alice")
    first = open_session(alice, shop["till1"].pk, cash(shop, "100.00")["counts"])
    closed = alice.post(
        f"/sessions/{first['id']}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "100.00"}]},
    )
    assert closed.json()["state"] == "closed"
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions")
    assert created.status_code == 201
    return created.json()


# --- what the opening count is compared with -----------------------------------------------


def test_a_first_session_lists_its_countable_methods_with_no_float_kept(api_as, shop):
    alice = api_as("alice")
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    expected = [
        {
            "payment_method": shop["cash1"].pk,
            "name": "Cash",
            "expected": "0.00",
            "counted": None,
            "difference": None,
            "first_float": True,
            "approved_by": None,
        }
    ]
    assert created["state"] == "opening_control"
    assert created["opening"] == expected  # Card is not countable: not listed
    assert alice.get(f"/sessions/{created['id']}").json()["opening"] == expected
    listed = alice.get("/sessions", state="opening_control").json()["items"]
    assert listed[0]["opening"] == expected
    # A first float of any size within the bounds is the drawer's float, not a difference.
    opened = alice.post(f"/sessions/{created['id']}/open", cash(shop, "250.00"))
    assert opened.status_code == 200, opened.content
    assert opened.json()["opening"][0]["difference"] == "250.00"
    assert opened.json()["opening"][0]["first_float"] is True


def test_the_next_session_lists_the_float_kept_at_the_last_close(api_as, shop, kept_float):
    assert kept_float["opening"] == [
        {
            "payment_method": shop["cash1"].pk,
            "name": "Cash",
            "expected": "100.00",
            "counted": None,
            "difference": None,
            "first_float": False,
            "approved_by": None,
        }
    ]


# --- the opening difference -----------------------------------------------------------------


def test_a_cashiers_opening_within_the_maximum_opens_at_once(api_as, shop, kept_float):
    response = api_as("alice").post(f"/sessions/{kept_float['id']}/open", cash(shop, "95.00"))
    assert response.status_code == 200, response.content
    assert response.json()["opening"][0]["difference"] == "-5.00"


def test_a_cashiers_opening_beyond_the_maximum_needs_an_approval_then_opens(
    api_as, shop, kept_float
):
    alice = api_as("alice")
    sid = kept_float["id"]
    transactions = FinancialTransaction.objects.count()

    refused = post(alice, f"/sessions/{sid}/open", cash(shop, "105.01"))
    body = assert_problem(refused, 409, "approval_required")
    assert (body["action"], body["session"]) == ("opening_difference", sid)
    assert "Cash" in body["detail"] and "5.00" in body["detail"]
    assert Session.objects.get(pk=sid).state == "opening_control"
    assert not SessionCount.objects.filter(session_id=sid).exists()
    assert FinancialTransaction.objects.count() == transactions

    token = approval(alice, "opening_difference", sid)
    opened = post(alice, f"/sessions/{sid}/open", cash(shop, "105.01"), approval=token)
    assert opened.status_code == 200, opened.content
    assert opened.json()["state"] == "in_progress"
    assert opened.json()["opening"] == [
        {
            "payment_method": shop["cash1"].pk,
            "name": "Cash",
            "expected": "100.00",
            "counted": "105.01",
            "difference": "5.01",
            "first_float": False,
            "approved_by": "manager",
        }
    ]
    count = SessionCount.objects.get(session_id=sid, stage="opening")
    assert (count.counted, count.approved_by.username) == (D("105.01"), "manager")
    diff = FinancialTransaction.objects.get(session_id=sid, kind="opening_difference")
    assert diff.amount == D("5.01")
    opened_event = AuditEvent.objects.get(session_id=sid, action="session_opened")
    assert opened_event.after["approved_by"] == "manager"
    used = AuditEvent.objects.get(session_id=sid, action="approval_used")
    assert used.user.username == "manager"

    # The approval is used: it cannot be replayed.
    with pytest.raises(Problem) as replay:
        approval_consume(token=token, action="opening_difference", session_id=sid)
    assert replay.value.code == "approval_required"

    # The X report shows who approved the opening difference.
    report = alice.get(f"/sessions/{sid}/report").json()
    assert report["opening"][0]["approved_by"] == "manager"


def test_a_managers_opening_beyond_the_maximum_needs_no_approval(api_as, shop, kept_float):
    response = api_as("manager").post(f"/sessions/{kept_float['id']}/open", cash(shop, "20.00"))
    assert response.status_code == 200, response.content
    assert response.json()["opening"][0]["approved_by"] is None


def test_an_approval_for_another_action_or_session_is_refused(api_as, shop, kept_float):
    alice = api_as("alice")
    sid = kept_float["id"]
    other = open_session(alice, shop["till2"].pk)
    for token in (
        approval(alice, "closing_difference", sid),
        approval(alice, "opening_difference", other["id"]),
        "not-an-approval",
    ):
        refused = post(alice, f"/sessions/{sid}/open", cash(shop, "0.00"), approval=token)
        assert_problem(refused, 409, "approval_required")
    assert Session.objects.get(pk=sid).state == "opening_control"
    assert not SessionCount.objects.filter(session_id=sid).exists()


def test_an_approval_is_not_used_when_the_request_fails_for_another_reason(
    api_as, shop, kept_float
):
    alice = api_as("alice")
    sid = kept_float["id"]
    token = approval(alice, "opening_difference", sid)
    # The count is beyond the maximum and refused for its coins: nothing is stored, and the
    # approval (consumed inside the same transaction) is still good.
    bad = post(
        alice,
        f"/sessions/{sid}/open",
        {
            "counts": [
                {
                    "payment_method": shop["cash1"].pk,
                    "amount": "10.00",
                    "denominations": [{"value": "5.00", "quantity": 1}],
                }
            ]
        },
        approval=token,
    )
    assert_problem(bad, 422, "validation_error")
    opened = post(alice, f"/sessions/{sid}/open", cash(shop, "10.00"), approval=token)
    assert opened.status_code == 200, opened.content
    assert opened.json()["opening"][0]["approved_by"] == "manager"


def test_an_approval_by_a_manager_of_another_store_is_refused(api_as, shop, kept_float):
    from opentill.stores.models import Store

    faraway = user_create(username="faraway", password="demo", roles=["manager"])
    Store.objects.create(company=shop["till1"].store.company, name="Far away").managers.add(faraway)
    alice = api_as("alice")
    sid = kept_float["id"]
    token = approval(alice, "opening_difference", sid, username="faraway")
    refused = post(alice, f"/sessions/{sid}/open", cash(shop, "0.00"), approval=token)
    body = assert_problem(refused, 409, "approval_required")
    assert "faraway is not a manager of" in body["detail"]
    assert Session.objects.get(pk=sid).state == "opening_control"
    # Refused, so not used: the approval record stays unused.
    from opentill.identity.models import Approval

    assert Approval.objects.get(approver=faraway).used_at is None


# --- the closing difference -----------------------------------------------------------------


def _short_by_7_30(api_as, shop) -> tuple[Api, int]:
    """Alice's session on Till 1 (float 100.00, cash sales 14.30) about to be counted 107.00."""
    from tests.conftest import order
    from tests.integration.helpers import sync

    alice = api_as("alice")
    session = open_session(alice, shop["till1"].pk, cash(shop, "100.00")["counts"])
    sync(
        alice,
        session["id"],
        order([(shop["espresso"].pk, "2"), (shop["mug"].pk, "1")], [(shop["cash1"].pk, "14.30")]),
    )
    return alice, session["id"]


def _count_107(shop: dict[str, Any]) -> dict[str, Any]:
    return {"counts": [{"payment_method": shop["cash1"].pk, "counted": "107.00"}], "notes": ""}


def test_a_cashiers_close_beyond_the_maximum_with_an_approval_posts(api_as, shop):
    alice, sid = _short_by_7_30(api_as, shop)
    token = approval(alice, "closing_difference", sid)
    response = post(alice, f"/sessions/{sid}/close", _count_107(shop), approval=token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["needs_approval"], body["approved_by"]) == (
        "closed",
        False,
        "manager",
    )
    assert body["differences"][0]["difference"] == "-7.30"
    stored = Session.objects.get(pk=sid)
    assert (stored.state, stored.closed_by.username) == ("closed", "alice")
    cash_count = SessionCount.objects.get(
        session_id=sid, stage="closing", payment_method__name="Cash"
    )
    card_count = SessionCount.objects.get(
        session_id=sid, stage="closing", payment_method__name="Card"
    )
    assert cash_count.approved_by.username == "manager"
    assert card_count.approved_by is None  # no difference there: nothing to approve
    diff = FinancialTransaction.objects.get(session_id=sid, kind="difference")
    assert diff.amount == D("-7.30")
    closed_event = AuditEvent.objects.get(session_id=sid, action="session_closed")
    assert closed_event.after["approved_by"] == "manager"

    # The Z report shows who approved, and the manager signs it.
    report = alice.get(f"/sessions/{sid}/report").json()
    assert report["closing"][0]["approved_by"] == "manager"
    assert {"role": "Manager", "name": "manager"} in report["signatures"]
    text = alice.get(f"/sessions/{sid}/report", format="text").content.decode()
    assert "Closing difference approved by manager" in text

    with pytest.raises(Problem):
        approval_consume(token=token, action="closing_difference", session_id=sid)


def test_a_cashiers_close_beyond_the_maximum_without_approval_still_waits(api_as, shop):
    alice, sid = _short_by_7_30(api_as, shop)
    response = post(alice, f"/sessions/{sid}/close", _count_107(shop))
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["approved_by"]) == ("closing_control", None)


def test_a_close_with_a_used_or_misbound_approval_is_refused_and_stores_nothing(api_as, shop):
    alice, sid = _short_by_7_30(api_as, shop)
    opening = approval(alice, "opening_difference", sid)
    refused = post(alice, f"/sessions/{sid}/close", _count_107(shop), approval=opening)
    assert_problem(refused, 409, "approval_required")
    assert Session.objects.get(pk=sid).state == "in_progress"
    assert not SessionCount.objects.filter(session_id=sid, stage="closing").exists()
    used = approval(alice, "closing_difference", sid)
    approval_consume(token=used, action="closing_difference", session_id=sid)
    replayed = post(alice, f"/sessions/{sid}/close", _count_107(shop), approval=used)
    body = assert_problem(replayed, 409, "approval_required")
    assert "already been used" in body["detail"]
    assert Session.objects.get(pk=sid).state == "in_progress"


def test_a_close_within_the_maximum_leaves_the_approval_unused(api_as, shop):
    from opentill.identity.models import Approval

    alice, sid = _short_by_7_30(api_as, shop)
    token = approval(alice, "closing_difference", sid)
    body = {"counts": [{"payment_method": shop["cash1"].pk, "counted": "114.30"}]}
    response = post(alice, f"/sessions/{sid}/close", body, approval=token)
    assert response.json()["state"] == "closed"
    assert response.json()["approved_by"] is None
    assert Approval.objects.get().used_at is None
