"""The sync's answer (issue #16): built from typed values and rendered without validating it
again, it is exactly what rendering it through its schema (``SyncOut``) gives, for every
status: created (with change, several taxes, a refund), duplicate, held and rejected."""

from __future__ import annotations

import json

from ninja.renderers import JSONRenderer

from opentill.orders.api import SyncOut
from tests.conftest import api_for, order
from tests.integration.closing_helpers import start_till1


def test_the_sync_answer_is_what_its_schema_renders(shop):
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]
    cash, card = shop["cash1"].pk, shop["card1"].pk
    e, m = shop["espresso"].pk, shop["mug"].pk
    sale = order([(e, "2"), (m, "1")], [(card, "4.30")])
    sale["payments"].append({"payment_method": cash, "amount": "10.00", "tendered": "20.00"})
    batch = [
        sale,
        order([(e, "-1")], [(cash, "-2.20")]),
        order([(m, "1")], state="draft"),
        order([(m, "1")], [(card, "9.90")], colour="blue"),  # an unknown field: held
        {"uuid": "not a uuid", "lines": []},  # rejected
    ]
    first = alice.post(f"/sessions/{sid}/orders", {"orders": batch})
    again = alice.post(f"/sessions/{sid}/orders", {"orders": batch[:1]})  # a duplicate
    for response in (first, again):
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json; charset=utf-8"
        answer = json.loads(response.content)
        rendered = JSONRenderer().render(
            None,  # type: ignore[arg-type]
            SyncOut.model_validate(answer).model_dump(),
            response_status=200,
        )
        assert response.content.decode() == rendered
    statuses = [r["status"] for r in json.loads(first.content)["results"]]
    assert statuses == ["created", "created", "created", "held", "rejected"]
    assert [r["status"] for r in json.loads(again.content)["results"]] == ["duplicate"]
    created = json.loads(first.content)["results"][0]["order"]
    assert created["created_at"] == "2026-11-21T10:02:03+01:00"
    assert created["payments"][1] == {
        "payment_method": cash,
        "amount": "10.00",
        "tendered": "20.00",
        "change": "10.00",
    }
    assert [t["amount"] for t in created["taxes"]] == ["0.25", "1.72"]
