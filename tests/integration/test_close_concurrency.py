"""Closes racing each other and racing order syncs, on PostgreSQL's row locks: real threads,
each with its own connection and HTTP client, released together by a barrier."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from opentill.accounting.models import FinancialTransaction, JournalEntry, Reconciliation
from opentill.audit.models import AuditEvent
from opentill.identity.services import token_issue
from opentill.orders.models import Order, Payment
from opentill.pos.models import Session, SessionCount
from tests.conftest import Api, order
from tests.integration.closing_helpers import balances, journal_is_balanced, start_till1
from tests.integration.helpers import race, sync

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

D = Decimal
ROUNDS = 4  # races per test: each round is a fresh session


def token(username: str) -> str:
    value, _ = token_issue(username=username, password="demo")
    return value


def post(token_value: str, path: str, body: Any) -> Callable[[], tuple[int, Any]]:
    """A request to run in a thread, with a client of its own."""

    def call() -> tuple[int, Any]:
        response = Api(token_value).post(path, body)
        return response.status_code, response.json()

    return call


def sell(api: Api, shop: dict[str, Any], session_id: int) -> None:
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    results = sync(
        api,
        session_id,
        order([(e, "2")], [(cash, "4.40")]),
        order([(m, "1")], [(card, "9.90")]),
        order([(m, "1"), (e, "1")], [(cash, "12.10")]),
        order([(e, "-1")], [(cash, "-2.20")]),
    )
    assert {r["status"] for r in results} == {"created"}


def test_two_simultaneous_closes_post_once(shop):
    alice, manager = token("alice"), token("manager")
    api = Api(alice)
    for _ in range(ROUNDS):
        start = balances()
        session = start_till1(api, shop, "100.00")
        sid = session["id"]
        sell(api, shop, sid)
        body = {"counts": [{"payment_method": shop["cash1"].pk, "counted": "113.10"}]}
        results = race(
            post(alice, f"/sessions/{sid}/close", body),
            post(manager, f"/sessions/{sid}/close", body),
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        winner = next(b for s, b in results if s == 200)
        loser = next(b for s, b in results if s == 409)
        assert winner["state"] == "closed"
        assert loser["code"] == "invalid_state"

        assert JournalEntry.objects.filter(session_id=sid).count() == 1
        assert Reconciliation.objects.filter(session_id=sid).count() == 4
        assert SessionCount.objects.filter(session_id=sid, stage="closing").count() == 2
        assert FinancialTransaction.objects.filter(session_id=sid, kind="difference").count() == 1
        assert FinancialTransaction.objects.filter(session_id=sid, kind="transfer").count() == 4
        assert AuditEvent.objects.filter(session_id=sid, action="session_closed").count() == 1
        end = balances()
        assert end["Till 1 cash drawer"] == D("100.00")
        assert end["Safe"] == start["Safe"] + D("13.10")
        assert end["Bank"] == start["Bank"] + D("9.90")
        journal_is_balanced()


def test_validate_racing_force_close_posts_once(shop):
    alice, manager, manager2 = token("alice"), token("manager"), token("manager")
    api = Api(alice)
    session = start_till1(api, shop)
    sid = session["id"]
    sell(api, shop, sid)
    waiting = api.post(
        f"/sessions/{sid}/close",
        {"counts": [{"payment_method": shop["cash1"].pk, "counted": "107.00"}]},
    )
    assert waiting.json()["state"] == "closing_control"
    start = balances()
    results = race(
        post(manager, f"/sessions/{sid}/validate-closing", {"notes": "ok"}),
        post(manager2, f"/sessions/{sid}/force-close", {"reason": "stuck"}),
    )
    assert sorted(status for status, _ in results) == [200, 409], results
    assert next(b for s, b in results if s == 409)["code"] == "invalid_state"
    assert JournalEntry.objects.filter(session_id=sid).count() == 1
    assert FinancialTransaction.objects.get(session_id=sid, kind="difference").amount == D("-7.30")
    end = balances()
    assert end["Till 1 cash drawer"] == D("100.00")
    assert end["Safe"] == start["Safe"] + D("7.00")
    journal_is_balanced()


def test_close_racing_order_sync_loses_and_counts_nothing_twice(shop):
    alice, manager = token("alice"), token("manager")
    api = Api(alice)
    session = start_till1(api, shop)
    sid = session["id"]
    sell(api, shop, sid)
    cash = shop["cash1"].pk
    espresso = shop["espresso"].pk

    syncers, batches, per_batch = 2, 6, 4
    payloads = [
        [
            [
                order([(espresso, str(q))], [(cash, f"{D('2.20') * q}")])
                for q in range(1 + (s + b) % 3, 1 + (s + b) % 3 + per_batch)
            ]
            for b in range(batches)
        ]
        for s in range(syncers)
    ]
    started = threading.Semaphore(0)

    def syncer(index: int) -> Callable[[], list[list[dict[str, Any]]]]:
        def call() -> list[list[dict[str, Any]]]:
            client = Api(alice)
            out = []
            for number, batch in enumerate(payloads[index]):
                response = client.post(f"/sessions/{sid}/orders", {"orders": batch})
                assert response.status_code == 200, response.content
                out.append(response.json()["results"])
                if number == 0:
                    started.release()
            return out

        return call

    def closer() -> tuple[int, Any]:
        for _ in range(syncers):
            assert started.acquire(timeout=30)
        response = Api(manager).post(
            f"/sessions/{sid}/close", {"counts": [{"payment_method": cash, "counted": "150.00"}]}
        )
        return response.status_code, response.json()

    *synced, (status, closed) = race(*(syncer(i) for i in range(syncers)), closer)
    assert status == 200, closed
    assert closed["state"] == "closed"

    results = [r for per_syncer in synced for batch in per_syncer for r in batch]
    all_uuids = [o["uuid"] for per_syncer in payloads for batch in per_syncer for o in batch]
    assert sorted(r["uuid"] for r in results) == sorted(all_uuids)
    assert {r["status"] for r in results} <= {"created", "rescued"}
    # A batch is stored under one lock: all its orders went the same way.
    for per_syncer in synced:
        for batch in per_syncer:
            assert len({r["status"] for r in batch}) == 1, batch
    created = [r for r in results if r["status"] == "created"]
    rescued = [r for r in results if r["status"] == "rescued"]
    assert {r["session"] for r in created} <= {sid}
    rescue_ids = {r["session"] for r in rescued}
    assert len(rescue_ids) <= 1
    # Each uuid is stored once, where its result says.
    stored = dict(Order.objects.filter(uuid__in=all_uuids).values_list("uuid", "session_id"))
    assert len(stored) == len(all_uuids)
    assert {str(u): s for u, s in stored.items()} == {r["uuid"]: r["session"] for r in results}

    # Never lost, never counted twice: the two sessions' payments are all that was paid.
    def paid(session_ids: Any) -> Decimal:
        return Payment.objects.filter(session_id__in=session_ids).aggregate(s=Sum("amount"))[
            "s"
        ] or D(0)

    amounts = {o["uuid"]: D(o["payments"][0]["amount"]) for per in payloads for b in per for o in b}
    in_session = paid([sid])
    in_rescue = paid(rescue_ids)
    assert in_session + in_rescue == D("24.20") + sum(amounts.values(), D(0))
    assert in_rescue == sum((amounts[r["uuid"]] for r in rescued), D(0))
    # The close counted exactly the orders stored in the session.
    expected_cash = D("114.30") + sum((amounts[r["uuid"]] for r in created), D(0))
    cash_count = SessionCount.objects.get(session_id=sid, stage="closing", payment_method_id=cash)
    assert cash_count.expected == expected_cash
    assert FinancialTransaction.objects.get(session_id=sid, kind="difference").amount == (
        D("150.00") - expected_cash
    )
    assert Order.objects.filter(session_id=sid).count() == 4 + len(created)
    journal_is_balanced()

    if rescue_ids:
        (rescue_id,) = rescue_ids
        rescue = Session.objects.get(pk=rescue_id)
        assert (rescue.rescue, rescue.state) == (True, "in_progress")
        assert Order.objects.filter(session_id=rescue_id).count() == len(rescued)
        assert not FinancialTransaction.objects.filter(
            session_id=rescue_id, reconciliation__isnull=False
        ).exists()
        done = Api(manager).post(f"/sessions/{rescue_id}/close", {})
        assert done.json()["state"] == "closed", done.content
    assert balances()["Till 1 cash drawer"] == D("100.00")
    journal_is_balanced()


def test_force_close_racing_a_void_never_deadlocks(shop, monkeypatch):
    """Timing is forced (a pause between the void's two row locks) so the interleaving that
    deadlocks happens every time; the outcome must still be 200/409, never a 500."""
    import opentill.orders.services as order_services

    alice, manager = token("alice"), token("manager")
    api = Api(alice)
    session = start_till1(api, shop)
    sid = session["id"]
    draft = order([(shop["mug"].pk, "1")], state="draft")
    sync(api, sid, draft)

    real = Session.objects

    class SlowManager:
        def select_for_update(self, *args: Any, **kwargs: Any) -> Any:
            time.sleep(0.4)  # the void already holds the order row
            return real.select_for_update(*args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    class SlowSession:
        State = Session.State
        objects = SlowManager()

    monkeypatch.setattr(order_services, "Session", SlowSession)
    force = post(manager, f"/sessions/{sid}/force-close", {"reason": "terminal crashed"})

    def late_force() -> tuple[int, Any]:
        time.sleep(0.1)  # the void takes the order row first
        return force()

    results = race(post(alice, f"/orders/{draft['uuid']}/void", {"reason": "gone"}), late_force)
    assert all(status in (200, 409) for status, _ in results), results
    assert Session.objects.get(pk=sid).state == "closed"
    assert Order.objects.get(uuid=draft["uuid"]).state == "void"
