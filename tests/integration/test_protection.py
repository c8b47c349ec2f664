"""The database itself refuses to change what must never change (common/protection.py):
raw SQL on a closed session's records is refused on SQLite and PostgreSQL, while the few
named changes the application makes still go through."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.test import RequestFactory

from opentill.accounting.models import FinancialTransaction, Reconciliation
from opentill.api import _integrity_error
from opentill.common.protection import MARK, RULES, Rule, maintenance
from opentill.invoicing.models import Invoice
from opentill.orders.models import HeldOrder, Order
from opentill.pos.models import Session, SessionCount
from tests.conftest import api_for, is_postgres, order, shop_rows
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.helpers import open_session, sync

# A count by denomination of the 149.40 the closed session's drawer holds.
DRAWER = [
    {"value": "100.00", "quantity": 1},
    {"value": "10.00", "quantity": 4},
    {"value": "2.00", "quantity": 4},
    {"value": "0.10", "quantity": 14},
]


@pytest.fixture(scope="module")
def closed_once(module_db: None) -> int:
    """A closed session with every kind of record: orders (one invoiced at sync, one held
    and accepted), a deposit, a partial count, counts by denomination, reconciliations,
    consolidated invoices, a journal entry and its audit trail. Built once for the module
    (``module_db``): every test here only reads it or has its change refused."""
    shop = shop_rows()
    alice, manager = api_for("alice"), api_for("manager")
    sid = start_till1(alice, shop)["id"]
    e, m = shop["espresso"].pk, shop["mug"].pk
    cash, card = shop["cash1"].pk, shop["card1"].pk
    mismatch = order([(m, "2")], [(cash, "20.00")])  # 19.80 due: held
    results = sync(
        alice,
        sid,
        order([(e, "2")], [(cash, "4.40")]),
        order([(m, "1")], [(card, "9.90")], to_invoice=True),
        mismatch,
    )
    assert [r["status"] for r in results] == ["created", "created", "held"]
    accepted = manager.post(f"/held-orders/{mismatch['uuid']}/resolve", {"action": "accept"})
    assert accepted.status_code == 200, accepted.content
    deposit = {
        "uuid": str(uuid.uuid4()),
        "kind": "deposit",
        "payment_method": cash,
        "amount": "25.00",
        "reason": "change",
    }
    assert alice.post(f"/sessions/{sid}/cash-moves", deposit).status_code == 201
    partial = alice.post(
        f"/sessions/{sid}/partial-close", {"counts": [count(shop["cash1"], "149.40")]}
    )
    assert partial.status_code in (200, 201), partial.content
    closed = close(alice, sid, count(shop["cash1"], denominations=DRAWER))
    assert closed.status_code == 200, closed.content
    assert Session.objects.get(pk=sid).state == Session.State.CLOSED
    return sid


@pytest.fixture
def closed(closed_once: int, db: None) -> int:
    return closed_once


def _rows(rule: Rule, sid: int) -> models.QuerySet[Any]:
    """The rows of ``rule``'s table that belong to the closed session ``sid``."""
    model = apps.get_model(rule.model)
    by_model: dict[str, dict[str, Any]] = {
        "accounting.JournalLine": {"entry__session": sid},
        "orders.OrderLine": {"order__session": sid},
        "orders.OrderLineTax": {"order__session": sid},
        "pos.CountDenomination": {"count__session": sid},
        "pos.Session": {"pk": sid},
        "fiscal.FiscalKey": {},  # the keys that signed its records
    }
    return model.objects.filter(**by_model.get(rule.model, {"session": sid}))


def _other(field: models.Field, value: Any) -> Any:
    """A value of ``field``'s type that differs from ``value`` and breaks no constraint."""
    if isinstance(field, models.ForeignKey):
        return (value or 0) + 1_000_000
    if isinstance(field, models.BooleanField):
        return not value
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.JSONField):
        return {"tampered": True}
    if isinstance(field, models.DateTimeField):
        return (value or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)) + datetime.timedelta(
            days=1
        )
    if isinstance(field, models.DateField):
        return (value or datetime.date(2026, 1, 1)) + datetime.timedelta(days=1)
    if isinstance(field, (models.CharField, models.TextField)):
        return "x" if value != "x" else "y"
    if isinstance(field, models.AutoField | models.BigAutoField):
        return value + 1_000_000
    if isinstance(field, models.IntegerField):
        return (value or 0) + 1
    if isinstance(field, models.DecimalField) or isinstance(value, Decimal):
        return (value or Decimal(0)) + 1
    raise AssertionError(f"no other value for {field!r}")


def _refused(sql: str, params: list[Any]) -> None:
    with pytest.raises(IntegrityError, match=MARK), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _truncate_refused(table: str) -> None:
    with connection.cursor() as cursor:
        # The test's own transaction holds deferred foreign-key checks TRUNCATE would wait on.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _refused(f"TRUNCATE {table} CASCADE", [])


