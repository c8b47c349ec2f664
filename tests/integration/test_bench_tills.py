"""``opentill bench --tills``: many tills at once, and two stateless servers on one
PostgreSQL (real ``opentill serve`` processes on two ports, the tills' requests taking turns
between them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from opentill.bench.tills import percentile

pytestmark = pytest.mark.slow  # runs `opentill bench` end to end

TILLS = 5
ORDERS = 150


def _bench(tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    env = dict(os.environ)
    env.pop("OPENTILL_DATABASE_URL", None)  # the bench makes its own database
    env["OPENTILL_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "opentill.cli", "bench", "--json", *options],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,  # about 20 s on a loaded machine; a hang fails
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout


def _check(figures: dict[str, Any]) -> None:
    assert figures["tills"] == TILLS
    assert figures["stores"] == 5
    assert figures["orders"] == figures["created"] == ORDERS
    assert figures["not_created"] == figures["errors"] == 0
    # Each session's expected amounts are the sums of its orders' payments: none twice.
    assert figures["sessions_matching"] == TILLS
    assert figures["mismatches"] == []
    assert figures["sessions_closed"] == figures["journals_balanced"] == TILLS
    # Batches of 1–5 orders: at least a fifth as many requests as orders.
    assert ORDERS / 5 <= figures["requests"] <= ORDERS
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert figures["orders_per_s"] > 0


def test_tills_on_sqlite(tmp_path: Path) -> None:
    figures, stdout = _bench(tmp_path, "--tills", str(TILLS), "--orders", str(ORDERS))
    assert figures["engine"] == "sqlite"
    assert figures["servers"] == 1
    _check(figures)
    assert "p99" in stdout and f"{ORDERS} of {ORDERS} created once" in stdout


def test_two_servers_on_one_postgresql_serve_the_same_tills(tmp_path: Path) -> None:
    url = os.environ.get("OPENTILL_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("two servers on one database: PostgreSQL")
    name = os.environ.get("OPENTILL_TEST_DATABASE_NAME", "test_opentill") + "_tills"
    figures, _ = _bench(
        tmp_path,
        "--tills",
        str(TILLS),
        "--orders",
        str(ORDERS),
        "--servers",
        "2",
        "--database-url",
        url,
        "--database-name",
        name,
    )
    assert figures["engine"] == "postgresql"
    assert figures["servers"] == 2
    # Both servers answered a share of every till's requests (the tills take turns).
    ports = figures["requests_per_server"]
    assert len(ports) == 2
    assert all(count >= figures["requests"] // 4 for count in ports.values()), ports
    _check(figures)


def test_percentile_is_nearest_rank() -> None:
    values = [0.1 * i for i in range(1, 101)]  # 0.1 … 10.0
    assert percentile(values, 0.5) == pytest.approx(5.0)
    assert percentile(values, 0.99) == pytest.approx(9.9)
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) == 0.0
