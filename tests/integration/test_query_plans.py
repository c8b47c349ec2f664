"""Query plans of the hot queries (issue #16): none reads orders, payments or financial
transactions by scanning the whole table, so their cost does not grow with history.

The SQL is the real SQL the code runs, explained as it runs (an execute wrapper) around the
sync, the closing data, the close, the X report, the dashboard and a month's export; each
statement is then explained by the engine of the run:

- SQLite: ``EXPLAIN QUERY PLAN`` must show no ``SCAN`` of a watched table (``SEARCH … USING
  INDEX`` is a lookup);
- PostgreSQL: ``EXPLAIN (FORMAT JSON)`` with sequential scans, merge and hash joins off (a
  handful of rows would otherwise make them the cheapest plan) must show no ``Seq Scan`` on
  a watched table, and no index scan of one without an index condition (a whole-index walk
  is a scan too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from opentill.reports.dashboard import dashboard
from tests.conftest import order
from tests.integration.helpers import open_session, sync

WATCHED = ("orders_order", "orders_payment", "accounting_financialtransaction", "pos_session")

# Statements that are not reads of history: the writes of new rows and the engine's own.
_SKIP = re.compile(r"^\s*(INSERT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW)\b", re.I)


def _sqlite_scans(sql: str, params: Any) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        details = [row[-1] for row in cursor.fetchall()]
    return [
        d
        for d in details
        if any(re.match(rf"SCAN {table}\b", d) for table in WATCHED)
        # "SCAN orders_order AS U0" / "SCAN U0" with the alias of a watched table
        or (d.startswith("SCAN ") and _aliased_watched(sql, d.split()[1]))
    ]


def _aliased_watched(sql: str, alias: str) -> bool:
    return any(re.search(rf'"?{table}"?\s+(AS\s+)?"?{alias}"?\b', sql) for table in WATCHED)


def _pg_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _pg_nodes(child)


# A handful of rows make a sequential scan, or a merge or hash join walking a whole index,
# the cheapest plan: with these off, the plan shows whether an index can serve each access.
_PG_OFF = ("enable_seqscan", "enable_mergejoin", "enable_hashjoin")


def _postgres_scans(sql: str, params: Any) -> list[str]:
    with connection.cursor() as cursor:
        # The statement's temporary tables (the close's invoice map) hold a few rows the
        # planner cannot know of before they are analyzed: it would take them for big ones.
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r' "
            "AND pg_table_is_visible(oid)"
        )
        for (temporary,) in cursor.fetchall():
            if temporary in sql:
                cursor.execute(f'ANALYZE "{temporary}"')
        for setting in _PG_OFF:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (raw,) = cursor.fetchone()
        for setting in _PG_OFF:
            cursor.execute(f"SET LOCAL {setting} = on")
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    found = []
    for node in _pg_nodes(plan):
        table = node.get("Relation Name")
        if table not in WATCHED:
            continue
        kind = node["Node Type"]
        if kind == "Seq Scan":
            found.append(f"Seq Scan on {table}")
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            found.append(f"{kind} on {table} without a condition ({node.get('Index Name')})")
    return found


class _Explainer:
    """An execute wrapper that explains every read of a watched table as it runs (with its
    real parameters, and while the temporary tables it reads still exist)."""

    def __init__(self) -> None:
        self.explain = _postgres_scans if connection.vendor == "postgresql" else _sqlite_scans
        self.statements = 0
        self.scans: dict[str, list[str]] = {}
        self._inside = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not self._inside and not many and not _SKIP.match(sql):
            self.statements += 1
            if any(table in sql for table in WATCHED):
                self._inside = True
                try:
                    found = self.explain(sql, params)
                finally:
                    self._inside = False
                if found:
                    self.scans[sql] = found
        return execute(sql, params, many, context)


def _scans_of(call: Callable[[], Any]) -> dict[str, list[str]]:
    """Run ``call``; the statements it ran whose plan scans a watched table, with what the
    plan says."""
    explainer = _Explainer()
    with connection.execute_wrapper(explainer):
        call()
    assert explainer.statements, "nothing was captured"
    return explainer.scans


def _scans(statements: list[str]) -> dict[str, list[str]]:
    explainer = _Explainer()
    for sql in statements:
        found = explainer.explain(sql, None)
        if found:
            explainer.scans[sql] = found
    return explainer.scans


@pytest.fixture
def session(shop: dict[str, Any], api_as: Callable[[str], Any]) -> dict[str, Any]:
    """An open session of Till 2 with sales, a refund, a split payment and a cash move, and a
    closed session of Till 1 before it (history the queries must not read)."""
    alice = api_as("alice")
    espresso, mug = shop["espresso"].pk, shop["mug"].pk
    cash2, card2 = shop["cash2"].pk, shop["card2"].pk
    earlier = open_session(
        alice, shop["till1"].pk, [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]
    )
    sync(alice, earlier["id"], order([(espresso, "2")], [(shop["cash1"].pk, "4.40")]))
    closing = alice.get(f"/sessions/{earlier['id']}/closing").json()
    counts = [
        {"payment_method": line["payment_method"], "counted": line["expected"]}
        for line in closing["lines"]
        if line["countable"]
    ]
    closed = alice.post(f"/sessions/{earlier['id']}/close", {"counts": counts})
    assert closed.status_code == 200, closed.content

    current = open_session(alice, shop["till2"].pk)
    results = sync(
        alice,
        current["id"],
        order([(espresso, "1")], [(cash2, "2.20")]),
        order([(mug, "1"), (espresso, "2")], [(card2, "10.00"), (cash2, "4.30")]),
        order([(mug, "-1")], [(cash2, "-9.90")]),
    )
    assert [r["status"] for r in results] == ["created"] * 3
    moved = alice.post(
        f"/sessions/{current['id']}/cash-moves",
        {"kind": "deposit", "payment_method": cash2, "amount": "20.00", "reason": "float"},
    )
    assert moved.status_code == 201, moved.content
    return {"id": current["id"], "api": alice, "manager": api_as("manager"), "shop": shop}


def test_the_sync_looks_orders_up_by_index(session: dict[str, Any]) -> None:
    shop = session["shop"]
    scans = _scans_of(
        lambda: sync(
            session["api"],
            session["id"],
            order([(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")]),
        )
    )
    assert scans == {}


def test_a_duplicate_sync_looks_orders_up_by_index(session: dict[str, Any]) -> None:
    shop = session["shop"]
    again = order([(shop["espresso"].pk, "1")], [(shop["cash2"].pk, "2.20")])
    sync(session["api"], session["id"], again)
    assert _scans_of(lambda: sync(session["api"], session["id"], again)) == {}


def test_the_x_report_reads_by_index(session: dict[str, Any]) -> None:
    def x_report() -> None:
        response = session["api"].get(f"/sessions/{session['id']}/report")
        assert response.status_code == 200, response.content

    assert _scans_of(x_report) == {}


def test_the_closing_data_and_the_close_read_by_index(session: dict[str, Any]) -> None:
    api = session["api"]

    def close() -> None:
        closing = api.get(f"/sessions/{session['id']}/closing").json()
        counts = [
            {"payment_method": line["payment_method"], "counted": line["expected"]}
            for line in closing["lines"]
            if line["countable"]
        ]
        response = api.post(f"/sessions/{session['id']}/close", {"counts": counts})
        assert response.status_code == 200, response.content

    assert _scans_of(close) == {}


def test_the_dashboard_reads_a_period_by_index(session: dict[str, Any]) -> None:
    today = date.today()
    assert _scans_of(lambda: dashboard(start=today.replace(day=1), end=today)) == {}


@pytest.mark.parametrize("dataset", ["sessions", "orders", "payments", "journal"])
def test_a_month_export_reads_its_period_by_index(session: dict[str, Any], dataset: str) -> None:
    today = date.today()

    def export() -> None:
        response = session["manager"].get(
            f"/exports/{dataset}", **{"from": today.replace(day=1).isoformat(), "to": today}
        )
        assert response.status_code == 200, response.content
        b"".join(response.streaming_content)

    assert _scans_of(export) == {}


def _sorts(sql: str, params: Any) -> list[str]:
    """What in the plan sorts rows (SQLite: a temporary B-tree; PostgreSQL: a Sort node)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in _PG_OFF:
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            (raw,) = cursor.fetchone()
            for setting in _PG_OFF:
                cursor.execute(f"SET LOCAL {setting} = on")
            plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
            return [n["Node Type"] for n in _pg_nodes(plan) if "Sort" in n["Node Type"]]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall() if "TEMP B-TREE" in row[-1]]


