"""The bench's figures and the table it prints."""

from __future__ import annotations

import argparse
import os
from typing import Any

from opentill.bench.baseline import BaselineResult
from opentill.bench.close import CloseResult
from opentill.bench.close_baseline import CloseBaselineResult
from opentill.bench.database import Database
from opentill.bench.ingest import IngestResult
from opentill.bench.server import MemorySampler

TARGET_CLOSE_SECONDS = 3
TARGET_CLOSE_RATIO = 3  # the close within 3× its plain-SQL baseline
TARGET_ORDERS_PER_SECOND = 2000


def figures(
    args: argparse.Namespace,
    database: Database,
    ingested: IngestResult,
    closed: CloseResult,
    memory: MemorySampler,
    base: BaselineResult,
    close_base: CloseBaselineResult,
) -> dict[str, Any]:
    """Every measured figure, as JSON-ready values (seconds and rates rounded for reading)."""
    orders_per_s = args.orders / ingested.seconds if ingested.seconds else 0
    base_orders_per_s = base.orders / base.seconds if base.seconds else 0
    return {
        "engine": database.engine,
        "orders": args.orders,
        "batch": args.batch,
        "clients": args.clients,
        "workers": args.workers,
        "created": ingested.statuses.get("created", 0),
        "rejected": ingested.statuses.get("rejected", 0),
        "duplicate": ingested.statuses.get("duplicate", 0),
        "rescued": ingested.statuses.get("rescued", 0),
        "requests": ingested.requests,
        "cash_moves": ingested.cash_moves,
        "ingest_seconds": round(ingested.seconds, 3),
        "orders_per_s": round(orders_per_s, 1),
        "close_seconds": round(closed.seconds, 3),
        "session_state": closed.state,
        "expected": closed.expected,
        "journal_entries": closed.journal_entries,
        "journal_lines": closed.journal_lines,
        "journal_balanced": closed.journal_balanced,
        "server_peak_rss_mib": round(memory.peak_rss_kib / 1024, 1),
        "server_hwm_sum_mib": round(sum(memory.hwm_kib.values()) / 1024, 1),
        "server_processes": len(memory.hwm_kib),
        "cpus": os.cpu_count(),
        "load_before": round(ingested.load_before, 2),
        "baseline_seconds": round(base.seconds, 3),
        "baseline_orders_per_s": round(base_orders_per_s, 1),
        "baseline_rows": base.rows,
        "baseline_rows_per_s": round(base.rows / base.seconds, 1) if base.seconds else 0,
        "ratio": round(orders_per_s / base_orders_per_s, 4) if base_orders_per_s else 0,
        "close_baseline_seconds": round(close_base.seconds, 4),
        "close_baseline_cleared": close_base.transactions_cleared,
        # How many times the close's plain-SQL baseline the close takes (lower is better).
        "close_ratio": round(closed.seconds / close_base.seconds, 2) if close_base.seconds else 0,
    }


def _target(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def render(result: dict[str, Any], label: str) -> str:
    """The figures as a table, with the issue's targets beside them."""
    r = result
    rows = [
        ("database", label, ""),
        (
            "machine",
            f"{r['cpus']} CPUs, load average {r['load_before']:.2f} when the ingest started",
            "",
        ),
        (
            "orders",
            f"{r['orders']:,} in batches of {r['batch']}, {r['clients']} clients, "
            f"{r['workers']} workers",
            "",
        ),
        (
            "results",
            f"{r['created']:,} created, {r['rejected']} rejected, {r['duplicate']} duplicate, "
            f"{r['cash_moves']} cash moves",
            "",
        ),
        (
            "ingest",
            f"{r['orders_per_s']:,.0f} orders/s ({r['ingest_seconds']:.2f} s)",
            f"≥ {TARGET_ORDERS_PER_SECOND:,}: "
            f"{_target(r['orders_per_s'] >= TARGET_ORDERS_PER_SECOND)}",
        ),
        (
            "close",
            f"{r['close_seconds']:.3f} s → {r['session_state']}",
            f"≤ {TARGET_CLOSE_SECONDS} s: {_target(r['close_seconds'] <= TARGET_CLOSE_SECONDS)}",
        ),
        (
            "journal",
            f"{r['journal_lines']} lines in {r['journal_entries']} "
            f"{'entry' if r['journal_entries'] == 1 else 'entries'}"
            f"{'' if r['journal_balanced'] else ' (NOT BALANCED)'}",
            "independent of N",
        ),
        (
            "server memory",
            f"peak RSS {r['server_peak_rss_mib']:.1f} MiB summed over "
            f"{r['server_processes']} processes (sum of VmHWM {r['server_hwm_sum_mib']:.1f} MiB)",
            "",
        ),
        (
            "baseline",
            f"{r['baseline_orders_per_s']:,.0f} orders/s, {r['baseline_rows_per_s']:,.0f} rows/s "
            f"({r['baseline_rows']:,} rows, {r['baseline_seconds']:.2f} s, plain INSERTs)",
            "",
        ),
        ("ratio", f"ingest / baseline = {r['ratio']:.3f}", ""),
        (
            "close baseline",
            f"{r['close_baseline_seconds']:.3f} s (the close's reads and writes in plain SQL, "
            f"{r['close_baseline_cleared']:,} transactions cleared)",
            "",
        ),
        (
            "close ratio",
            f"close / close baseline = {r['close_ratio']:.2f}",
            f"≤ {TARGET_CLOSE_RATIO}: {_target(r['close_ratio'] <= TARGET_CLOSE_RATIO)}",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, target in rows if target)
    lines = ["opentill bench", "-" * (width + value_width + 24)]
    for name, value, target in rows:
        lines.append(f"{name:<{width}}  {value:<{value_width}}  {target}".rstrip())
    return "\n".join(lines)
