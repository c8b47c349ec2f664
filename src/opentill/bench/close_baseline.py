"""The close baseline: what the close must read and write, done in plain SQL.

It runs on the baseline's tables (:mod:`opentill.bench.baseline`, the same orders, lines, line
taxes, payments and payment transactions the server stored) in the same engine, after the
ingest baseline, in one transaction:

- the close's aggregates: expected amounts per payment method, sales per income kind and
  sign, taxes per tax and sign, rounding and the customers' receivable, and the session's
  financial movements per account and kind;
- the rows the close writes: one closing transaction per countable method, a reconciliation
  per account with the UPDATE that clears that account's pending transactions into it, the
  invoice attachment (an UPDATE of the session's orders to invoice), a journal entry with as
  many lines as the server's, the session's new state, an audit event and a Z record.

The session's payment transactions are those of the ingest baseline: one per payment method
and batch, as the server books them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from opentill.bench.baseline import _connect_baseline
from opentill.bench.database import Database

CLOSE_TABLES = (
    "bench_z",
    "bench_audit",
    "bench_journal_line",
    "bench_journal_entry",
    "bench_reconciliation",
    "bench_session",
)

CLOSE_DDL = (
    """CREATE TABLE bench_session (
        id BIGINT PRIMARY KEY, state VARCHAR(20) NOT NULL, closed_at VARCHAR(40))""",
    """CREATE TABLE bench_reconciliation (
        id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, session_id BIGINT NOT NULL,
        start_balance BIGINT NOT NULL, end_balance BIGINT NOT NULL,
        transaction_count BIGINT NOT NULL)""",
    """CREATE TABLE bench_journal_entry (
        id BIGINT PRIMARY KEY, session_id BIGINT NOT NULL, reference VARCHAR(200) NOT NULL)""",
    """CREATE TABLE bench_journal_line (
        id BIGINT PRIMARY KEY, entry_id BIGINT NOT NULL REFERENCES bench_journal_entry (id),
        account_id BIGINT NOT NULL, debit BIGINT NOT NULL, credit BIGINT NOT NULL,
        label VARCHAR(200) NOT NULL)""",
    """CREATE TABLE bench_audit (
        id BIGINT PRIMARY KEY, session_id BIGINT NOT NULL, detail TEXT NOT NULL)""",
    """CREATE TABLE bench_z (
        id BIGINT PRIMARY KEY, session_id BIGINT NOT NULL, payload TEXT NOT NULL)""",
    # What the close sets on rows the ingest wrote.
    "ALTER TABLE bench_tx ADD COLUMN reconciliation_id BIGINT",
    "ALTER TABLE bench_order ADD COLUMN invoice_id BIGINT",
    "CREATE INDEX bench_tx_session ON bench_tx (session_id, account_id)",
)

# The close's reads, over one session's rows.
AGGREGATES = (
    # Expected amount per payment method.
    "SELECT payment_method_id, SUM(amount) FROM bench_payment WHERE session_id = {p} "
    "GROUP BY payment_method_id",
    # Sales per sign (sales and refunds apart), net and tax.
    "SELECT l.total < 0, SUM(l.net), SUM(l.tax_amount), SUM(l.total) FROM bench_line l "
    "JOIN bench_order o ON o.id = l.order_id "
    "WHERE o.session_id = {p} AND o.state IN ('paid', 'invoiced') GROUP BY l.total < 0",
    # Taxes per tax and sign.
    "SELECT t.tax_id, t.refund, SUM(t.base), SUM(t.amount) FROM bench_line_tax t "
    "JOIN bench_order o ON o.id = t.order_id "
    "WHERE o.session_id = {p} AND o.state IN ('paid', 'invoiced') GROUP BY t.tax_id, t.refund",
    # Rounding, and what customers owe (orders to invoice).
    "SELECT SUM(rounding), SUM(CASE WHEN to_invoice THEN amount_due ELSE 0 END) "
    "FROM bench_order WHERE session_id = {p} AND state IN ('paid', 'invoiced')",
    # The session's financial movements per account and kind.
    "SELECT account_id, kind, SUM(amount), COUNT(*) FROM bench_tx "
    "WHERE session_id = {p} GROUP BY account_id, kind",
)


@dataclass
class CloseBaselineResult:
    seconds: float  # float ok
    transactions_cleared: int
    journal_lines: int


def _one(cursor: Any, sql: str, params: tuple[Any, ...]) -> Any:
    cursor.execute(sql, params)
    return cursor.fetchall()


def close_baseline(
    database: Database, *, session_id: int, journal_lines: int, methods: int
) -> CloseBaselineResult:
    """Create the close's tables, then time the close's reads and writes in plain SQL."""
    conn, p = _connect_baseline(database)
    try:
        for table in CLOSE_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in CLOSE_DDL:
            conn.execute(ddl)
        conn.execute(f"INSERT INTO bench_session VALUES ({p}, 'in_progress', NULL)", (session_id,))
        cursor = conn.cursor()
        started = time.perf_counter()
        cursor.execute("BEGIN")
        # The session row is locked first (SQLite: the write lock of the transaction).
        _one(
            cursor,
            f"SELECT state FROM bench_session WHERE id = {p}"
            + (" FOR UPDATE" if database.engine == "postgresql" else ""),
            (session_id,),
        )
        if database.engine == "sqlite":
            cursor.execute(
                f"UPDATE bench_session SET state = 'in_progress' WHERE id = {p}", (session_id,)
            )
        for sql in AGGREGATES:
            _one(cursor, sql.format(p=p), (session_id,))
        movements = _one(
            cursor,
            f"SELECT account_id, SUM(amount) FROM bench_tx WHERE session_id = {p} "
            "GROUP BY account_id ORDER BY account_id",
            (session_id,),
        )
        # A closing transaction per countable method (the transfer to the safe or bank).
        last = _one(cursor, "SELECT COALESCE(MAX(id), 0) FROM bench_tx", ())[0][0]
        cursor.executemany(
            f"INSERT INTO bench_tx VALUES ({p}, {p}, 'transfer', 0, {p}, 'now', NULL)",
            [(last + i + 1, i + 1, session_id) for i in range(methods)],
        )
        cleared = 0
        for index, (account_id, total) in enumerate(movements, start=1):
            cursor.execute(
                f"INSERT INTO bench_reconciliation VALUES ({p}, {p}, {p}, 0, {p}, 0)",
                (index, account_id, session_id, total),
            )
            cursor.execute(
                f"UPDATE bench_tx SET reconciliation_id = {p} WHERE session_id = {p} "
                f"AND account_id = {p} AND reconciliation_id IS NULL",
                (index, session_id, account_id),
            )
            cleared += cursor.rowcount
        # Invoice attachment: the session's orders to invoice get their invoice.
        cursor.execute(
            f"UPDATE bench_order SET invoice_id = 1 WHERE session_id = {p} AND to_invoice",
            (session_id,),
        )
        cursor.execute(
            f"INSERT INTO bench_journal_entry VALUES (1, {p}, 'bench close')", (session_id,)
        )
        cursor.executemany(
            f"INSERT INTO bench_journal_line VALUES ({p}, 1, {p}, {p}, {p}, 'bench')",
            [(i + 1, i + 1, i % 2, (i + 1) % 2) for i in range(journal_lines)],
        )
        cursor.execute(
            f"UPDATE bench_session SET state = 'closed', closed_at = 'now' WHERE id = {p}",
            (session_id,),
        )
        cursor.execute(f"INSERT INTO bench_audit VALUES (1, {p}, 'closed')", (session_id,))
        cursor.execute(f"INSERT INTO bench_z VALUES (1, {p}, 'z')", (session_id,))
        cursor.execute("COMMIT")
        seconds = time.perf_counter() - started  # float ok
        cursor.close()
    finally:
        conn.close()
    return CloseBaselineResult(
        seconds=seconds, transactions_cleared=cleared, journal_lines=journal_lines
    )
