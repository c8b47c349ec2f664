"""``opentill bench --history``: a year of closed sessions filled in bulk, and every step
measured on the empty and on the filled database (the ratios are printed, not asserted:
timing on a shared machine; the rows and the invariants are)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opentill.bench.history import STEPS

pytestmark = pytest.mark.slow  # runs `opentill bench` end to end

HISTORY = 20_000
SYNCED = 300


def test_history_is_filled_and_every_step_measured(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.pop("OPENTILL_DATABASE_URL", None)  # the bench makes its own database
    env["OPENTILL_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "opentill.cli",
            "bench",
            "--history",
            str(HISTORY),
            "--orders",
            str(SYNCED),
            "--batch",
            "100",
            "--json",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,  # about a minute on a loaded machine; a hang fails
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    history = json.loads(done.stdout.strip().splitlines()[-1])["history"]
    assert history["orders"] == HISTORY
    assert history["sessions"] == 365
    rows = history["rows"]
    assert rows["orders_order"] == HISTORY
    assert rows["pos_session"] == 365
    # About 3 lines an order, a tax per line, 1–2 payments, a journal entry per session.
    assert 2 * HISTORY < rows["orders_orderline"] == rows["orders_orderlinetax"] < 4 * HISTORY
    assert HISTORY < rows["orders_payment"] < 2 * HISTORY
    assert rows["accounting_journalentry"] == 365
    assert history["unbalanced_entries"] == 0
    assert history["fiscal_records"] is False
    assert history["synced_per_step"] == SYNCED
    assert history["months"] == ["2026-11", "2026-12"]
    for step in STEPS:
        measured = history["steps"][step]
        assert measured["empty_seconds"] > 0 and measured["history_seconds"] > 0, step
        assert history[step] == pytest.approx(
            measured["history_seconds"] / measured["empty_seconds"], rel=0.05, abs=0.01
        )
    for step in STEPS:
        assert any(line.startswith(step) for line in done.stdout.splitlines()), step
