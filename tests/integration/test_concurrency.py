"""Races between terminals, on PostgreSQL's real row locks: real threads, each with its own
database connection and HTTP client, released together by a barrier."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from opentill.accounting.selectors import account_balance
from opentill.orders.models import Order, Payment
from opentill.pos.models import PaymentMethod, Session
from tests.conftest import Api, is_postgres, new_uuid, order
from tests.integration.helpers import open_session, race

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL's row locking"),
]

ROUNDS = 5


def as_json(response: Any) -> tuple[int, Any]:
    """Status and JSON body, read in the request's thread."""
    return response.status_code, response.json()


def send(api: Api, session_id: int, orders: list[dict[str, Any]]) -> Callable[[], Any]:
    """A call that syncs ``orders`` to the session."""
    return lambda: as_json(api.post(f"/sessions/{session_id}/orders", {"orders": orders}))


def start(api: Api, profile_id: int) -> Callable[[], Any]:
    """A call that starts a session on the profile."""
    return lambda: as_json(api.post(f"/profiles/{profile_id}/sessions"))


def stored_payments_match_balances(methods: list[PaymentMethod]) -> None:
    for method in methods:
        paid = Payment.objects.filter(payment_method=method).aggregate(s=Sum("amount"))["s"]
        assert account_balance(account_id=method.financial_account_id) == (
            paid or Decimal("0.00")
        ), method


# --- two terminals open the same till -----------------------------------------------------------


def test_two_users_opening_the_same_till_at_once(api_as, shop):
    for profile in (shop["till2"], shop["till1"]):  # without and with opening control
        for _ in range(ROUNDS):
            alice, bob = api_as("alice"), api_as("bob")
            answers = race(start(alice, profile.pk), start(bob, profile.pk))
            statuses = sorted(status for status, _ in answers)
            assert statuses == [201, 409], answers
            (winner,) = [body for status, body in answers if status == 201]
            (loser,) = [body for status, body in answers if status == 409]
            assert loser["code"] == "session_already_open"
            active = Session.objects.filter(profile=profile, rescue=False).exclude(state="closed")
            assert list(active.values_list("pk", flat=True)) == [winner["id"]]
            # Close it behind the API's back so that the next round races again.
            active.update(state="closed")
        assert Session.objects.filter(profile=profile).count() == ROUNDS


def test_many_terminals_opening_the_same_till_at_once(api_as, shop):
    profile = shop["till2"]
    clients = [api_as(name) for name in ("alice", "bob", "manager", "alice", "bob", "manager")]
    answers = race(*[start(api, profile.pk) for api in clients])
    assert Counter(status for status, _ in answers) == {201: 1, 409: 5}, answers
    assert {body["code"] for status, body in answers if status == 409} == {"session_already_open"}
    assert Session.objects.filter(profile=profile).count() == 1


# --- two terminals send the same orders ----------------------------------------------------------


def _batch(shop: dict[str, Any], uuids: list[str], cash: str, card: str) -> list[dict[str, Any]]:
    """Paid orders with the given uuids, alternately in cash and by card, and one refund."""
    orders = []
    for index, uuid in enumerate(uuids):
        if index % 5 == 4:
            orders.append(
                order([(shop["espresso"].pk, "-1")], [(shop[cash].pk, "-2.20")], uuid=uuid)
            )
        elif index % 2:
            orders.append(order([(shop["mug"].pk, "1")], [(shop[card].pk, "9.90")], uuid=uuid))
        else:
            orders.append(order([(shop["espresso"].pk, "2")], [(shop[cash].pk, "4.40")], uuid=uuid))
    return orders


def _statuses(answer: tuple[int, Any]) -> dict[str, str]:
    status, body = answer
    assert status == 200, body
    return {r["uuid"]: r["status"] for r in body["results"]}


def test_the_same_batch_sent_twice_at_once(api_as, shop):
    session = open_session(api_as("alice"), shop["till2"].pk)["id"]
    for _ in range(ROUNDS):
        uuids = [new_uuid() for _ in range(40)]
        batch = _batch(shop, uuids, "cash2", "card2")
        first, second = api_as("alice"), api_as("alice")  # two terminals, one cashier
        answers = race(send(first, session, batch), send(second, session, batch))
        a, b = (_statuses(answer) for answer in answers)
        for uuid in uuids:
            assert sorted([a[uuid], b[uuid]]) == ["created", "duplicate"], uuid
        assert Order.objects.filter(uuid__in=uuids).count() == len(uuids)
    assert Payment.objects.count() == ROUNDS * 40
    stored_payments_match_balances([shop["cash2"], shop["card2"]])