def _allowed(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# A till's fiscal head is no session's record: it moves forward at each append (its refusals:
# test_fiscal_journal.py).
# A device transaction is no session's record either: its refusals are in
# test_fiscal_devices.py.
RECORD_RULES = [
    r for r in RULES if r.model not in ("fiscal.FiscalHead", "fiscal.DeviceTransaction")
]


@pytest.mark.parametrize("rule", RECORD_RULES, ids=[r.model for r in RECORD_RULES])
def test_raw_update_of_any_column_of_a_closed_sessions_record_is_refused(closed, rule):
    rows = _rows(rule, closed)
    row = rows.order_by("pk").first()
    assert row is not None, f"the closed session has no {rule.model}"
    model = type(row)
    # Every column the table has today: a column added later and left unprotected fails here.
    for field in model._meta.concrete_fields:
        new = field.get_db_prep_save(_other(field, getattr(row, field.attname)), connection)
        _refused(
            f"UPDATE {_table(model)} SET {connection.ops.quote_name(field.column)} = %s "
            "WHERE id = %s",
            [new, row.pk],
        )
    assert model.objects.get(pk=row.pk).__dict__.keys() == row.__dict__.keys()
    fresh = model.objects.get(pk=row.pk)
    assert [getattr(fresh, f.attname) for f in model._meta.concrete_fields] == [
        getattr(row, f.attname) for f in model._meta.concrete_fields
    ]


@pytest.mark.parametrize("rule", RECORD_RULES, ids=[r.model for r in RECORD_RULES])
def test_raw_delete_of_a_closed_sessions_record_is_refused(closed, rule):
    rows = _rows(rule, closed)
    model = rows.model
    before = rows.count()
    assert before
    _refused(f"DELETE FROM {_table(model)} WHERE id = %s", [rows.order_by("pk").first().pk])
    _refused(
        f"DELETE FROM {_table(model)} WHERE id IN ({', '.join(['%s'] * before)})",
        list(rows.values_list("pk", flat=True)),
    )
    assert rows.count() == before


@pytest.mark.skipif(not is_postgres(), reason="TRUNCATE is PostgreSQL's")
@pytest.mark.parametrize("rule", RULES, ids=[r.model for r in RULES])
def test_truncate_is_refused(closed, rule):
    model = apps.get_model(rule.model)
    before = model.objects.count()
    _truncate_refused(_table(model))
    assert model.objects.count() == before


@pytest.mark.skipif(not is_postgres(), reason="TRUNCATE is PostgreSQL's")
def test_truncate_cascading_from_an_unprotected_table_is_refused(closed):
    before = Order.objects.count()
    # The profiles are configuration; emptying them would cascade into sessions and orders.
    _truncate_refused("pos_posprofile")
    assert Order.objects.count() == before


def test_audit_events_cannot_be_deleted_on_either_database(closed):
    _refused("DELETE FROM audit_auditevent", [])


# --- the named changes the application makes still go through ------------------------------


@pytest.fixture
def open_till2(api_as: Any, shop: dict[str, Any]) -> int:
    return open_session(api_as("bob"), shop["till2"].pk)["id"]


def test_an_open_sessions_draft_may_be_voided_and_a_paid_order_invoiced(
    closed, open_till2, api_as, shop
):
    e, cash = shop["espresso"].pk, shop["cash2"].pk
    draft, paid, other = (
        order([(e, "1")], state="draft"),
        order([(e, "1")], [(cash, "2.20")]),
        order([(e, "1")], [(cash, "2.20")]),
    )
    results = sync(api_as("bob"), open_till2, draft, paid, other)
    assert [r["status"] for r in results] == ["created"] * 3
    ids = {o.uuid.hex: o.pk for o in Order.objects.filter(session=open_till2)}
    draft_id, paid_id, other_id = (ids[uuid.UUID(o["uuid"]).hex] for o in (draft, paid, other))
    invoice = Invoice.objects.filter(session=closed).first()
    table = _table(Order)
    # Not these: a paid order voided, a draft invoiced, a figure changed, an invoice moved.
    _refused(f"UPDATE {table} SET state = 'void' WHERE id = %s", [paid_id])
    _refused(
        f"UPDATE {table} SET state = 'invoiced', invoice_id = %s WHERE id = %s",
        [invoice.pk, draft_id],
    )
    _refused(f"UPDATE {table} SET state = 'paid' WHERE id = %s", [draft_id])
    _refused(f"UPDATE {table} SET total = total + 1 WHERE id = %s", [paid_id])
    _refused(f"UPDATE {table} SET state = 'invoiced' WHERE id = %s", [paid_id])
    # These: a draft voided with a reason, a paid order attached to its invoice.
    assert _allowed(
        f"UPDATE {table} SET state = 'void', void_reason = 'mistake' WHERE id = %s", [draft_id]
    )
    assert _allowed(
        f"UPDATE {table} SET state = 'invoiced', invoice_id = %s WHERE id = %s",
        [invoice.pk, paid_id],
    )
    # Once invoiced, the order keeps its invoice; a void order stays void.
    _refused(f"UPDATE {table} SET invoice_id = NULL, state = 'paid' WHERE id = %s", [paid_id])
    _refused(f"UPDATE {table} SET state = 'draft' WHERE id = %s", [draft_id])
    _refused(f"DELETE FROM {table} WHERE id = %s", [other_id])


def test_a_pending_transaction_is_reconciled_once_and_never_changed(
    closed, open_till2, api_as, shop
):
    sync(
        api_as("bob"), open_till2, order([(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")])
    )
    pending = FinancialTransaction.objects.get(session=open_till2, reconciliation__isnull=True)
    reconciliation = Reconciliation.objects.filter(session=closed).first()
    table = _table(FinancialTransaction)
    _refused(f"UPDATE {table} SET amount = amount + 1 WHERE id = %s", [pending.pk])
    assert _allowed(
        f"UPDATE {table} SET reconciliation_id = %s WHERE id = %s", [reconciliation.pk, pending.pk]
    )
    _refused(f"UPDATE {table} SET reconciliation_id = NULL WHERE id = %s", [pending.pk])


def test_an_open_session_is_opened_counted_and_closed_but_keeps_its_name(open_till2):
    table = _table(Session)
    assert _allowed(
        f"UPDATE {table} SET closing_notes = 'counted twice' WHERE id = %s", [open_till2]
    )
    _refused(f"UPDATE {table} SET name = 'renamed' WHERE id = %s", [open_till2])
    assert _allowed(f"UPDATE {table} SET state = 'closed' WHERE id = %s", [open_till2])
    _refused(f"UPDATE {table} SET closing_notes = 'later' WHERE id = %s", [open_till2])
    _refused(f"UPDATE {table} SET state = 'in_progress' WHERE id = %s", [open_till2])


def test_an_open_sessions_counts_may_be_replaced(api_as, shop, open_till2):
    bob = api_as("bob")
    body = {"counts": [count(shop["cash2"], "0.00")]}
    assert bob.post(f"/sessions/{open_till2}/partial-close", body).status_code in (200, 201)
    (partial,) = SessionCount.objects.filter(session=open_till2)
    table = _table(SessionCount)
    assert _allowed(f"UPDATE {table} SET counted = counted + 1 WHERE id = %s", [partial.pk])
    assert _allowed(f"DELETE FROM {table} WHERE id = %s", [partial.pk])


def test_a_held_order_is_resolved_once_and_keeps_what_the_till_sent(open_till2, api_as, shop):
    held = order([(shop["mug"].pk, "1")], [(shop["cash2"].pk, "10.00")])  # 9.90 due
    assert sync(api_as("bob"), open_till2, held)[0]["status"] == "held"
    row = HeldOrder.objects.get(uuid=held["uuid"])
    manager = apps.get_model("auth.User").objects.get(username="manager")
    table = _table(HeldOrder)
    _refused(f"UPDATE {table} SET payload = %s WHERE id = %s", ['{"total": "9.90"}', row.pk])
    assert _allowed(
        f"UPDATE {table} SET state = 'voided', resolved_by_id = %s, resolved_at = %s, "
        "resolution_reason = 'gone' WHERE id = %s",
        [
            manager.pk,
            HeldOrder._meta.get_field("resolved_at").get_db_prep_save(
                datetime.datetime.now(tz=datetime.UTC), connection
            ),
            row.pk,
        ],
    )
    _refused(f"UPDATE {table} SET resolution_reason = 'other' WHERE id = %s", [row.pk])
    _refused(f"DELETE FROM {table} WHERE id = %s", [row.pk])


# --- the deliberate way past, and what a client sees ----------------------------------------


def test_maintenance_lets_a_deliberate_operation_through_for_its_transaction_only(closed):
    table = _table(Order)
    with maintenance():
        assert _allowed(
            f"UPDATE {table} SET void_reason = 'maintenance' WHERE session_id = %s", [closed]
        )
    assert set(Order.objects.filter(session=closed).values_list("void_reason", flat=True)) == {
        "maintenance"
    }
    _refused(f"UPDATE {table} SET void_reason = '' WHERE session_id = %s", [closed])


def test_a_refusal_reaching_the_api_is_a_409_immutable_problem(closed):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table(Invoice)} WHERE session_id = %s", [closed])
    except IntegrityError as exc:
        refusal = exc
    else:
        raise AssertionError("the delete went through")
    response = _integrity_error(RequestFactory().post("/api/v1/x"), refusal)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["code"] == "immutable"
    assert "issued invoices never change" in body["detail"]
    assert "Traceback" not in body["detail"]
