"""Session lifecycle through the HTTP API."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from opentill.accounting.selectors import account_balance
from opentill.pos.models import Session
from tests.conftest import order
from tests.integration.helpers import open_session, sync


def test_token_gives_user_and_roles(api_as, shop):
    from tests.conftest import Api

    response = Api(None).post("/auth/token", {"username": "alice", "password": "demo"})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["user"]["roles"] == ["cashier"]
    assert body["token"]


def test_wrong_password_is_401_problem(shop):
    from tests.conftest import Api

    response = Api(None).post("/auth/token", {"username": "alice", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_profiles_list_shows_methods_and_current_session(api_as, shop):
    alice = api_as("alice")
    profiles = alice.get("/profiles").json()
    assert [p["name"] for p in profiles] == ["Till 1", "Till 2"]
    till1 = profiles[0]
    assert till1["opening_control"] is True
    assert till1["max_difference"] == "5.00"
    assert [(m["name"], m["kind"], m["countable"]) for m in till1["payment_methods"]] == [
        ("Cash", "cash", True),
        ("Card", "card", False),
    ]
    assert till1["current_session"] is None
    open_session(alice, till1["id"], [{"payment_method": shop["cash1"].pk, "amount": "0.00"}])
    till1 = api_as("bob").get("/profiles").json()[0]
    assert till1["current_session"]["user"] == "alice"
    assert till1["current_session"]["state"] == "in_progress"


def test_open_with_denominations_books_opening_difference(api_as, shop):
    alice = api_as("alice")
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions")
    assert created.status_code == 201
    session = created.json()
    assert session["state"] == "opening_control"
    assert session["name"].startswith("TILL1/")
    opened = alice.post(
        f"/sessions/{session['id']}/open",
        {
            "counts": [
                {
                    "payment_method": shop["cash1"].pk,
                    "denominations": [
                        {"value": "50.00", "quantity": 1},
                        {"value": "0.50", "quantity": 3},
                    ],
                }
            ],
            "notes": "float from the safe",
        },
    ).json()
    assert opened["state"] == "in_progress"
    assert opened["opening"] == [
        {
            "payment_method": shop["cash1"].pk,
            "name": "Cash",
            "expected": "0.00",
            "counted": "51.50",
            "difference": "51.50",
            "first_float": True,
            "approved_by": None,
        }
    ]
    assert account_balance(account_id=shop["cash1"].financial_account_id) == Decimal("51.50")


def test_profile_without_opening_control_starts_in_progress(api_as, shop):
    response = api_as("bob").post(f"/profiles/{shop['till2'].pk}/sessions")
    assert response.status_code == 201
    assert response.json()["state"] == "in_progress"


def test_second_session_on_a_profile_is_refused(api_as, shop):
    open_session(api_as("alice"), shop["till2"].pk)
    response = api_as("bob").post(f"/profiles/{shop['till2'].pk}/sessions")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "session_already_open"
    assert body["session"]["user"] == "alice"
    assert Session.objects.filter(profile=shop["till2"]).count() == 1


def test_counts_must_match_denominations(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    response = alice.post(
        f"/sessions/{session['id']}/open",
        {
            "counts": [
                {
                    "payment_method": shop["cash1"].pk,
                    "amount": "10.00",
                    "denominations": [{"value": "5.00", "quantity": 1}],
                }
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert Session.objects.get(pk=session["id"]).state == "opening_control"


def test_opening_control_requires_the_cash_count(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    response = alice.post(f"/sessions/{session['id']}/open", {"counts": []})
    assert response.status_code == 422
    assert response.json()["code"] == "count_missing"


def test_another_cashier_cannot_open_or_sell_on_my_session(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    bob = api_as("bob")
    response = bob.post(
        f"/sessions/{session['id']}/open",
        {"counts": [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_session_owner"
    alice.post(
        f"/sessions/{session['id']}/open",
        {"counts": [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]},
    )
    response = bob.post(
        f"/sessions/{session['id']}/orders",
        {"orders": [order([(shop["espresso"].pk, "1")], [(shop["cash1"].pk, "2.20")])]},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_session_owner"
    assert bob.get(f"/sessions/{session['id']}").status_code == 403


def test_manager_may_act_on_any_session(api_as, shop):
    session = open_session(api_as("alice"), shop["till2"].pk)
    results = sync(
        api_as("manager"),
        session["id"],
        order([(shop["mug"].pk, "1")], [(shop["card2"].pk, "9.90")]),
    )
    assert results[0]["status"] == "created"


def test_resume_after_crash_reads_the_same_session(api_as, shop):
    session = open_session(api_as("alice"), shop["till2"].pk)
    sync(
        api_as("alice"),
        session["id"],
        order([(shop["espresso"].pk, "2")], [(shop["cash2"].pk, "4.40")]),
    )
    # A new login (the terminal restarted) sees its session on the profile card and resumes it.
    again = api_as("alice")
    card = next(p for p in again.get("/profiles").json() if p["id"] == shop["till2"].pk)
    assert card["current_session"]["id"] == session["id"]
    detail = again.get(f"/sessions/{session['id']}").json()
    assert detail["order_count"] == 1
    assert detail["sales_total"] == "4.40"
    assert detail["payments"] == [
        {"payment_method": shop["cash2"].pk, "name": "Cash", "amount": "4.40"}
    ]


def test_session_list_filters_and_hides_other_cashiers_sessions(api_as, shop):
    open_session(api_as("alice"), shop["till2"].pk)
    open_session(
        api_as("bob"), shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    assert api_as("alice").get("/sessions").json()["count"] == 1
    page = api_as("manager").get("/sessions", state="in_progress", limit=1).json()
    assert page["count"] == 2
    assert len(page["items"]) == 1
    assert api_as("manager").get("/sessions", user="bob").json()["items"][0]["user"] == "bob"
    bad = api_as("manager").get("/sessions", state="bogus")
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"


def test_session_names_follow_a_sequence(api_as, shop):
    from opentill.pos.services import session_create

    alice = api_as("alice")
    first = open_session(alice, shop["till2"].pk)
    Session.objects.filter(pk=first["id"]).update(state="closed")
    second = session_create(profile=shop["till2"], user=User.objects.get(username="alice"))
    year = first["name"].split("/")[1]
    assert first["name"] == f"TILL2/{year}/0001"
    assert second.name == f"TILL2/{year}/0002"