def test_overlapping_batches_at_once(api_as, shop):
    session = open_session(api_as("alice"), shop["till2"].pk)["id"]
    for _ in range(ROUNDS):
        uuids = [new_uuid() for _ in range(30)]
        left = _batch(shop, uuids[:20], "cash2", "card2")
        right = _batch(shop, uuids[10:], "cash2", "card2")[::-1]
        alice, manager = api_as("alice"), api_as("manager")
        answers = race(send(alice, session, left), send(manager, session, right))
        a, b = (_statuses(answer) for answer in answers)
        assert set(a.values()) | set(b.values()) <= {"created", "duplicate"}
        for uuid in uuids:
            seen = [statuses[uuid] for statuses in (a, b) if uuid in statuses]
            assert seen.count("created") == 1, (uuid, seen)
        assert Order.objects.filter(uuid__in=uuids).count() == 30
    stored_payments_match_balances([shop["cash2"], shop["card2"]])


def test_the_same_uuids_sent_to_two_sessions_at_once(api_as, shop):
    """Two tills, two sessions: only the unique index on ``uuid`` decides, so the loser's
    insert waits for the winner's commit, then sorts out each of its orders."""
    alice, bob = api_as("alice"), api_as("bob")
    till2 = open_session(alice, shop["till2"].pk)["id"]
    till1 = open_session(
        bob, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )["id"]
    for _ in range(ROUNDS):
        uuids = [new_uuid() for _ in range(30)]
        for_till2 = _batch(shop, uuids, "cash2", "card2")
        for_till1 = _batch(shop, uuids, "cash1", "card1")
        answers = race(send(alice, till2, for_till2), send(bob, till1, for_till1))
        a, b = (_statuses(answer) for answer in answers)
        for uuid in uuids:
            assert sorted([a[uuid], b[uuid]]) == ["created", "duplicate"], uuid
        assert Order.objects.filter(uuid__in=uuids).count() == 30
    stored_payments_match_balances([shop[key] for key in ("cash1", "card1", "cash2", "card2")])


# A test-only trigger that makes inserting an order whose uuid starts with SLOW take half a
# second: it holds two racing INSERT statements open long enough to interleave every time.
SLOW = "51ee9000"


@pytest.fixture
def slow_inserts(shop) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION test_slow_order_insert() RETURNS trigger AS $$
            BEGIN
                IF NEW.uuid::text LIKE '{SLOW}-%' THEN PERFORM pg_sleep(0.5); END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_slow_order_insert BEFORE INSERT ON orders_order
                FOR EACH ROW EXECUTE FUNCTION test_slow_order_insert();
            """
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS test_slow_order_insert ON orders_order;"
            "DROP FUNCTION IF EXISTS test_slow_order_insert();"
        )


def test_shared_uuids_in_opposite_orders_to_two_sessions_at_once(api_as, shop, slow_inserts):
    alice, bob = api_as("alice"), api_as("bob")
    till2 = open_session(alice, shop["till2"].pk)["id"]
    till1 = open_session(
        bob, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )["id"]
    x, y = new_uuid(), new_uuid()
    slow_a, slow_b = (SLOW + new_uuid()[8:] for _ in range(2))
    # Each terminal sends x and y around one slow order of its own, in opposite orders.
    left = _batch(shop, [x, slow_a, y], "cash2", "card2")
    right = _batch(shop, [y, slow_b, x], "cash1", "card1")
    answers = race(send(alice, till2, left), send(bob, till1, right))
    assert [status for status, _ in answers] == [200, 200], answers
    a, b = (_statuses(answer) for answer in answers)
    assert (a[slow_a], b[slow_b]) == ("created", "created")
    for uuid in (x, y):
        assert sorted([a[uuid], b[uuid]]) == ["created", "duplicate"], uuid
    assert Order.objects.filter(uuid__in=[x, y]).count() == 2
    stored_payments_match_balances([shop[key] for key in ("cash1", "card1", "cash2", "card2")])
