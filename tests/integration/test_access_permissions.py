"""The declared permissions are enforced: validating a closing needs ``pos.validate_closing``
and force-closing ``pos.force_close`` (managers hold them through their group), in the API
and in the back office alike (opentill.pos.access is the one rule)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from opentill.pos.models import Session
from tests.conftest import order
from tests.integration.helpers import open_session, sync


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="pos", codename=codename)


def revoke(codename: str) -> None:
    """The manager group loses ``pos.<codename>``."""
    Group.objects.get(name="manager").permissions.remove(_perm(codename))


def staff(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def waiting_for_a_manager(api_as, shop) -> int:
    """A session whose close (10.00 short) waits for a manager in closing control."""
    alice = api_as("alice")
    session = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    sync(alice, session["id"], order([(shop["mug"].pk, "2")], [(shop["cash1"].pk, "19.80")]))
    closed = alice.post(
        f"/sessions/{session['id']}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "9.80"}]},
    )
    assert closed.json()["state"] == "closing_control"
    return int(session["id"])


def state(session_id: int) -> str:
    return str(Session.objects.get(pk=session_id).state)


def test_validate_closing_needs_the_permission_in_the_api(api_as, shop):
    session_id = waiting_for_a_manager(api_as, shop)
    revoke("validate_closing")
    response = api_as("manager").post(f"/sessions/{session_id}/validate-closing", {"notes": ""})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["permission"] == "pos.validate_closing"
    assert state(session_id) == "closing_control"
    # Force close is another permission: the manager still holds it.
    forced = api_as("manager").post(f"/sessions/{session_id}/force-close", {"reason": "stuck"})
    assert forced.status_code == 200, forced.content
    assert state(session_id) == "closed"


def test_force_close_needs_the_permission_in_the_api(api_as, shop):
    session = open_session(api_as("bob"), shop["till2"].pk)
    revoke("force_close")
    response = api_as("manager").post(f"/sessions/{session['id']}/force-close", {"reason": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["permission"] == "pos.force_close"
    assert state(session["id"]) == "in_progress"


def test_a_dedicated_group_gives_the_permission_back(api_as, shop):
    session_id = waiting_for_a_manager(api_as, shop)
    revoke("validate_closing")
    closers = Group.objects.create(name="closers")
    closers.permissions.add(_perm("validate_closing"))
    User.objects.get(username="manager").groups.add(closers)
    response = api_as("manager").post(f"/sessions/{session_id}/validate-closing", {"notes": "ok"})
    assert response.status_code == 200, response.content
    assert state(session_id) == "closed"


def test_the_permission_alone_is_not_enough(api_as, shop):
    """An accountant given the permission is still no manager of the store."""
    session_id = waiting_for_a_manager(api_as, shop)
    closers = Group.objects.create(name="closers")
    closers.permissions.add(_perm("validate_closing"))
    User.objects.get(username="accountant").groups.add(closers)
    response = api_as("accountant").post(f"/sessions/{session_id}/validate-closing", {})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert state(session_id) == "closing_control"


def test_validate_closing_needs_the_permission_in_the_back_office(api_as, shop):
    session_id = waiting_for_a_manager(api_as, shop)
    revoke("validate_closing")
    manager = staff("manager")
    page = manager.get(f"/admin/pos/session/{session_id}/change/").content.decode()
    assert "/validate-closing/" not in page
    assert "/force-close/" in page  # still held
    url = f"/admin/pos/session/{session_id}/validate-closing/"
    assert manager.get(url).status_code == 403
    assert manager.post(url, {"notes": "ok"}).status_code == 403
    assert state(session_id) == "closing_control"


@pytest.mark.parametrize("session_kind", ["in_progress", "closing_control"])
def test_force_close_needs_the_permission_in_the_back_office(api_as, shop, session_kind):
    if session_kind == "in_progress":
        session_id = int(open_session(api_as("bob"), shop["till2"].pk)["id"])
    else:
        session_id = waiting_for_a_manager(api_as, shop)
    revoke("force_close")
    manager = staff("manager")
    page = manager.get(f"/admin/pos/session/{session_id}/change/").content.decode()
    assert "/force-close/" not in page
    url = f"/admin/pos/session/{session_id}/force-close/"
    assert manager.get(url).status_code == 403
    assert manager.post(url, {"reason": "terminal broken"}).status_code == 403
    assert state(session_id) == session_kind


def test_a_superuser_holds_every_permission(api_as, shop):
    session_id = waiting_for_a_manager(api_as, shop)
    revoke("validate_closing")
    root = User.objects.create_superuser("root", password="x")
    response = staff("root").post(
        f"/admin/pos/session/{session_id}/validate-closing/", {"notes": "ok"}
    )
    assert response.status_code == 302
    assert root.pk and state(session_id) == "closed"
