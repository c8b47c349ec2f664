"""The close, timed, and the journal it wrote."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal

from opentill.bench.client import Api
from opentill.bench.errors import BenchError


@dataclass
class CloseResult:
    seconds: float  # float ok
    state: str
    expected: dict[str, str]
    journal_entries: int
    journal_lines: int
    journal_balanced: bool
    countable: int  # payment methods counted at the close


def close_session(api: Api, session_id: int) -> CloseResult:
    """Count every countable method as expected, close (timed), then read the journal."""
    closing = api.call("GET", f"/sessions/{session_id}/closing")
    if closing["pending_orders"]:
        raise BenchError(f"{len(closing['pending_orders'])} pending orders at close")
    counts = [
        {"payment_method": line["payment_method"], "counted": line["expected"]}
        for line in closing["lines"]
        if line["countable"]
    ]
    body = json.dumps({"counts": counts, "notes": "opentill bench"}).encode()
    started = time.perf_counter()
    status, closed = api.request("POST", f"/sessions/{session_id}/close", body)
    seconds = time.perf_counter() - started  # float ok
    if status != 200:
        raise BenchError(f"close refused ({status}): {closed}")
    entries = api.call("GET", f"/sessions/{session_id}/journal-entries")
    lines = [line for entry in entries for line in entry["lines"]]
    debit = sum((Decimal(line["debit"]) for line in lines), Decimal(0))
    credit = sum((Decimal(line["credit"]) for line in lines), Decimal(0))
    return CloseResult(
        seconds=seconds,
        state=closed["state"],
        expected={line["name"]: line["expected"] for line in closing["lines"]},
        journal_entries=len(entries),
        journal_lines=len(lines),
        journal_balanced=debit == credit,
        countable=len(counts),
    )
