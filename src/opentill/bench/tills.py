"""``--tills N``: N tills in 5 stores syncing at once, like a chain's tills.

The set-up (:func:`opentill.bench.fill.create_tills`) adds N tills to the demo shop; each gets
an open session and its own orders (``--orders`` shared out between the tills, different
UUIDs per till). N client threads, one per till, each on its own keep-alive connection, send
their till's orders in small batches (1–5 orders a request, drawn at random, as real tills
send what was rung since the last request) to one of the servers (``--servers``, each an
``opentill serve`` with ``--workers`` processes, on its own port, all on one database),
taking turns. Every request's latency is kept.

Afterwards every order must be created exactly once: the answers say ``created`` for each
order and for nothing else, and each session's expected amount per payment method (the
closing data) equals the sum of the payments its orders carried, cent for cent (an order
stored twice or lost would show). Each session is then closed and its journal must balance.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opentill.bench.client import Api
from opentill.bench.close import close_session
from opentill.bench.errors import BenchError
from opentill.bench.orders import Shop, generate_orders, shop_from_catalog

STORES = 5
TILL_PREFIX = "Bench till"
MIN_BATCH = 1
MAX_BATCH = 5


@dataclass
class Till:
    shop: Shop
    orders: list[dict[str, Any]]

    def expected(self) -> dict[int, Decimal]:
        """The sum of the payments of the till's orders per payment method."""
        sums: dict[int, Decimal] = {}
        for order in self.orders:
            for payment in order["payments"]:
                method = payment["payment_method"]
                sums[method] = sums.get(method, Decimal(0)) + Decimal(payment["amount"])
        return sums


def open_tills(api: Api, orders: int, seed: int) -> list[Till]:
    """A session on every bench till, with its share of the orders."""
    profiles = [p for p in api.call("GET", "/profiles") if p["name"].startswith(TILL_PREFIX)]
    if not profiles:
        raise BenchError("no bench tills were created")
    tills = []
    share, extra = divmod(orders, len(profiles))
    for index, profile in enumerate(sorted(profiles, key=lambda p: p["id"])):
        catalog = api.call("GET", f"/profiles/{profile['id']}/catalog")
        session = api.call("POST", f"/profiles/{profile['id']}/sessions", {}, expect=201)
        if session["state"] != "in_progress":
            raise BenchError(f"the session of {profile['name']} is {session['state']}")
        shop = shop_from_catalog(catalog, profile_id=profile["id"], session_id=session["id"])
        count = share + (1 if index < extra else 0)
        tills.append(Till(shop, generate_orders(shop, count, seed + 1000 * (index + 1))))
    return tills


@dataclass
class TillsResult:
    seconds: float = 0.0  # float ok
    requests: int = 0
    latencies: list[float] = field(default_factory=list)  # float ok
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    per_server: Counter[int] = field(default_factory=Counter)
    load_before: float = 0.0  # float ok


def _send_till(
    till: Till, ports: Sequence[int], token: str, seed: int, result: TillsResult, lock: Any
) -> None:
    rng = random.Random(seed)
    apis = [Api(port, token) for port in ports]
    latencies: list[float] = []  # float ok
    statuses: Counter[str] = Counter()
    errors: list[str] = []
    served: Counter[int] = Counter()
    path = f"/sessions/{till.shop.session_id}/orders"
    try:
        start = 0
        turn = rng.randrange(len(apis))
        while start < len(till.orders):
            size = rng.randint(MIN_BATCH, MAX_BATCH)
            chunk = till.orders[start : start + size]
            start += size
            api = apis[turn % len(apis)]
            turn += 1
            body = json.dumps({"orders": chunk}).encode()
            began = time.perf_counter()
            status, answer = api.request("POST", path, body)
            latencies.append(time.perf_counter() - began)
            served[api.port] += 1
            if status != 200:
                errors.append(f"{status}: {answer}")
                continue
            statuses.update(r["status"] for r in answer["results"])
            errors.extend(
                str(r.get("error")) for r in answer["results"] if r["status"] != "created"
            )
    finally:
        for api in apis:
            api.close()
    with lock:
        result.latencies.extend(latencies)
        result.statuses.update(statuses)
        result.errors.extend(errors)
        result.requests += len(latencies)
        result.per_server.update(served)


