"""``--history N``: a year of closed sessions, filled in bulk (Django side).

:func:`fill_history` runs in a subprocess on the bench's database (``python -m
opentill.bench.fill history N FIRST_DAY DAYS``). It writes, with plain ``executemany``
INSERTs in one transaction, the rows the application writes for closed sessions of the
demo's Till 2, one session a day over ``DAYS`` days from ``FIRST_DAY``, together holding N
orders:

- ``pos_session`` (closed, opened and closed that day) and its closing counts;
- ``orders_order``, ``orders_orderline``, ``orders_orderlinetax``, ``orders_payment``: the
  bench's generated orders (:func:`opentill.bench.orders.generate_orders`), priced by the
  server's pricing, stamped through the day;
- ``accounting_financialtransaction``: one payment transaction per method and session, each
  cleared into that session's reconciliation of the method's account (as a close leaves
  them), start and end balances running on;
- ``accounting_journalentry`` and its balanced lines: the payments' accounts debited, each
  sold product's income account credited its net and each tax's account its tax.

Fiscal records are left out: the history has none (the fiscal journal's per-till chain
starts with the first ticket the server signs). Ticket numbers are left empty (the three
columns are all or nothing). Every value goes through its model field's
``get_db_prep_save``, so money, quantities and times are stored exactly as the ORM would.
"""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any


