"""Money is stored in thousandths of the currency's unit (every ISO 4217 currency has 0, 2
or 3 decimals): any such amount goes to the database and back exactly, sums stay exact SQL
integer sums, and the migration that rescaled the stored amounts works on a database that
already holds closed sessions (they read the same, and stay protected)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentill.catalog.models import Product
from opentill.common.protection import MARK
from opentill.orders.models import Order, OrderLine, Payment
from opentill.pos.models import Session
from tests.conftest import order, shop_rows
from tests.integration.closing_helpers import close, count, start_till1
from tests.integration.helpers import sync

D = Decimal

amounts = st.decimals(
    min_value=D("0"),
    max_value=D("999999999.999"),
    places=3,
    allow_nan=False,
    allow_infinity=False,
)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prices=st.lists(amounts, min_size=1, max_size=5))
def test_any_amount_with_three_decimals_round_trips_and_sums_exactly(shop, prices):
    """Prices of 0 (JPY), 2 (EUR) and 3 (BHD) decimals are stored and read back equal, and
    their SQL sum is exact."""
    ids = list(Product.objects.order_by("id").values_list("id", flat=True)[: len(prices)])
    assert len(ids) == len(prices)
    with transaction.atomic():
        for pk, price in zip(ids, prices, strict=True):
            Product.objects.filter(pk=pk).update(price=price)
        read = [Product.objects.get(pk=pk).price for pk in ids]
        summed = Product.objects.filter(pk__in=ids).aggregate(s=Sum("price"))["s"]
        transaction.set_rollback(True)
    assert read == prices
    assert summed == sum(prices, D(0))


@pytest.mark.django_db
def test_amounts_are_stored_in_thousandths(shop):
    """A 1.099 price is the integer 1099 in its column, 9.90 is 9900."""
    shop["mug"].refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT price FROM {Product._meta.db_table} WHERE id = %s", [shop["mug"].pk]
        )
        assert cursor.fetchone()[0] == 9900
    Product.objects.filter(pk=shop["mug"].pk).update(price=D("1.099"))
    assert Product.objects.get(pk=shop["mug"].pk).price == D("1.099")
    assert str(Product.objects.get(pk=shop["espresso"].pk).price) == "2.20"


LATEST = {
    "accounting": "0007_money_thousandths",
    "catalog": "0006_money_thousandths",
    "invoicing": "0004_money_thousandths",
    "orders": "0006_money_thousandths",
    "pos": "0004_money_thousandths",
    "stores": "0004_money_thousandths",
}


def _raw(sql: str, params: list[object]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _figures(sid: int) -> dict[str, object]:
    orders = Order.objects.filter(session_id=sid).order_by("id")
    return {
        "orders": [(o.total, o.tax_total, o.net_total, o.amount_due) for o in orders],
        "lines": sorted(
            (str(line.unit_price), str(line.total))
            for line in OrderLine.objects.filter(order__session_id=sid)
        ),
        "payments": sorted(
            (str(p.amount), str(p.tendered), str(p.change))
            for p in Payment.objects.filter(order__session_id=sid)
        ),
        "counts": sorted(
            (str(c.expected), str(c.counted)) for c in Session.objects.get(pk=sid).counts.all()
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_the_rescaling_migration_keeps_a_closed_sessions_figures_and_its_protection():
    """A closed session (two orders, cash with change, counts, its journal entry): migrated
    back to two-decimal storage its amounts are hundredths, migrated forward they are
    thousandths again and read the same; its payments still refuse any change."""
    from tests.conftest import api_for

    shop = shop_rows()
    alice = api_for("alice")
    sid = start_till1(alice, shop)["id"]
    e, m = shop["espresso"].pk, shop["mug"].pk
    cash, card = shop["cash1"].pk, shop["card1"].pk
    paid = order([(e, "2")], [(cash, "4.40")])
    paid["payments"][0]["tendered"] = "5.00"
    assert [r["status"] for r in sync(alice, sid, paid, order([(m, "1")], [(card, "9.90")]))] == [
        "created",
        "created",
    ]
    closed = close(alice, sid, count(shop["cash1"], "104.40"))
    assert closed.status_code == 200, closed.content
    before = _figures(sid)
    payment = Payment.objects.get(order__session_id=sid, tendered=D("5.00"))
    table = Payment._meta.db_table
    raw = f"SELECT amount, tendered, change FROM {table} WHERE id = %s"
    assert _raw(raw, [payment.pk]) == [(4400, 5000, 600)]

    for app, name in LATEST.items():
        previous = f"{int(name[:4]) - 1:04d}"
        call_command("migrate", app, previous, verbosity=0)
    assert _raw(raw, [payment.pk]) == [(440, 500, 60)]  # hundredths, as before the change

    call_command("migrate", verbosity=0)
    assert _raw(raw, [payment.pk]) == [(4400, 5000, 600)]
    assert _figures(sid) == before
    assert Session.objects.get(pk=sid).state == Session.State.CLOSED
    with pytest.raises(IntegrityError, match=MARK), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET amount = amount * 10 WHERE id = %s", [payment.pk])


@pytest.mark.django_db(transaction=True)
def test_amounts_with_three_decimals_cannot_be_migrated_back_to_hundredths():
    shop = shop_rows()
    Product.objects.filter(pk=shop["mug"].pk).update(price=D("1.099"))
    with pytest.raises(ValueError, match="finer than the older scale"):
        call_command("migrate", "catalog", "0005", verbosity=0)
    call_command("migrate", verbosity=0)