def sync_tills(tills: Sequence[Till], ports: Sequence[int], token: str, seed: int) -> TillsResult:
    """One thread per till, all started together; timed from the first to the last answer."""
    result = TillsResult()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def run(index: int, till: Till) -> None:
        try:
            _send_till(till, ports, token, seed + index, result, lock)
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(i, till), name=f"till-{i}")
        for i, till in enumerate(tills)
    ]
    result.load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    return result


def check_tills(api: Api, tills: Sequence[Till]) -> dict[str, Any]:
    """Every order stored once (expected amounts match the orders' payments), then close each
    session: the counts of what was checked."""
    mismatches = []
    balanced = 0
    closed = 0
    for till in tills:
        closing = api.call("GET", f"/sessions/{till.shop.session_id}/closing")
        served = {line["payment_method"]: Decimal(line["expected"]) for line in closing["lines"]}
        for method, amount in till.expected().items():
            if served.get(method) != amount:
                mismatches.append(
                    f"session {till.shop.session_id} method {method}: "
                    f"{served.get(method)} stored, {amount} sent"
                )
        done = close_session(api, till.shop.session_id)
        closed += done.state == "closed"
        balanced += done.journal_balanced
    return {"mismatches": mismatches, "closed": closed, "balanced": balanced}


def percentile(values: Sequence[float], share: float) -> float:  # float ok
    """The nearest-rank percentile (``share`` 0.5 → p50, 0.99 → p99)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n × share), at least 1
    return ordered[int(rank) - 1]


def tills_figures(
    tills: Sequence[Till], result: TillsResult, checked: dict[str, Any], servers: int, workers: int
) -> dict[str, Any]:
    orders = sum(len(t.orders) for t in tills)
    return {
        "tills": len(tills),
        "stores": min(len(tills), STORES),
        "servers": servers,
        "workers_per_server": workers,
        "orders": orders,
        "requests": result.requests,
        "requests_per_server": {str(k): v for k, v in sorted(result.per_server.items())},
        "created": result.statuses.get("created", 0),
        "not_created": sum(v for k, v in result.statuses.items() if k != "created"),
        "errors": len(result.errors),
        "first_errors": result.errors[:5],
        "seconds": round(result.seconds, 3),
        "orders_per_s": round(orders / result.seconds, 1) if result.seconds else 0,
        "requests_per_s": round(result.requests / result.seconds, 1) if result.seconds else 0,
        "p50_ms": round(1000 * percentile(result.latencies, 0.5), 1),
        "p99_ms": round(1000 * percentile(result.latencies, 0.99), 1),
        "max_ms": round(1000 * max(result.latencies, default=0.0), 1),
        "sessions_matching": len(tills) - len({m.split()[1] for m in checked["mismatches"]}),
        "mismatches": checked["mismatches"][:5],
        "sessions_closed": checked["closed"],
        "journals_balanced": checked["balanced"],
        "load_before": round(result.load_before, 2),
        "cpus": os.cpu_count(),
    }


def render_tills(r: dict[str, Any], label: str) -> str:
    rows = [
        ("database", label),
        ("machine", f"{r['cpus']} CPUs, load average {r['load_before']:.2f} at the start"),
        (
            "tills",
            f"{r['tills']} tills in {r['stores']} stores, {r['tills']} concurrent clients, "
            f"batches of {MIN_BATCH}–{MAX_BATCH} orders",
        ),
        (
            "servers",
            f"{r['servers']} × opentill serve ({r['workers_per_server']} workers each), "
            f"requests per port {r['requests_per_server']}",
        ),
        (
            "results",
            f"{r['created']:,} of {r['orders']:,} created once, {r['errors']} errors, "
            f"{r['sessions_matching']}/{r['tills']} sessions match their orders, "
            f"{r['journals_balanced']}/{r['tills']} journals balanced",
        ),
        (
            "throughput",
            f"{r['orders_per_s']:,.0f} orders/s, {r['requests_per_s']:,.0f} requests/s "
            f"({r['requests']:,} requests, {r['seconds']:.2f} s)",
        ),
        (
            "latency",
            f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms "
            "per request",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["opentill bench --tills", "-" * 72]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)
