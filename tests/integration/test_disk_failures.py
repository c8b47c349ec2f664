"""A database that is full or read-only answers 503 service_unavailable with Retry-After,
never a 500: nothing was stored and the till may send the same request again (issue #11,
point 7). The conditions are real ones of each engine: SQLite's page limit and query-only
mode, PostgreSQL's read-only transactions (a hot standby or a database switched read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from opentill.orders.models import Order
from tests.conftest import order
from tests.integration.helpers import open_session

pytestmark = pytest.mark.django_db


@contextmanager
def _pragma(name: str, value: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name} = {before}")


@contextmanager
def _full() -> Iterator[None]:
    """SQLite: no page may be added beyond the ones the file has (SQLITE_FULL)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA max_page_count")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {before}")


@contextmanager
def _read_only() -> Iterator[None]:
    if connection.vendor == "sqlite":
        with _pragma("query_only", 1):
            yield
        return
    # Every transaction of this connection starts read-only, as on a hot standby.
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")


def _many_orders(shop, n: int) -> list[dict]:
    espresso, cash = shop["espresso"].id, shop["cash2"].id
    return [order([(espresso, "1")], [(cash, "2.20")]) for _ in range(n)]


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"]
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert "nothing was stored" in body["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_full_sqlite_database_is_503_and_stores_nothing(shop, api_as):
    """SQLite rolls the whole transaction back when the file is full: a test that commits."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page limit")
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].id)
    orders = _many_orders(shop, 300)
    with _full():
        response = alice.post(f"/sessions/{session['id']}/orders", {"orders": orders})
    _assert_unavailable(response)
    assert not Order.objects.filter(session_id=session["id"]).exists()


@pytest.mark.django_db(transaction=True)
def test_a_read_only_database_is_503_and_stores_nothing(shop, api_as):
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].id)
    with _read_only():
        response = alice.post(
            f"/sessions/{session['id']}/orders", {"orders": _many_orders(shop, 2)}
        )
        _assert_unavailable(response)
        assert not Order.objects.filter(session_id=session["id"]).exists()
