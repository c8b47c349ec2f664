"""The fiscal journal (issue #13): signed records per till written in the transaction of
their event, stored grand totals, the verifier, the database's refusal to change a record.
Real keys and real signatures throughout (each test signs with a key file of its own)."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from opentill.common import protection
from opentill.fiscal.models import FiscalHead, FiscalKey, FiscalRecord
from opentill.orders.models import Order
from opentill.orders.services import order_sync
from opentill.orders.signals import orders_synced
from opentill.pos.models import Session
from tests.conftest import api_for, order, rolled_back
from tests.integration.closing_helpers import start_till1
from tests.integration.fiscal_helpers import build_journal, force_close, records, verify_till1
from tests.integration.helpers import sync

D = Decimal


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


# --- what is recorded ---------------------------------------------------------------------------


def test_every_event_is_a_signed_record_and_the_journal_verifies(shop, key_file):
    sessions = build_journal(shop, key_file)

    journal = records()
    assert [(r.sequence, r.kind) for r in journal] == [
        (1, "ticket"),
        (2, "refund"),
        (3, "void"),
        (4, "z"),
        (5, "rescue"),
        (6, "ticket"),
        (7, "force_close"),
        (8, "z"),
        (9, "key_rotation"),
        (10, "ticket"),
        (11, "force_close"),
        (12, "z"),
        (13, "device"),
        (14, "device"),
        (15, "version"),
        (16, "settings"),
        (17, "approval"),
        (18, "training"),
        (19, "reprint"),
        (20, "z"),
        (21, "day_close"),
        (22, "month_close"),
        (23, "year_close"),
        (24, "archive"),
    ]
    assert [r.session_id for r in journal] == [sessions["s1"]] * 4 + [sessions["rescue"]] * 4 + [
        None
    ] + [sessions["s2"]] * 3 + [None] * 4 + [sessions["training"]] * 4 + [None] * 4
    # The chain: each record's previous is the signature before it.
    assert journal[0].previous == ""
    assert all(b.previous == a.signature for a, b in pairwise(journal))
    old_key, new_key = journal[0].key_id, journal[-1].key_id
    assert old_key != new_key
    assert {r.key_id for r in journal[:9]} == {old_key}
    assert FiscalHead.objects.get(profile__code="TILL1").sequence == 24

    ticket = json.loads(journal[0].data)
    # 2 espressos at 2.20 (6 % included) and a mug at 9.90 (21 % included).
    assert ticket["sales"] == {"net": "12.33", "tax": "1.97", "total": "14.30"}
    assert ticket["refunds"] == {"net": "0.00", "tax": "0.00", "total": "0.00"}
    assert ticket["taxes"] == [
        {
            "name": "VAT 21%",
            "kind": "percent",
            "rate": "21.0000",
            "sales": {"base": "8.18", "tax": "1.72"},
            "refunds": {"base": "0.00", "tax": "0.00"},
        },
        {
            "name": "VAT 6%",
            "kind": "percent",
            "rate": "6.0000",
            "sales": {"base": "4.15", "tax": "0.25"},
            "refunds": {"base": "0.00", "tax": "0.00"},
        },
    ]
    assert ticket["payments"] == [
        {"method_id": shop["cash1"].pk, "method": "Cash", "amount": "10.00"},
        {"method_id": shop["card1"].pk, "method": "Card", "amount": "4.30"},
    ]
    assert (ticket["total"], ticket["amount_due"], ticket["currency"]) == ("14.30", "14.30", "EUR")
    assert (ticket["till_code"], ticket["sequence"], ticket["kind"]) == ("TILL1", 1, "ticket")
    void = json.loads(journal[2].data)
    assert (void["total"], void["reason"]) == ("9.90", "customer left")

    # Z of the first session: 14.30 sold, 2.20 refunded.
    z1 = json.loads(journal[3].data)
    assert z1["period"]["sales"] == {"net": "12.33", "tax": "1.97", "total": "14.30"}
    assert z1["period"]["refunds"] == {"net": "-2.08", "tax": "-0.12", "total": "-2.20"}
    assert z1["period"]["real"]["total"] == "12.10"
    assert z1["period"]["absolute"]["total"] == "16.50"
    assert z1["period"]["count"] == {"tickets": 1, "refunds": 1}
    assert z1["perpetual"] == z1["period"]
    assert (z1["forced"], z1["rescue"]) == (False, False)
    vat6 = z1["period"]["taxes"][1]
    assert vat6["name"] == "VAT 6%"
    assert vat6["real"] == {"base": "2.07", "tax": "0.13"}
    assert vat6["absolute"] == {"base": "6.23", "tax": "0.37"}
    # The rescue session's Z: the late mug, and the perpetual 12.10 + 9.90.
    z2 = json.loads(journal[7].data)
    assert (z2["forced"], z2["rescue"]) == (True, True)
    assert z2["period"]["real"]["total"] == "9.90"
    assert z2["perpetual"]["real"]["total"] == "22.00"
    # After the rotation: one espresso more.
    z3 = json.loads(journal[11].data)
    assert z3["perpetual"]["real"]["total"] == "24.20"
    assert z3["perpetual"]["absolute"]["total"] == "28.60"  # 14.30 + 9.90 + 2.20 + |-2.20|
    assert z3["perpetual"]["count"] == {"tickets": 3, "refunds": 1}
    rotation = json.loads(journal[8].data)
    assert rotation["new_key_id"] == new_key
    assert rotation["key_id"] == old_key
    # The training session's Z: its ticket is in no total (the till's perpetual stays).
    registered, closed = json.loads(journal[12].data), json.loads(journal[13].data)
    assert (registered["event"], closed["event"]) == ("registered", "daily_close")
    assert closed["counter"] == 13  # the software signer's day ends at its last record
    z4 = json.loads(journal[19].data)
    assert z4["period"]["count"] == {"tickets": 0, "refunds": 0}
    assert z4["perpetual"] == z3["perpetual"]

    result = verify_till1()
    assert (result.ok, result.records, result.first_broken) == (True, 24, None)
    assert result.keys == [old_key, new_key]


def test_a_sync_that_fails_leaves_no_record(shop, key_file):
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]

    def fails(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("a later step of the sync failed")

    orders_synced.connect(fails, dispatch_uid="test-fails")
    try:
        with pytest.raises(RuntimeError):
            order_sync(
                session_id=sid,
                user=Session.objects.get(pk=sid).user,
                payloads=[order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")])],
            )
    finally:
        orders_synced.disconnect(dispatch_uid="test-fails")
    assert not FiscalRecord.objects.exists()
    assert not Order.objects.filter(session_id=sid).exists()
    # The same ticket synced again is recorded once.
    sync(alice, sid, order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")]))
    assert [r.kind for r in records()] == ["ticket"]


def test_the_database_refuses_to_change_or_delete_a_record(shop, key_file):
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]
    sync(alice, sid, order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")]))
    record = records()[0]
    for statement in (
        lambda: FiscalRecord.objects.filter(pk=record.pk).update(kind="void"),
        lambda: FiscalRecord.objects.filter(pk=record.pk).delete(),
        lambda: FiscalKey.objects.all().update(public_key="x"),
        lambda: FiscalKey.objects.all().delete(),
        lambda: FiscalHead.objects.all().update(sequence=0),  # backwards
        lambda: FiscalHead.objects.all().delete(),
    ):
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            statement()
        assert protection.is_refusal(refused.value)
    assert records()[0].data == record.data


# --- grand totals, property -----------------------------------------------------------------------


@pytest.mark.slow
@hsettings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sessions=st.lists(
        st.tuples(
            st.lists(
                st.tuples(
                    st.sampled_from(["espresso", "mug"]),
                    st.integers(min_value=-2, max_value=3).filter(bool),
                    st.sampled_from(["paid", "draft_voided", "draft_left"]),
                ),
                max_size=4,
            ),
            st.booleans(),  # a training session
            st.booleans(),  # a late ticket after its close (a rescue session)
        ),
        min_size=1,
        max_size=3,
    )
)
def test_every_z_perpetual_is_the_sum_of_its_tills_sales_records(shop, key_file, sessions):
    """Over random sessions with sales, refunds, voids, training sessions and rescue
    sessions: each Z's perpetual is the sum of the till's ticket and refund records of the
    sessions closed so far (training tickets are ``training`` records: in no total)."""
    with rolled_back():
        alice, manager = api_for("alice"), api_for("manager")
        for tickets, training, late in sessions:
            if training:
                created = alice.post(f"/profiles/{shop['till1'].pk}/sessions", {"training": True})
                assert created.status_code == 201, created.content
                sid = created.json()["id"]
                opened = alice.post(
                    f"/sessions/{sid}/open",
                    {"counts": [{"payment_method": shop["cash1"].pk, "amount": "100.00"}]},
                )
                assert opened.status_code == 200, opened.content
            else:
                sid = start_till1(alice, shop)["id"]
            for product, quantity, fate in tickets:
                unit = D("2.20") if product == "espresso" else D("9.90")
                body = order(
                    [(shop[product].pk, str(quantity))],
                    [(shop["card1"].pk, str(unit * quantity))] if fate == "paid" else [],
                    **({} if fate == "paid" else {"state": "draft"}),
                )
                sync(alice, sid, body)
                if fate == "draft_voided":
                    alice.post(f"/orders/{body['uuid']}/void", {"reason": "changed mind"})
            force_close(manager, sid)  # voids the drafts left
            if late:
                ticket = order([(shop["mug"].pk, "1")], [(shop["card1"].pk, "9.90")])
                if training:  # a closed training session's late ticket is no sale
                    refused = alice.post(f"/sessions/{sid}/orders", {"orders": [ticket]})
                    assert refused.status_code == 409, refused.content
                else:
                    (answer,) = sync(alice, sid, ticket)
                    assert answer["status"] == "rescued", answer
                    force_close(manager, answer["session"], "late tickets")
        journal = records()
        kinds = {r.kind for r in journal}
        assert ("training" in kinds) == any(
            training and any(f == "paid" for _, _, f in tickets)
            for tickets, training, _ in sessions
        )
        assert ("rescue" in kinds) == any(late and not training for _, training, late in sessions)
        assert verify_till1().ok
        closed: set[int] = set()
        for record in journal:
            if record.kind != "z":
                continue
            closed.add(record.session_id)  # type: ignore[arg-type]
            data = json.loads(record.data)
            sold = [
                json.loads(r.data)
                for r in journal
                if r.kind in ("ticket", "refund") and r.session_id in closed
            ]
            real = sum((D(s["total"]) for s in sold), D(0))
            absolute = sum(
                (abs(D(s["sales"]["total"])) + abs(D(s["refunds"]["total"])) for s in sold), D(0)
            )
            assert D(data["perpetual"]["real"]["total"]) == real
            assert D(data["perpetual"]["absolute"]["total"]) == absolute
        voids = [json.loads(r.data)["order"] for r in journal if r.kind == "void"]
        drafts = sum(1 for tickets, _, _ in sessions for t in tickets if t[2] != "paid")
        assert len(voids) == len(set(voids)) == drafts
