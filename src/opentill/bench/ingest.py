"""The ingest: sync batches and cash moves from concurrent clients, timed."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any

from opentill.bench.client import Api
from opentill.bench.errors import BenchError
from opentill.bench.orders import Shop

CASH_MOVE_EVERY = 5000
DEPOSIT = "100.00"  # larger than a drop: the drawer can always give a drop back
DROP = "50.00"


@dataclass(frozen=True)
class Work:
    """One request of the ingest: a batch of orders or a cash move."""

    path: str
    body: bytes
    orders: int = 0


def plan_work(shop: Shop, orders: Sequence[dict[str, Any]], batch: int) -> list[Work]:
    """Batches of orders, with a cash move before the batch holding every 5,000th order
    (a deposit first, then drops and deposits in turn; at least a deposit and a drop)."""
    every = min(CASH_MOVE_EVERY, max(len(orders) // 2, 1))
    moves = 0
    work: list[Work] = []
    for start in range(0, len(orders), batch):
        chunk = orders[start : start + batch]
        for index in range(start, start + len(chunk)):
            if index % every == 0:
                kind = "deposit" if moves % 2 == 0 else "drop"
                move = {
                    "kind": kind,
                    "payment_method": shop.cash_id,
                    "amount": DEPOSIT if kind == "deposit" else DROP,
                    "reason": f"bench {kind} {moves + 1}",
                }
                work.append(
                    Work(f"/sessions/{shop.session_id}/cash-moves", json.dumps(move).encode())
                )
                moves += 1
        work.append(
            Work(
                f"/sessions/{shop.session_id}/orders",
                json.dumps({"orders": chunk}).encode(),
                orders=len(chunk),
            )
        )
    return work


@dataclass
class IngestResult:
    seconds: float  # float ok
    statuses: Counter[str] = field(default_factory=Counter)
    cash_moves: int = 0
    requests: int = 0
    rejected_examples: list[Any] = field(default_factory=list)
    load_before: float = 0.0  # float ok: 1-minute load average when the ingest started


def _send(api: Api, item: Work, result: IngestResult, lock: threading.Lock) -> None:
    status, answer = api.request("POST", item.path, item.body)
    if item.orders == 0:
        if status != 201:
            raise BenchError(f"cash move refused ({status}): {answer}")
        with lock:
            result.cash_moves += 1
            result.requests += 1
        return
    if status != 200:
        raise BenchError(f"sync refused ({status}): {answer}")
    statuses = Counter(r["status"] for r in answer["results"])
    rejected = [r["error"] for r in answer["results"] if r["status"] == "rejected"][:3]
    with lock:
        result.statuses.update(statuses)
        result.requests += 1
        result.rejected_examples.extend(rejected[: 3 - len(result.rejected_examples)])


def ingest(work: Sequence[Work], *, port: int, token: str, clients: int) -> IngestResult:
    """Send every request from ``clients`` threads, each on its own keep-alive connection.

    The cash moves before the first batch (the opening deposit) are sent first, alone: a
    later drop can then never find the drawer emptier than the deposits and drops before it.
    """
    head = list(takewhile(lambda item: item.orders == 0, work))
    todo: queue.SimpleQueue[Work] = queue.SimpleQueue()
    for item in work[len(head) :]:
        todo.put(item)
    result = IngestResult(seconds=0.0)  # float ok
    lock = threading.Lock()
    errors: list[BaseException] = []

    def sender() -> None:
        api = Api(port, token)
        try:
            while not errors:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                _send(api, item, result, lock)
        except BaseException as exc:
            errors.append(exc)
        finally:
            api.close()

    threads = [threading.Thread(target=sender, name=f"client-{i}") for i in range(clients)]
    result.load_before = os.getloadavg()[0]
    started = time.perf_counter()
    first = Api(port, token)
    try:
        for item in head:
            _send(first, item, result, lock)
    finally:
        first.close()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return result
