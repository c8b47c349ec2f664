"""Authentication that fails safe: bad tokens are 401 on every method, sign-out and password
changes revoke tokens, wrong passwords are throttled, manager approvals are single use,
short-lived and bound to one action on one session; oversize bodies and an unavailable
database answer problem documents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from opentill.audit.models import AuditEvent
from opentill.common.problems import Problem
from opentill.identity.approvals import approval_consume, approval_issue
from opentill.identity.models import Approval
from tests.conftest import Api
from tests.integration.checks import assert_problem
from tests.integration.helpers import open_session


@pytest.fixture
def session(shop: dict[str, Any], api_as: Any) -> dict[str, Any]:
    """Alice's open session on till 1."""
    return open_session(
        api_as("alice"), shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0"}]
    )


def approve(api: Api, session_id: int, **credentials: str) -> Any:
    body = {"username": "manager", "action": "opening_difference", "session": session_id}
    return api.post("/auth/approvals", {**body, **credentials})


# --- approvals ------------------------------------------------------------------------------


def test_manager_approves_with_password_and_the_approval_is_single_use(api_as, session):
    response = approve(api_as("alice"), session["id"], password="demo")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["action"] == "opening_difference"
    assert body["session"] == session["id"]
    assert body["approver"] == "manager"
    approval = Approval.objects.get()
    assert approval.digest != body["approval"]  # only the digest is stored
    assert approval.requested_by.username == "alice"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPROVAL_ISSUED).count() == 1

    approver = approval_consume(
        token=body["approval"], action="opening_difference", session_id=session["id"]
    )
    assert approver.username == "manager"
    used = AuditEvent.objects.get(action=AuditEvent.Action.APPROVAL_USED)
    assert used.session_id == session["id"]
    assert used.user_id == approver.pk

    with pytest.raises(Problem) as again:
        approval_consume(
            token=body["approval"], action="opening_difference", session_id=session["id"]
        )
    assert again.value.code == "approval_required"
    assert "already been used" in again.value.detail


def test_manager_approves_with_pin(api_as, session):
    response = approve(api_as("alice"), session["id"], pin="1234")
    assert response.status_code == 201, response.content
    wrong = approve(api_as("alice"), session["id"], pin="4321")
    assert_problem(wrong, 403, "forbidden")


def test_cashier_cannot_approve(api_as, session):
    response = api_as("alice").post(
        "/auth/approvals",
        {
            "username": "bob",
            "password": "demo",
            "action": "closing_difference",
            "session": session["id"],
        },
    )
    body = assert_problem(response, 403, "forbidden")
    assert "not a manager" in body["detail"]
    assert not Approval.objects.exists()


def test_approval_needs_exactly_one_credential_and_a_known_action(api_as, session):
    alice = api_as("alice")
    assert_problem(approve(alice, session["id"]), 422, "validation_error")
    both = approve(alice, session["id"], password="demo", pin="1234")
    assert_problem(both, 422, "validation_error")
    unknown = alice.post(
        "/auth/approvals",
        {"username": "manager", "pin": "1234", "action": "anything", "session": session["id"]},
    )
    assert_problem(unknown, 422, "validation_error")
    assert not Approval.objects.exists()


def test_approval_requires_a_signed_in_caller(session):
    response = approve(Api(None), session["id"], pin="1234")
    assert_problem(response, 401, "unauthorized")


def _issued(session_id: int, action: str = "opening_difference") -> str:
    token, _ = approval_issue(
        requested_by=User.objects.get(username="alice"),
        username="manager",
        pin="1234",
        action=action,
        session_id=session_id,
    )
    return token


def _refusal(**kwargs: Any) -> str:
    with pytest.raises(Problem) as refused:
        approval_consume(**kwargs)
    assert refused.value.code == "approval_required"
    assert refused.value.status == 409
    return refused.value.detail


def test_approval_is_bound_to_its_action_and_session(session, shop, api_as):
    other = open_session(api_as("bob"), shop["till2"].pk)
    token = _issued(session["id"])
    assert "closing difference" in _refusal(
        token=token, action="closing_difference", session_id=session["id"]
    )
    assert f"not session {other['id']}" in _refusal(
        token=token, action="opening_difference", session_id=other["id"]
    )
    # Refusals do not use it up.
    assert approval_consume(token=token, action="opening_difference", session_id=session["id"])


def test_missing_unknown_and_expired_approvals_are_refused(session, settings):
    assert "approval is required" in _refusal(token=None, action="refund", session_id=session["id"])
    assert "not known" in _refusal(token="made-up", action="refund", session_id=session["id"])
    settings.OPENTILL_APPROVAL_SECONDS = 120
    token = _issued(session["id"], action="refund")
    Approval.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "expired" in _refusal(token=token, action="refund", session_id=session["id"])
    assert Approval.objects.get().used_at is None


def test_approval_lifetime_is_a_setting(session, settings):
    settings.OPENTILL_APPROVAL_SECONDS = 30
    before = timezone.now()
    _issued(session["id"])
    lifetime = Approval.objects.get().expires_at - before
    assert timedelta(seconds=29) < lifetime <= timedelta(seconds=31)


def test_an_approval_used_in_a_rolled_back_transaction_stays_unused(session):
    from django.db import transaction

    token = _issued(session["id"])

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        approval_consume(token=token, action="opening_difference", session_id=session["id"])
        raise Abort
    assert Approval.objects.get().used_at is None
    assert approval_consume(token=token, action="opening_difference", session_id=session["id"])


def test_a_deactivated_manager_approval_is_refused(session):
    token = _issued(session["id"])
    User.objects.filter(username="manager").update(is_active=False)
    assert "no longer an active manager" in _refusal(
        token=token, action="opening_difference", session_id=session["id"]
    )
