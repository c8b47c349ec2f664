"""``opentill bench`` end to end on a small N: fresh SQLite file, real server, close."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs `opentill bench` end to end

ORDERS = 1000


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    """Run the bench once (it takes a few seconds: migrations, server start) via the CLI."""
    env = dict(os.environ)
    env.pop("OPENTILL_DATABASE_URL", None)  # the bench makes its own database
    env["OPENTILL_DATA_DIR"] = str(tmp_path_factory.mktemp("bench-data"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "opentill.cli",
            "bench",
            "--orders",
            str(ORDERS),
            "--batch",
            "100",
            "--json",
            "--profile",
        ],
        env=env,
        cwd=Path(env["OPENTILL_DATA_DIR"]),
        capture_output=True,
        text=True,
        timeout=300,  # under a minute on an idle machine; the margin is for a loaded CI
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    last = done.stdout.strip().splitlines()[-1]
    return json.loads(last), done.stdout


def test_every_order_is_created_and_the_session_closed(bench_run: tuple[dict, str]) -> None:
    figures, _ = bench_run
    assert figures["engine"] == "sqlite"
    assert figures["orders"] == ORDERS
    assert figures["created"] == ORDERS
    assert figures["rejected"] == figures["duplicate"] == figures["rescued"] == 0
    assert figures["requests"] == ORDERS // 100 + figures["cash_moves"]
    assert figures["cash_moves"] == 2  # a deposit and a drop even for a small N
    assert figures["session_state"] == "closed"
    assert figures["close_seconds"] >= 0
    assert figures["orders_per_s"] > 0


def test_journal_and_memory_figures(bench_run: tuple[dict, str]) -> None:
    figures, _ = bench_run
    assert figures["journal_entries"] == 1
    # Sales and VAT per rate, cash and card, drops/deposits and close transfers: a fixed
    # handful of lines, whatever the number of orders.
    assert 8 <= figures["journal_lines"] <= 30
    assert figures["journal_balanced"] is True
    assert figures["server_processes"] == 3  # gunicorn master and two workers
    assert figures["server_peak_rss_mib"] > 10


def test_baseline_writes_the_same_rows(bench_run: tuple[dict, str]) -> None:
    figures, _ = bench_run
    # Orders, lines (1–5 per order), payments (1–2 per order) and one transaction each.
    assert figures["baseline_rows"] > ORDERS * 4
    assert figures["baseline_orders_per_s"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["orders_per_s"] / figures["baseline_orders_per_s"], rel=0.02
    )


def test_close_baseline_in_the_same_run(bench_run: tuple[dict, str]) -> None:
    figures, _ = bench_run
    assert figures["close_baseline_seconds"] > 0
    # As the server books them: a payment transaction per method (cash, card) and batch of
    # 100, and a closing transfer of the counted method (cash), all cleared.
    assert figures["close_baseline_cleared"] == 2 * (ORDERS // 100) + 1
    assert figures["close_ratio"] == pytest.approx(
        figures["close_seconds"] / figures["close_baseline_seconds"], rel=0.05
    )


def test_the_profile_says_where_a_sync_goes(bench_run: tuple[dict, str]) -> None:
    figures, stdout = bench_run
    profile = figures["profile"]
    assert profile["created"] == profile["orders"] == ORDERS
    buckets = profile["buckets"]
    assert set(buckets) == {
        "JSON parsing",
        "validation",
        "pricing",
        "SQL",
        "HTTP",
        "fiscal signing",
        "server code",
        "other",
    }
    # Every profiled second lands in one bucket; the sync prices, writes and signs.
    assert sum(b["seconds"] for b in buckets.values()) == pytest.approx(
        profile["profiled_seconds"], rel=0.01
    )
    for name in ("pricing", "SQL", "fiscal signing", "validation"):
        assert buckets[name]["seconds"] > 0, name
    assert "profile" in stdout and "ms/order" in stdout


def test_the_table_is_printed(bench_run: tuple[dict, str]) -> None:
    _, stdout = bench_run
    for label in (
        "ingest",
        "close",
        "journal",
        "server memory",
        "baseline",
        "ratio",
        "close ratio",
    ):
        assert any(line.startswith(label) for line in stdout.splitlines()), label
    assert f"{ORDERS:,} created, 0 rejected" in stdout


def test_bad_options_are_refused() -> None:
    from opentill.bench import main

    assert main(["--batch", "1001"]) == 2
    assert main(["--orders", "0"]) == 2
    assert main(["--database-url", "mysql://x"]) == 2
