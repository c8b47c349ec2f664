"""The baseline: the same rows written with plain SQL inserts into the same engine."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from opentill.bench.database import Database
from opentill.bench.orders import Shop, price
from opentill.money import STORED_PLACES, to_minor

BASELINE_TABLES = ("bench_tx", "bench_payment", "bench_line_tax", "bench_line", "bench_order")

BASELINE_DDL = (
    """CREATE TABLE bench_order (
        id BIGINT PRIMARY KEY, uuid CHAR(36) NOT NULL UNIQUE, session_id BIGINT NOT NULL,
        requested_session_id BIGINT NOT NULL, user_id BIGINT NOT NULL, customer_id BIGINT,
        state VARCHAR(8) NOT NULL, to_invoice BOOLEAN NOT NULL, created_at VARCHAR(40) NOT NULL,
        synced_at VARCHAR(40) NOT NULL, net_total BIGINT NOT NULL, tax_total BIGINT NOT NULL,
        total BIGINT NOT NULL, rounding BIGINT NOT NULL, amount_due BIGINT NOT NULL)""",
    "CREATE INDEX bench_order_session ON bench_order (session_id, state)",
    """CREATE TABLE bench_line (
        id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES bench_order (id),
        product_id BIGINT NOT NULL, quantity BIGINT NOT NULL, unit_price BIGINT NOT NULL,
        discount_percent BIGINT NOT NULL, tax_rate BIGINT NOT NULL, discount BIGINT NOT NULL,
        net BIGINT NOT NULL, tax_amount BIGINT NOT NULL, total BIGINT NOT NULL)""",
    "CREATE INDEX bench_line_order ON bench_line (order_id)",
    """CREATE TABLE bench_line_tax (
        id BIGINT PRIMARY KEY, line_id BIGINT NOT NULL REFERENCES bench_line (id),
        order_id BIGINT NOT NULL REFERENCES bench_order (id), tax_id BIGINT NOT NULL,
        name VARCHAR(100) NOT NULL, kind VARCHAR(8) NOT NULL, rate BIGINT NOT NULL,
        account_id BIGINT NOT NULL, refund BOOLEAN NOT NULL, base BIGINT NOT NULL,
        amount BIGINT NOT NULL)""",
    "CREATE INDEX bench_line_tax_order ON bench_line_tax (order_id)",
    """CREATE TABLE bench_payment (
        id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES bench_order (id),
        session_id BIGINT NOT NULL, payment_method_id BIGINT NOT NULL, amount BIGINT NOT NULL)""",
    "CREATE INDEX bench_payment_order ON bench_payment (order_id)",
    "CREATE INDEX bench_payment_session ON bench_payment (session_id, payment_method_id)",
    # One payment transaction per payment method and batch, as the server books them.
    """CREATE TABLE bench_tx (
        id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, kind VARCHAR(20) NOT NULL,
        amount BIGINT NOT NULL, session_id BIGINT NOT NULL, created_at VARCHAR(40) NOT NULL)""",
    "CREATE INDEX bench_tx_account ON bench_tx (account_id)",
)


@dataclass
class Rows:
    """The rows of one batch for the five baseline tables."""

    orders: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    line_taxes: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    transactions: list[tuple[Any, ...]] = field(default_factory=list)


def _minor(value: Decimal, places: int = STORED_PLACES) -> int:
    return to_minor(value, places)


def baseline_rows(
    shop: Shop, orders: Sequence[dict[str, Any]], batch: int, session_id: int
) -> list[Rows]:
    """The same orders as rows (order, lines, payments, payment transactions), per batch,
    priced by the server's pricing (:func:`opentill.bench.orders.price`); like the server,
    a batch books one payment transaction per payment method."""
    products = {p.id: p for p in shop.products}
    accounts = {shop.cash_id: 1, shop.card_id: 2}
    synced = datetime.now(tz=UTC).isoformat()
    batches: list[Rows] = []
    line_id = payment_id = line_tax_id = 0
    tx_id = 0
    per_method: dict[int, int] = {}

    def book() -> None:
        nonlocal tx_id
        for method, amount in sorted(per_method.items()):
            tx_id += 1
            batches[-1].transactions.append(
                (tx_id, accounts[method], "payment", amount, session_id, synced)
            )
        per_method.clear()

    for order_id, order in enumerate(orders, start=1):
        if (order_id - 1) % batch == 0:
            if batches:
                book()
            batches.append(Rows())
        rows = batches[-1]
        lines = [(products[line["product"]], Decimal(line["quantity"])) for line in order["lines"]]
        priced = price(shop, lines)
        for (product, quantity), line_price in zip(lines, priced.lines, strict=True):
            line_id += 1
            rows.lines.append(
                (
                    line_id,
                    order_id,
                    product.id,
                    _minor(quantity, 3),
                    _minor(product.price),
                    0,
                    _minor(product.tax_rate, 4),
                    _minor(line_price.discount),
                    _minor(line_price.net),
                    _minor(line_price.tax),
                    _minor(line_price.total),
                )
            )
            for tax in line_price.taxes:
                line_tax_id += 1
                rows.line_taxes.append(
                    (
                        line_tax_id,
                        line_id,
                        order_id,
                        tax.tax_id,
                        "VAT",
                        "percent",
                        0,
                        1,
                        quantity < 0,
                        _minor(tax.base),
                        _minor(tax.amount),
                    )
                )
        rows.orders.append(
            (
                order_id,
                order["uuid"],
                session_id,
                session_id,
                1,
                order.get("customer"),
                "paid",
                False,
                order["created_at"],
                synced,
                _minor(priced.net_total),
                _minor(priced.tax_total),
                _minor(priced.total),
                _minor(priced.rounding),
                _minor(priced.amount_due),
            )
        )
        for payment in order["payments"]:
            payment_id += 1
            amount = _minor(Decimal(payment["amount"]))
            method = payment["payment_method"]
            rows.payments.append((payment_id, order_id, session_id, method, amount))
            per_method[method] = per_method.get(method, 0) + amount
    if batches:
        book()
    return batches


@dataclass
class BaselineResult:
    seconds: float  # float ok
    orders: int
    lines: int
    line_taxes: int
    payments: int
    transactions: int

    @property
    def rows(self) -> int:
        return self.orders + self.lines + self.line_taxes + self.payments + self.transactions


_INSERTS = (
    ("orders", "bench_order", 15),
    ("lines", "bench_line", 11),
    ("line_taxes", "bench_line_tax", 11),
    ("payments", "bench_payment", 5),
    ("transactions", "bench_tx", 6),
)


def _write_batches(conn: Any, batches: Sequence[Rows], placeholder: str) -> None:
    """INSERT every batch with executemany, one transaction per batch."""
    statements = [
        (attr, f"INSERT INTO {table} VALUES ({', '.join([placeholder] * width)})")
        for attr, table, width in _INSERTS
    ]
    for rows in batches:
        cursor = conn.cursor()
        cursor.execute("BEGIN")
        for attr, sql in statements:
            cursor.executemany(sql, getattr(rows, attr))
        cursor.execute("COMMIT")
        cursor.close()


def _connect_baseline(database: Database) -> tuple[Any, str]:
    """A connection in autocommit mode (the bench issues BEGIN/COMMIT) and its placeholder."""
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        conn = sqlite3.connect(database.sqlite_path, isolation_level=None)
        # The settings OpenTill uses for SQLite (see settings.py).
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        return conn, "?"
    import psycopg

    return psycopg.connect(database.url, autocommit=True), "%s"


def baseline(database: Database, batches: Sequence[Rows]) -> BaselineResult:
    """Create the bench_* tables and time the plain inserts of ``batches``."""
    conn, placeholder = _connect_baseline(database)
    try:
        for table in BASELINE_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in BASELINE_DDL:
            conn.execute(ddl)
        started = time.perf_counter()
        _write_batches(conn, batches, placeholder)
        seconds = time.perf_counter() - started  # float ok
    finally:
        conn.close()
    return BaselineResult(
        seconds=seconds,
        orders=sum(len(b.orders) for b in batches),
        lines=sum(len(b.lines) for b in batches),
        line_taxes=sum(len(b.line_taxes) for b in batches),
        payments=sum(len(b.payments) for b in batches),
        transactions=sum(len(b.transactions) for b in batches),
    )