class _Table:
    """A model's columns, and rows converted for the database by its fields."""

    def __init__(self, model: Any, connection: Any) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.connection = connection
        self.next_id = (model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.rows: list[tuple[Any, ...]] = []

    def take_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for field in self.fields:
            if field.attname in values:
                value = values[field.attname]
            elif field.null:
                value = None
            else:
                value = field.get_default()
            out.append(field.get_db_prep_save(value, self.connection))
        return tuple(out)

    def add(self, values: dict[str, Any]) -> None:
        self.rows.append(self.row(values))

    def write(self, cursor: Any) -> int:
        if not self.rows:
            return 0
        table = self.connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(self.connection.ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", self.rows)
        written = len(self.rows)
        self.rows = []
        return written


def _catalog_shop(profile: Any, session_id: int) -> Any:
    """The bench's :class:`~opentill.bench.orders.Shop` of the profile (its catalog as the
    API serves it, read in process)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from opentill.bench.client import PASSWORD, USERNAME
    from opentill.bench.orders import shop_from_catalog
    from opentill.identity.services import token_issue

    assert get_user_model().objects.filter(username=USERNAME).exists()
    token, _ = token_issue(username=USERNAME, password=PASSWORD)
    response = Client().get(
        f"/api/v1/profiles/{profile.pk}/catalog", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    return shop_from_catalog(
        json.loads(response.content), profile_id=profile.pk, session_id=session_id
    )


def fill_history(count: int, first_day: str, days: str) -> dict[str, Any]:
    """Write ``count`` orders in closed sessions of Till 2, one a day from ``first_day``."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from opentill.accounting.models import (
        FinancialTransaction,
        JournalEntry,
        JournalLine,
        LedgerAccount,
        Reconciliation,
    )
    from opentill.bench.orders import generate_orders, price
    from opentill.catalog.models import Product, Tax
    from opentill.orders.models import Order, OrderLine, OrderLineTax, Payment
    from opentill.pos.models import PaymentMethod, PosProfile, Session, SessionCount

    started = time.perf_counter()
    profile = PosProfile.objects.select_related("store__company").get(code="TILL2")
    user = get_user_model().objects.get(username="alice")
    methods = {m.pk: m for m in PaymentMethod.objects.filter(profile=profile)}
    method_ledger = {
        m.pk: m.financial_account.ledger_account_id
        for m in PaymentMethod.objects.filter(profile=profile).select_related("financial_account")
    }
    products = {p.pk: p for p in Product.objects.all()}
    taxes = {t.pk: t for t in Tax.objects.all()}
    names = dict(LedgerAccount.objects.values_list("id", "name"))
    shop = _catalog_shop(profile, 0)
    tz = timezone.get_current_timezone()
    first = date.fromisoformat(first_day)
    day_count = int(days)

    tables = {
        model: _Table(model, connection)
        for model in (
            Session,
            SessionCount,
            Order,
            OrderLine,
            OrderLineTax,
            Payment,
            Reconciliation,
            FinancialTransaction,
            JournalEntry,
            JournalLine,
        )
    }
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for account_id, end in Reconciliation.objects.order_by("id").values_list(
        "account_id", "end_balance"
    ):
        balances[account_id] = end
    written: dict[str, int] = defaultdict(int)
    per_day, extra = divmod(count, day_count)
    by_id = {p.id: p for p in shop.products}
    templates = []
    for template in generate_orders(shop, min(count, 2000), seed=99):
        lines = [
            (products[line["product"]], Decimal(line["quantity"])) for line in template["lines"]
        ]
        priced = price(shop, [(by_id[product.pk], quantity) for product, quantity in lines])
        templates.append((template, lines, priced))
    serial = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for day_index in range(day_count):
            day = first + timedelta(days=day_index)
            opened = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=8)
            closed = opened + timedelta(hours=12)
            session_id = tables[Session].take_id()
            tables[Session].add(
                {
                    "id": session_id,
                    "profile_id": profile.pk,
                    "user_id": user.pk,
                    "name": f"TILL2/H{day.isoformat()}",
                    "state": Session.State.CLOSED,
                    "created_at": opened,
                    "opened_at": opened,
                    "closing_started_at": closed,
                    "closed_at": closed,
                    "closed_by_id": user.pk,
                }
            )
            paid: dict[int, Decimal] = defaultdict(Decimal)
            income: dict[int, Decimal] = defaultdict(Decimal)
            taxed: dict[int, Decimal] = defaultdict(Decimal)
            orders_today = per_day + (1 if day_index < extra else 0)
            step = timedelta(seconds=max(1, 12 * 3600 // max(orders_today, 1)))
            for index in range(orders_today):
                template, lines, priced = templates[serial % len(templates)]
                serial += 1
                order_id = tables[Order].take_id()
                tables[Order].add(
                    {
                        "id": order_id,
                        "uuid": uuidlib.uuid4(),
                        "session_id": session_id,
                        "requested_session_id": session_id,
                        "user_id": user.pk,
                        "customer_id": None,
                        "state": Order.State.PAID,
                        "created_at": opened + step * index,
                        "synced_at": opened + step * index,
                        "net_total": priced.net_total,
                        "tax_total": priced.tax_total,
                        "total": priced.total,
                        "rounding": priced.rounding,
                        "amount_due": priced.amount_due,
                    }
                )
                for (product, quantity), line_price in zip(lines, priced.lines, strict=True):
                    line_id = tables[OrderLine].take_id()
                    tables[OrderLine].add(
                        {
                            "id": line_id,
                            "order_id": order_id,
                            "product_id": product.pk,
                            "quantity": quantity,
                            "unit_price": product.price,
                            "list_price": product.price,
                            "tax_label": ", ".join(taxes[t.tax_id].name for t in line_price.taxes),
                            "income_account_id": product.income_account_id,
                            "discount": line_price.discount,
                            "net": line_price.net,
                            "tax_amount": line_price.tax,
                            "total": line_price.total,
                        }
                    )
                    income[product.income_account_id] += line_price.net
                    for tax in line_price.taxes:
                        spec = taxes[tax.tax_id]
                        tables[OrderLineTax].add(
                            {
                                "id": tables[OrderLineTax].take_id(),
                                "line_id": line_id,
                                "order_id": order_id,
                                "tax_id": spec.pk,
                                "name": spec.name,
                                "kind": spec.kind,
                                "rate": spec.rate,
                                "account_id": spec.account_id,
                                "refund": quantity < 0,
                                "base": tax.base,
                                "amount": tax.amount,
                            }
                        )
                        taxed[spec.account_id] += tax.amount
                for payment in template["payments"]:
                    method = _method_of(payment["payment_method"], shop, methods)
                    amount = Decimal(payment["amount"])
                    paid[method] += amount
                    tables[Payment].add(
                        {
                            "id": tables[Payment].take_id(),
                            "order_id": order_id,
                            "session_id": session_id,
                            "payment_method_id": method,
                            "amount": amount,
                            "tendered": amount,
                            "change": Decimal(0),
                        }
                    )
            _book_session(
                tables,
                session_id,
                closed,
                day,
                user.pk,
                methods,
                method_ledger,
                names,
                paid,
                income,
                taxed,
                balances,
            )
            if day_index % 10 == 9 or day_index == day_count - 1:
                for model, table in tables.items():
                    written[model._meta.db_table] += table.write(cursor)
        if connection.vendor == "postgresql":
            from django.core.management.color import no_style

            for sql in connection.ops.sequence_reset_sql(no_style(), list(tables)):
                cursor.execute(sql)
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT entry_id FROM accounting_journalline "
            "GROUP BY entry_id HAVING SUM(debit) <> SUM(credit)) unbalanced"
        )
        unbalanced = cursor.fetchone()[0]
    return {
        "unbalanced_entries": unbalanced,
        "orders": count,
        "sessions": day_count,
        "first_day": first.isoformat(),
        "rows": dict(written),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _method_of(bench_method: int, shop: Any, methods: dict[int, Any]) -> int:
    if bench_method not in methods:
        raise ValueError(f"payment method {bench_method} is not Till 2's")
    return bench_method


def _book_session(
    tables: dict[Any, _Table],
    session_id: int,
    closed: datetime,
    day: date,
    user_id: int,
    methods: dict[int, Any],
    method_ledger: dict[int, int],
    names: dict[int, str],
    paid: dict[int, Decimal],
    income: dict[int, Decimal],
    taxed: dict[int, Decimal],
    balances: dict[int, Decimal],
) -> None:
    """A closed session's counts, transactions, reconciliations and journal entry."""
    from opentill.accounting.models import (
        FinancialTransaction,
        JournalEntry,
        JournalLine,
        Reconciliation,
    )
    from opentill.pos.models import SessionCount

    for method_id, method in methods.items():
        amount = paid.get(method_id, Decimal(0))
        tables[SessionCount].add(
            {
                "id": tables[SessionCount].take_id(),
                "session_id": session_id,
                "payment_method_id": method_id,
                "stage": SessionCount.Stage.CLOSING,
                "expected": amount,
                "counted": amount,
                "difference": Decimal(0),
                "keep": Decimal(0),
                "transferred": Decimal(0),
                "created_by_id": user_id,
                "created_at": closed,
            }
        )
        if not amount:
            continue
        account = method.financial_account_id
        reconciliation = tables[Reconciliation].take_id()
        start = balances[account]
        balances[account] = start + amount
        tables[Reconciliation].add(
            {
                "id": reconciliation,
                "account_id": account,
                "session_id": session_id,
                "start_balance": start,
                "end_balance": start + amount,
                "transaction_count": 1,
                "processed": True,
                "created_at": closed,
            }
        )
        tables[FinancialTransaction].add(
            {
                "id": tables[FinancialTransaction].take_id(),
                "account_id": account,
                "kind": FinancialTransaction.Kind.PAYMENT,
                "amount": amount,
                "comment": "history",
                "session_id": session_id,
                "reconciliation_id": reconciliation,
                "created_at": closed,
            }
        )
    entry = tables[JournalEntry].take_id()
    tables[JournalEntry].add(
        {
            "id": entry,
            "kind": JournalEntry.Kind.SESSION,
            "date": day,
            "reference": f"TILL2/H{day.isoformat()} close",
            "session_id": session_id,
            "created_at": closed,
        }
    )
    debits: dict[int, Decimal] = defaultdict(Decimal)
    for method_id, amount in paid.items():
        debits[method_ledger[method_id]] += amount
    credits = defaultdict(Decimal, income)
    for account, amount in taxed.items():
        credits[account] += amount
    sides = [(a, v) for a, v in debits.items()] + [(a, -v) for a, v in credits.items()]
    for account, amount in sides:
        if not amount:
            continue
        tables[JournalLine].add(
            {
                "id": tables[JournalLine].take_id(),
                "entry_id": entry,
                "account_id": account,
                "account_name": names[account],
                "debit": amount if amount > 0 else Decimal(0),
                "credit": -amount if amount < 0 else Decimal(0),
                "label": "history",
            }
        )


# --- the measured steps (bench side: HTTP only) ---------------------------------------------

STEPS = ("open", "sync", "x_report", "close", "dashboard", "export")
SYNC_ORDERS = 10_000
HISTORY_FIRST_DAY = date(2025, 11, 1)  # a year of days before the bench's orders' month
HISTORY_DAYS = 365


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def shift_orders(orders: list[dict[str, Any]], days: int) -> None:
    """Move the orders' times ``days`` later (the second measurement's month)."""
    for order in orders:
        created = datetime.fromisoformat(order["created_at"]) + timedelta(days=days)
        order["created_at"] = created.isoformat()


def measure_steps(
    api: Any,
    manager: Any,
    env: dict[str, str],
    orders: list[dict[str, Any]],
    batch: int,
    profile_id: int,
) -> dict[str, Any]:
    """Time each step once on the database as it is: open a session of the till, sync
    ``orders`` (one client), the X report, the close, the dashboard and the export of the
    orders' month."""
    from opentill.bench.close import close_session
    from opentill.bench.errors import BenchError
    from opentill.bench.server import fill

    seconds: dict[str, float] = {}  # float ok
    began = time.perf_counter()
    session = api.call("POST", f"/profiles/{profile_id}/sessions", {}, expect=201)
    seconds["open"] = time.perf_counter() - began
    path = f"/sessions/{session['id']}/orders"
    created = 0
    began = time.perf_counter()
    for start in range(0, len(orders), batch):
        answer = api.call("POST", path, {"orders": orders[start : start + batch]})
        created += sum(1 for r in answer["results"] if r["status"] == "created")
    seconds["sync"] = time.perf_counter() - began
    if created != len(orders):
        raise BenchError(f"only {created} of {len(orders)} orders were created")
    began = time.perf_counter()
    api.call("GET", f"/sessions/{session['id']}/report")
    seconds["x_report"] = time.perf_counter() - began
    closed = close_session(api, session["id"])
    if closed.state != "closed" or not closed.journal_balanced:
        raise BenchError(f"the close left {closed.state}, balanced {closed.journal_balanced}")
    seconds["close"] = closed.seconds
    first, last = _month(datetime.fromisoformat(orders[0]["created_at"]).date())
    seconds["dashboard"] = fill(env, "dashboard", 0, first.isoformat(), last.isoformat())["seconds"]
    began = time.perf_counter()
    status, _ = manager.raw(
        "GET", f"/exports/orders?from={first.isoformat()}&to={last.isoformat()}"
    )
    seconds["export"] = time.perf_counter() - began
    if status != 200:
        raise BenchError(f"the export answered {status}")
    return {"seconds": seconds, "month": first.isoformat()[:7], "orders": created}


def history_figures(empty: dict[str, Any], full: dict[str, Any], filled: dict[str, Any]) -> dict:
    """Each step's seconds on the empty and on the filled database, and their ratio."""
    steps = {}
    for step in STEPS:
        before, after = empty["seconds"][step], full["seconds"][step]
        steps[step] = {
            "empty_seconds": round(before, 4),
            "history_seconds": round(after, 4),
            "ratio": round(after / before, 2) if before else 0,
        }
    return {
        "orders": filled["orders"],
        "sessions": filled["sessions"],
        "fill_seconds": filled["seconds"],
        "rows": filled["rows"],
        "unbalanced_entries": filled["unbalanced_entries"],
        "fiscal_records": False,  # the history has none (see the module's docstring)
        "synced_per_step": empty["orders"],
        "months": [empty["month"], full["month"]],
        "steps": steps,
        # The issue's key: each step's ratio against the empty database.
        **{step: steps[step]["ratio"] for step in STEPS},
    }


def render_history(h: dict[str, Any], label: str) -> str:
    lines = [
        "opentill bench --history",
        "-" * 72,
        f"database  {label}",
        f"history   {h['orders']:,} orders in {h['sessions']} closed sessions of Till 2 "
        f"(filled in {h['fill_seconds']:.1f} s, no fiscal records)",
        f"each run  {h['synced_per_step']:,} orders synced; months exported {h['months']}",
        f"{'step':<10}{'empty':>12}{'history':>12}{'ratio':>8}   target ≤ 1.2",
    ]
    for step in STEPS:
        s = h["steps"][step]
        lines.append(
            f"{step:<10}{s['empty_seconds']:>11.3f}s{s['history_seconds']:>11.3f}s"
            f"{s['ratio']:>8.2f}   {'ok' if s['ratio'] <= 1.2 else 'MISSED'}"
        )
    return "\n".join(lines)
