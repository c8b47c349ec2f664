"""Ticket numbers (issue #13 item 1): one continuous series per till, given by the terminal
when a ticket is paid (known offline, printed on the receipt) and checked by the server.

Worked figures: espresso 2.20 and mug 9.90 on Till 1 (code ``till1``: numbers TILL1-000001 …),
opened with 100.00 cash.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opentill.orders.models import HeldOrder, Order
from tests.conftest import Api, order
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.helpers import sync


def espresso(shop: dict[str, Any], number: int | None = None, **kw: Any) -> dict[str, Any]:
    """A cash ticket of one espresso (2.20), numbered ``number`` by the till (or not)."""
    extra = {} if number is None else {"number": number}
    return order([(shop["espresso"].pk, "1")], [(shop["cash1"].pk, "2.20")], **extra, **kw)


def mug(shop: dict[str, Any], number: int) -> dict[str, Any]:
    return order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")], number=number)


def stored_numbers(session_id: int) -> dict[str, tuple[int | None, str | None]]:
    """Each order of the session by uuid: its sequence and its number as stored."""
    return {
        str(u): (sequence, number)
        for u, sequence, number in Order.objects.filter(session_id=session_id).values_list(
            "uuid", "sequence", "number"
        )
    }


def report(api: Api, session_id: int, **params: str) -> Any:
    response = api.get(f"/sessions/{session_id}/report", **params)
    assert response.status_code == 200, response.content
    return response


def test_the_server_numbers_paid_orders_sent_without_a_number(api_as, shop):
    alice = api_as("alice")
    session = start_till1(alice, shop)
    assert (session["number_series"], session["next_number"]) == ("TILL1", 1)
    sid = session["id"]
    draft = order([(shop["mug"].pk, "1")], state="draft")
    tickets = (espresso(shop), draft, espresso(shop))
    results = sync(alice, sid, *tickets)
    assert [(r["status"], r["order"]["number"]) for r in results] == [
        ("created", "TILL1-000001"),
        ("created", None),  # a pending ticket is numbered when it is paid
        ("created", "TILL1-000002"),
    ]
    assert stored_numbers(sid) == {
        tickets[0]["uuid"]: (1, "TILL1-000001"),
        draft["uuid"]: (None, None),
        tickets[2]["uuid"]: (2, "TILL1-000002"),
    }
    assert set(
        Order.objects.filter(session_id=sid, sequence__isnull=False).values_list("till", flat=True)
    ) == {shop["till1"].pk}
    assert alice.get(f"/sessions/{sid}").json()["next_number"] == 3
    # The closing data's pending ticket has no number yet.
    pending = alice.get(f"/sessions/{sid}/closing").json()["pending_orders"]
    assert [(p["uuid"], p["number"]) for p in pending] == [(draft["uuid"], None)]
    # After the terminal's own numbers (7), the server goes on from the highest: 8.
    results = sync(alice, sid, espresso(shop, 7), espresso(shop))
    assert [r["order"]["number"] for r in results] == ["TILL1-000007", "TILL1-000008"]


def test_the_same_ticket_sent_twice_is_a_duplicate_not_held(api_as, shop):
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    ticket = espresso(shop, 1)
    assert [r["status"] for r in sync(alice, sid, ticket)] == ["created"]
    again = sync(alice, sid, ticket)
    assert [(r["status"], r["order"]) for r in again] == [("duplicate", None)]
    assert HeldOrder.objects.count() == 0
    assert stored_numbers(sid) == {ticket["uuid"]: (1, "TILL1-000001")}


def test_a_number_another_ticket_has_is_held_and_accepted_with_the_next_number(api_as, shop):
    alice, manager = api_as("alice"), api_as("manager")
    sid = start_till1(alice, shop)["id"]
    first = espresso(shop, 1)
    other = mug(shop, 1)  # another ticket (uuid, lines, payment) with the same number
    twice_in_batch = (espresso(shop, 2), mug(shop, 2))
    results = sync(alice, sid, first, other, *twice_in_batch)
    assert [r["status"] for r in results] == ["created", "held", "created", "held"]
    held = results[1]
    assert held["error"]["code"] == "duplicate_number"
    assert held["error"]["status"] == 422
    assert (held["error"]["number"], held["error"]["order"]) == ("TILL1-000001", first["uuid"])
    assert held["error"]["errors"] == [
        {
            "loc": ["body", "orders", 1, "number"],
            "msg": "another ticket of this till has this number",
        }
    ]
    assert "its number TILL1-000001 is already the number of ticket" in held["error"]["detail"]
    assert results[3]["error"]["order"] == twice_in_batch[0]["uuid"]
    assert stored_numbers(sid) == {
        first["uuid"]: (1, "TILL1-000001"),
        twice_in_batch[0]["uuid"]: (2, "TILL1-000002"),
    }
    # Sent again, a held ticket stays held (its uuid), nothing is stored twice.
    assert [r["status"] for r in sync(alice, sid, other)] == ["held"]

    # The manager accepts it: booked with the till's next number, which the audit names.
    answer = manager.post(
        f"/held-orders/{other['uuid']}/resolve", {"action": "accept", "reason": ""}
    )
    assert answer.status_code == 200, answer.content
    booked = Order.objects.get(uuid=other["uuid"])
    assert (booked.sequence, booked.number, booked.total) == (3, "TILL1-000003", Decimal("9.90"))


def test_a_gap_is_shown_on_the_z_report(api_as, shop):
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    results = sync(alice, sid, espresso(shop, 1), espresso(shop, 2), espresso(shop, 4))
    assert [r["status"] for r in results] == ["created"] * 3
    # 100.00 + 3 × 2.20 = 106.60 in the drawer.
    assert close(alice, sid, count(shop["cash1"], "106.60")).json()["state"] == "closed"
    z = report(alice, sid).json()
    assert z["kind"] == "Z"
    assert z["numbers"] == {
        "series": "TILL1",
        "first": "TILL1-000001",
        "last": "TILL1-000004",
        "count": 3,
        "gaps": [{"first": "TILL1-000003", "last": "TILL1-000003", "count": 1}],
        "missing": 1,
    }
    text = report(alice, sid, format="text").content.decode()
    assert "TICKET NUMBERS" in text
    assert "First number" in text and "TILL1-000001" in text
    assert "Missing numbers" in text
    gap_row = next(line for line in text.splitlines() if "TILL1-000003" in line)
    assert gap_row.split() == ["TILL1-000003", "TILL1-000003", "1"]
    for fmt in ("html", "pdf", "escpos"):
        assert report(alice, sid, format=fmt).status_code == 200


def test_offline_tickets_of_two_sessions_of_a_till_stay_continuous(api_as, shop):
    """Session A sells 1, 2 and (offline, unsent) 3, and is closed; session B starts where
    the server knows (next 3) but the terminal's own counter goes on: 4, 5. Ticket 3
    arrives late, is rescued and keeps its number: no number is missing anywhere."""
    alice, manager = api_as("alice"), api_as("manager")
    a = start_till1(alice, shop)["id"]
    late = espresso(shop, 3)
    assert [r["status"] for r in sync(alice, a, espresso(shop, 1), espresso(shop, 2))] == [
        "created",
        "created",
    ]
    assert close(alice, a, count(shop["cash1"], "104.40")).json()["state"] == "closed"

    b = start_till1(alice, shop, counted="104.40")
    assert b["next_number"] == 3  # ticket 3 is still in the terminal's outbox
    assert [r["status"] for r in sync(alice, b["id"], espresso(shop, 4), mug(shop, 5))] == [
        "created",
        "created",
    ]
    # Before 3 arrives, B's X report shows it missing.
    x = report(alice, b["id"]).json()["numbers"]
    assert (x["first"], x["last"], x["gaps"]) == (
        "TILL1-000004",
        "TILL1-000005",
        [{"first": "TILL1-000003", "last": "TILL1-000003", "count": 1}],
    )
    rescued = sync(alice, a, late)
    assert [(r["status"], r["order"]["number"]) for r in rescued] == [("rescued", "TILL1-000003")]
    rescue_id = rescued[0]["session"]
    # Sessions too: the rescue session is named from a series of its own (R0001), so the
    # regular sessions (and their Z numbers) stay continuous: A is 0001, B is 0002.
    year = b["name"].split("/")[1]
    names = [alice.get(f"/sessions/{pk}").json()["name"] for pk in (a, b["id"], rescue_id)]
    assert names == [f"TILL1/{year}/0001", f"TILL1/{year}/0002", f"TILL1/{year}/R0001"]
    sequences = [
        report(manager, pk).json()["session"]["sequence"] for pk in (a, b["id"], rescue_id)
    ]
    assert sequences == [1, 2, 1]
    assert alice.get(f"/sessions/{b['id']}").json()["next_number"] == 6

    assert report(manager, a).json()["numbers"]["gaps"] == []
    z_a = report(manager, a).json()["numbers"]
    assert (z_a["first"], z_a["last"], z_a["count"]) == ("TILL1-000001", "TILL1-000002", 2)
    r = report(manager, rescue_id).json()["numbers"]
    assert (r["first"], r["last"], r["count"], r["gaps"]) == (
        "TILL1-000003",
        "TILL1-000003",
        1,
        [],
    )
    # 104.40 + 2.20 cash (the mug was paid by card).
    assert close(alice, b["id"], count(shop["cash1"], "106.60")).json()["state"] == "closed"
    z_b = report(alice, b["id"]).json()["numbers"]
    assert (z_b["first"], z_b["last"], z_b["count"], z_b["gaps"], z_b["missing"]) == (
        "TILL1-000004",
        "TILL1-000005",
        2,
        [],
        0,
    )
    assert sorted(Order.objects.filter(till=shop["till1"]).values_list("sequence", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_draft_carrying_a_number_is_held(api_as, shop):
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    draft = order([(shop["mug"].pk, "1")], state="draft", number=1)
    [result] = sync(alice, sid, draft)
    assert result["status"] == "held"
    assert result["error"]["errors"] == [
        {
            "loc": ["body", "orders", 0, "number"],
            "msg": "a draft order (pending ticket) has no number: it is numbered when paid",
        }
    ]
    # A number that is not a positive integer is a shape error: rejected.
    [bad] = sync(alice, sid, espresso(shop, number="TILL1-000001"))  # type: ignore[arg-type]
    assert (bad["status"], bad["error"]["code"]) == ("rejected", "validation_error")


def test_orders_export_has_the_number(api_as, shop):
    from datetime import date

    from opentill.reports import exports

    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    sync(alice, sid, espresso(shop, 1), order([(shop["mug"].pk, "1")], state="draft"))
    data = exports.dataset("orders", date(2026, 11, 21), date(2026, 11, 21))
    columns = [c.title for c in data.columns]
    assert columns[:3] == ["id", "uuid", "number"]
    assert sorted((row[2] or "") for row in data.rows()) == ["", "TILL1-000001"]  # the draft: none