def test_the_close_finds_each_account_s_last_reconciliation_without_sorting(
    session: dict[str, Any],
) -> None:
    """The start balance of a reconciliation is the end of the account's last one: read at
    every close, it must be one step down an index (account, id), not a sort of the
    account's whole history."""
    found: dict[str, list[str]] = {}
    seen = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("SELECT") and '"accounting_reconciliation"' in sql and "ORDER BY" in sql:
            seen.append(sql)
            sorts = _sorts(sql, params)  # EXPLAIN …: not a SELECT, not explained again
            if sorts:
                found[sql] = sorts
        return execute(sql, params, many, context)

    api = session["api"]
    closing = api.get(f"/sessions/{session['id']}/closing").json()
    counts = [
        {"payment_method": line["payment_method"], "counted": line["expected"]}
        for line in closing["lines"]
        if line["countable"]
    ]
    with connection.execute_wrapper(wrapper):
        response = api.post(f"/sessions/{session['id']}/close", {"counts": counts})
    assert response.status_code == 200, response.content
    assert seen, "the close read no reconciliation"
    assert found == {}


@pytest.mark.django_db
def test_the_check_finds_a_scan() -> None:
    """The check itself: a query that must scan the orders (no condition an index serves)."""
    found = _scans(["SELECT SUM(total) FROM orders_order WHERE total = 1"])
    assert list(found) == ["SELECT SUM(total) FROM orders_order WHERE total = 1"]


def test_the_dashboard_counts_the_period_s_sessions_and_every_open_one(
    session: dict[str, Any],
) -> None:
    """What the two index reads of the states panel count: Till 1's session closed today
    and Till 2's open one; a year ago, only the open one (however old, it is not closed)."""

    def states(start: date, end: date) -> dict[str, str]:
        panel = next(p for p in dashboard(start=start, end=end) if p.key == "states")
        return {label: n for label, n in panel.rows if n != "0"}

    today = timezone.localdate()  # the dashboard's days are the server's time zone's
    assert states(today, today) == {"Closed": "1", "In progress": "1"}
    year_ago = today.replace(year=today.year - 1, day=1)
    assert states(year_ago, year_ago) == {"In progress": "1"}
