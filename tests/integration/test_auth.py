"""Authentication that fails safe: bad tokens are 401 on every method, sign-out and password
changes revoke tokens, wrong passwords are throttled, manager approvals are single use,
short-lived and bound to one action on one session; oversize bodies and an unavailable
database answer problem documents."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from opentill.audit.models import AuditEvent
from opentill.common.problems import Problem
from opentill.identity.approvals import approval_consume, approval_issue
from opentill.identity.models import ApiToken, Approval, LoginThrottle, UserPin
from opentill.identity.services import token_issue, user_create
from tests.conftest import Api, order
from tests.integration.checks import assert_problem
from tests.integration.helpers import open_session, race


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


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_for_one_approval_use_it_once(session):
    token = _issued(session["id"])

    def use() -> str:
        try:
            approval_consume(token=token, action="opening_difference", session_id=session["id"])
        except Problem as exc:
            return exc.code
        return "used"

    assert sorted(race(use, use)) == ["approval_required", "used"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPROVAL_USED).count() == 1


# --- bad tokens: 401 on every method --------------------------------------------------------


def _expired_token() -> str:
    token, _ = token_issue(username="alice", password="demo")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    return token


def _revoked_token() -> str:
    token, _ = token_issue(username="alice", password="demo")
    assert Api(token).post("/auth/logout").status_code == 204
    return token


def _request(method: str, path: str, authorization: str, body: Any = None) -> Any:
    return Client().generic(
        method,
        f"/api/v1{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_AUTHORIZATION=authorization,
    )


@pytest.mark.parametrize("kind", ["bogus", "expired", "revoked", "not bearer"])
def test_a_bad_token_is_401_on_every_method(kind, shop, session):
    authorization = {
        "bogus": lambda: "Bearer not-a-token",
        "expired": lambda: f"Bearer {_expired_token()}",
        "revoked": lambda: f"Bearer {_revoked_token()}",
        "not bearer": lambda: "Basic YWxpY2U6ZGVtbw==",
    }[kind]()
    drop = {
        "kind": "drop",
        "payment_method": shop["cash1"].pk,
        "amount": "20.00",
        "reason": "safe",
    }
    calls = [
        ("GET", "/profiles", None),
        ("GET", f"/sessions/{session['id']}", None),
        ("POST", f"/sessions/{session['id']}/cash-moves", drop),
        ("POST", f"/profiles/{shop['till2'].pk}/sessions", {}),
        ("POST", "/auth/logout", None),
        ("DELETE", f"/sessions/{session['id']}", None),  # no DELETE route: 401 before 405
        ("PUT", "/profiles", None),
        ("DELETE", "/no/such/path", None),  # no route at all: 401 before 404
    ]
    for method, path, body in calls:
        response = _request(method, path, authorization, body)
        problem = assert_problem(response, 401, "unauthorized")
        assert response["WWW-Authenticate"].startswith("Bearer"), (method, path)
        assert "sign in again" in problem["detail"], (method, path)
    # Nothing was written by the refused requests.
    from opentill.pos.models import CashMove, Session

    assert not CashMove.objects.exists()
    assert Session.objects.filter(profile=shop["till2"]).count() == 0


def test_a_valid_token_still_gets_404_and_405(api_as, session):
    alice = api_as("alice")
    assert (
        alice.client.delete(
            f"/api/v1/sessions/{session['id']}", HTTP_AUTHORIZATION=f"Bearer {alice.token}"
        ).status_code
        == 405
    )
    missing = alice.get("/no/such/path")
    assert_problem(missing, 404, "not_found")


def test_no_credentials_is_401_on_post_too(shop):
    response = Api(None).post(f"/profiles/{shop['till1'].pk}/sessions")
    body = assert_problem(response, 401, "unauthorized")
    assert "Authorization: Bearer" in body["detail"]


def test_the_session_cookie_still_works_with_its_csrf_check(shop):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(username="manager"))
    assert browser.get("/api/v1/profiles").status_code == 200
    refused = browser.post(
        f"/api/v1/profiles/{shop['till2'].pk}/sessions", "{}", content_type="application/json"
    )
    assert refused.status_code == 403  # a signed-in browser without the CSRF token
    browser.get("/admin/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    created = browser.post(
        f"/api/v1/profiles/{shop['till2'].pk}/sessions",
        "{}",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert created.status_code == 201, created.content


def test_signing_in_again_works_with_a_stale_token_still_sent(shop):
    stale = _expired_token()
    response = Api(stale).post("/auth/token", {"username": "alice", "password": "demo"})
    assert response.status_code == 200, response.content
    assert Api(response.json()["token"]).get("/profiles").status_code == 200


# --- sign-out and revocation ----------------------------------------------------------------


def test_logout_revokes_only_the_token_used(shop, api_as):
    terminal, phone = api_as("alice"), api_as("alice")
    response = terminal.post("/auth/logout")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(terminal.get("/profiles"), 401, "unauthorized")
    assert_problem(terminal.post("/auth/logout"), 401, "unauthorized")
    assert phone.get("/profiles").status_code == 200


def test_a_password_change_revokes_every_token_of_that_user(shop, api_as):
    alice, alice_too, bob = api_as("alice"), api_as("alice"), api_as("bob")
    user = User.objects.get(username="alice")
    user.set_password("new secret")
    user.save()
    assert_problem(alice.get("/profiles"), 401, "unauthorized")
    assert_problem(alice_too.post("/auth/logout"), 401, "unauthorized")
    assert bob.get("/profiles").status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKENS_REVOKED)
    assert event.object_id == str(user.pk)
    assert "password changed" in event.detail
    assert event.after == {"tokens": 2}
    signed_in = Api(None).post("/auth/token", {"username": "alice", "password": "new secret"})
    assert signed_in.status_code == 200


def test_createuser_resetting_a_password_revokes_tokens(shop, api_as):
    from opentill.cli import main

    alice = api_as("alice")
    assert main(["createuser", "alice", "--role", "cashier", "--password", "other"]) == 0
    assert_problem(alice.get("/profiles"), 401, "unauthorized")


def test_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(shop, api_as):
    bob = api_as("bob")
    user = User.objects.get(username="bob")
    user.is_active = False
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    assert_problem(bob.get("/profiles"), 401, "unauthorized")
    user.is_active = True
    user.save()
    assert_problem(bob.get("/profiles"), 401, "unauthorized")
    assert "deactivated" in AuditEvent.objects.get(action="tokens_revoked").detail


def test_saving_a_user_without_changing_password_or_activity_keeps_tokens(shop, api_as):
    alice = api_as("alice")
    user = User.objects.get(username="alice")
    user.first_name = "Alice"
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert alice.get("/profiles").status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TOKENS_REVOKED).exists()


# --- throttling -----------------------------------------------------------------------------


def _sign_in(password: str, username: str = "alice") -> Any:
    return Api(None).post("/auth/token", {"username": username, "password": password})


def test_repeated_wrong_passwords_are_throttled_until_the_lock_ends(shop):
    for _ in range(4):
        assert_problem(_sign_in("wrong"), 401, "unauthorized")
    locked = _sign_in("wrong")
    body = assert_problem(locked, 429, "too_many_attempts")
    assert locked["Retry-After"] == "300"
    assert body["retry_after"] == 300
    assert "300 seconds" in body["detail"]
    # Locked: even the right password waits, and nothing else is counted.
    still = _sign_in("demo")
    assert_problem(still, 429, "too_many_attempts")
    assert 0 < int(still["Retry-After"]) <= 300
    assert _sign_in("demo", username="bob").status_code == 200  # other users are not locked
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_THROTTLED).count() == 1

    # The lock ends (the clock moved past it): the right password works and clears the count.
    LoginThrottle.objects.filter(key="user:alice").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert _sign_in("demo").status_code == 200
    assert not LoginThrottle.objects.filter(key="user:alice").exists()
    for _ in range(4):
        assert_problem(_sign_in("wrong"), 401, "unauthorized")


def test_a_correct_password_resets_the_count(shop):
    for _ in range(4):
        assert_problem(_sign_in("wrong"), 401, "unauthorized")
    assert _sign_in("demo").status_code == 200
    for _ in range(4):
        assert_problem(_sign_in("wrong"), 401, "unauthorized")


def test_failures_outside_the_window_are_forgotten(shop, settings):
    settings.OPENTILL_LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        assert_problem(_sign_in("wrong"), 401, "unauthorized")
    LoginThrottle.objects.update(
        window_started_at=timezone.now()
        - timedelta(seconds=settings.OPENTILL_LOGIN_WINDOW_SECONDS + 1)
    )
    for _ in range(2):
        assert_problem(_sign_in("wrong"), 401, "unauthorized")
    assert_problem(_sign_in("wrong"), 429, "too_many_attempts")


def test_the_limits_are_settings_and_one_address_is_throttled_across_usernames(shop, settings):
    settings.OPENTILL_LOGIN_MAX_FAILURES = 2
    settings.OPENTILL_LOGIN_LOCK_SECONDS = 60
    settings.OPENTILL_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    assert_problem(_sign_in("wrong", "alice"), 401, "unauthorized")
    locked = _sign_in("wrong", "alice")
    assert_problem(locked, 429, "too_many_attempts")
    assert locked["Retry-After"] == "60"
    assert_problem(_sign_in("wrong", "nobody"), 429, "too_many_attempts")  # 3rd from 127.0.0.1
    assert_problem(_sign_in("demo", "bob"), 429, "too_many_attempts")


def test_wrong_pins_count_towards_the_lock(api_as, session):
    alice = api_as("alice")
    for _ in range(4):
        assert_problem(approve(alice, session["id"], pin="0000"), 403, "forbidden")
    locked = approve(alice, session["id"], pin="0000")
    assert_problem(locked, 429, "too_many_attempts")
    assert locked["Retry-After"] == "300"
    assert_problem(approve(alice, session["id"], pin="1234"), 429, "too_many_attempts")
    assert_problem(_sign_in("demo", "manager"), 429, "too_many_attempts")  # same username
    assert alice.get("/profiles").status_code == 200  # the cashier stays signed in
    assert not Approval.objects.exists()


# --- PINs -----------------------------------------------------------------------------------


def test_demo_manager_has_pin_1234_stored_hashed(shop):
    from django.contrib.auth.hashers import check_password, identify_hasher

    row = UserPin.objects.get(user__username="manager")
    # A salted hash of the PIN, never the PIN (its digits may occur in a hash by chance).
    assert row.pin_hash != "1234"
    assert identify_hasher(row.pin_hash).algorithm in row.pin_hash.split("$", 1)[0]
    assert check_password("1234", row.pin_hash)
    assert not check_password("4321", row.pin_hash)
    assert not UserPin.objects.filter(user__username="alice").exists()


def test_createuser_sets_a_pin_and_refuses_a_bad_one(shop, api_as, session, capsys):
    from opentill.cli import main

    assert (
        main(["createuser", "carol", "--role", "manager", "--password", "pw", "--pin", "8642"]) == 0
    )
    response = approve(api_as("alice"), session["id"], pin="8642", username="carol")
    assert response.status_code == 201, response.content
    assert (
        main(["createuser", "dave", "--role", "manager", "--password", "pw", "--pin", "12a4"]) == 2
    )
    assert "4 to 8 digits" in capsys.readouterr().err
    assert not User.objects.filter(username="dave").exists()
    with pytest.raises(Problem):
        user_create(username="erin", password="pw", roles=["manager"], pin="123")


def test_back_office_sets_and_removes_a_pin(shop, api_as, session):
    User.objects.create_superuser("root", password="root")
    office = Client()
    office.force_login(User.objects.get(username="root"))
    manager = User.objects.get(username="manager")
    url = f"/admin/auth/user/{manager.pk}/change/"
    page = office.get(url)
    assert page.status_code == 200
    assert "New PIN" in page.content.decode()
    form = {
        "username": "manager",
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in manager.groups.all()],
        "date_joined_0": manager.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": manager.date_joined.strftime("%H:%M:%S"),
    }
    refused = office.post(url, {**form, "pin": "12"})
    assert refused.status_code == 200
    assert "4 to 8 digits" in refused.content.decode()
    assert office.post(url, {**form, "pin": "97531"}).status_code == 302
    alice = api_as("alice")
    assert approve(alice, session["id"], pin="97531").status_code == 201
    assert_problem(approve(alice, session["id"], pin="1234"), 403, "forbidden")
    assert office.post(url, {**form, "remove_pin": "on"}).status_code == 302
    assert not UserPin.objects.filter(user=manager).exists()
    assert_problem(approve(alice, session["id"], pin="97531"), 403, "forbidden")
    assert approve(alice, session["id"], password="demo").status_code == 201
    assert AuditEvent.objects.filter(detail__in=["PIN set", "PIN removed"]).count() == 2


# --- oversize bodies and an unavailable database --------------------------------------------


def test_a_body_over_the_upload_limit_is_413(api_as, shop, session):
    from django.conf import settings

    alice = api_as("alice")
    line = (shop["espresso"].pk, "1")
    orders = [order([line], [(shop["cash1"].pk, "2.20")]) for _ in range(1)]
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    raw = json.dumps({"orders": orders, "padding": padding})
    response = alice.post(f"/sessions/{session['id']}/orders", raw=raw)
    body = assert_problem(response, 413, "too_large")
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in body["detail"]
    from opentill.orders.models import Order

    assert not Order.objects.exists()


def test_an_unavailable_database_is_503_with_retry_after(api_as, shop, monkeypatch):
    from opentill.pos import selectors

    alice = api_as("alice")

    def down(**kwargs: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(selectors, "profiles_for_user", down)
    response = alice.get("/profiles")
    body = assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(body["retry_after"])
    assert int(response["Retry-After"]) > 0
    assert "Connection refused" not in body["detail"]


def test_a_query_bug_reported_as_operational_error_is_a_500_not_a_503(api_as, shop, monkeypatch):
    """SQLite says "no such column" through OperationalError: a bug, not a wait-and-retry."""
    from opentill.pos import selectors

    alice = api_as("alice")

    def broken(**kwargs: Any) -> Any:
        raise OperationalError("no such column: orders_order.difference")

    monkeypatch.setattr(selectors, "profiles_for_user", broken)
    response = alice.get("/profiles")
    body = assert_problem(response, 500, "server_error")
    assert "Retry-After" not in response
    assert "difference" not in body["detail"]


def test_the_audit_trail_never_holds_a_password_hash(shop):
    from django.contrib.auth.models import User

    from opentill.audit.services import model_values

    values = model_values(User.objects.get(username="manager"))
    assert values["password"] == "(hidden)"
    assert values["username"] == "manager"
