"""``--profile``: where a sync's time goes, by cProfile of an in-process sync.

Run as ``python -m opentill.bench.profile ORDERS BATCH SEED`` in a subprocess whose
environment points at the bench's database (Django runs there, never in the bench's own
process). It opens a session on the bench's till through the API, generates orders as the
bench does, and syncs them in batches through Django's test client (the whole request
path: middleware, routing, validation, pricing, SQL, fiscal record, answer; only the socket
and gunicorn are left out), under cProfile. It prints one JSON object: seconds per bucket
and per order.

Each function's own time (``tottime``) goes to the bucket of its module; a function of no
bucket (a C builtin such as ``sqlite3.Cursor.executemany`` or ``_json.scanstring``, or a
helper of the standard library) goes to its callers' buckets, in proportion to the time
each caller spent in it.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sys
import time
from collections import defaultdict
from typing import Any

# (bucket, fragments of a function's file or name), first match wins.
BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "fiscal signing",
        ("opentill/fiscal/", "cryptography", "ed25519", "_hashlib", "hashlib", "nacl"),
    ),
    ("pricing", ("opentill/orders/pricing", "fractions.py", "opentill/money")),
    (
        "SQL",
        (
            "django/db/",
            "sqlite3",
            "psycopg",
            "'execute'",
            "'executemany'",
            "'fetchall'",
            "'fetchone'",
        ),
    ),
    ("JSON parsing", ("json/", "_json", "orjson")),
    (
        "validation",
        (
            "pydantic",
            "ninja/",
            "opentill/orders/parsing",
            "opentill/common/wire",
            "opentill/orders/schemas",
        ),
    ),
    (
        "HTTP",
        (
            "django/core/handlers",
            "django/middleware",
            "django/test/client",
            "django/http",
            "django/contrib",
            "django/utils/deprecation",
            "django/urls",
            "opentill/common/middleware",
            "opentill/identity",
            "wsgiref",
        ),
    ),
    ("server code", ("opentill/",)),
)
ORDER = [name for name, _ in BUCKETS] + ["other"]


def bucket_of(func: tuple[str, int, str]) -> str | None:
    """The bucket of a pstats function key ``(file, line, name)``; None when unknown."""
    filename, _, name = func
    text = f"{filename}:{name}" if filename != "~" else repr(name)
    for bucket, fragments in BUCKETS:
        if any(fragment in text for fragment in fragments):
            return bucket
    return None


def buckets(stats: pstats.Stats) -> dict[str, float]:  # float ok
    """Own time per bucket; unknown functions' time split over their callers' buckets."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    resolved: dict[Any, dict[str, float]] = {}  # float ok

    def shares(func: Any, depth: int) -> dict[str, float]:  # float ok
        """How ``func``'s time divides over buckets (fractions summing to 1)."""
        known = bucket_of(func)
        if known is not None:
            return {known: 1.0}
        if func in resolved:
            return resolved[func]
        callers = raw[func][4] if func in raw else {}
        total = sum(value[3] for value in callers.values())  # cumulative time per caller
        if depth > 12 or not callers or total <= 0:
            return {"other": 1.0}
        resolved[func] = {"other": 1.0}  # a cycle resolves to other
        mixed: dict[str, float] = defaultdict(float)  # float ok
        for caller, value in callers.items():
            for bucket, part in shares(caller, depth + 1).items():
                mixed[bucket] += part * value[3] / total
        resolved[func] = dict(mixed)
        return resolved[func]

    seconds: dict[str, float] = defaultdict(float)  # float ok
    for func, value in raw.items():
        own = value[2]
        for bucket, part in shares(func, 0).items():
            seconds[bucket] += own * part
    return {name: seconds.get(name, 0.0) for name in ORDER}


def _client_call(client: Any, token: str, method: str, path: str, payload: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = json.dumps(payload)
    if method == "GET":
        response = client.get(f"/api/v1{path}", **headers)
    else:
        response = client.post(f"/api/v1{path}", body, content_type="application/json", **headers)
    if response.status_code not in (200, 201):
        raise SystemExit(f"{method} {path} answered {response.status_code}: {response.content!r}")
    return json.loads(response.content)


def profile_sync(count: int, batch: int, seed: int) -> dict[str, Any]:
    """Open a session, sync ``count`` orders in batches under cProfile; the summary."""
    import django

    django.setup()
    from django.test import Client

    from opentill.bench.client import PASSWORD, USERNAME
    from opentill.bench.orders import PROFILE_NAME, generate_orders, shop_from_catalog

    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": USERNAME, "password": PASSWORD}),
        content_type="application/json",
    )
    token = json.loads(response.content)["token"]
    profiles = _client_call(client, token, "GET", "/profiles", None)
    profile = next(p for p in profiles if p["name"] == PROFILE_NAME)
    catalog = _client_call(client, token, "GET", f"/profiles/{profile['id']}/catalog", None)
    session = _client_call(client, token, "POST", f"/profiles/{profile['id']}/sessions", {})
    shop = shop_from_catalog(catalog, profile_id=profile["id"], session_id=session["id"])
    orders = generate_orders(shop, count, seed)
    bodies = [{"orders": orders[start : start + batch]} for start in range(0, len(orders), batch)]
    # One batch unprofiled first: imports, caches and connections are warm, as in a server.
    warm = generate_orders(shop, min(batch, 50), seed + 1)
    _client_call(client, token, "POST", f"/sessions/{session['id']}/orders", {"orders": warm})
    profiler = cProfile.Profile()
    created = 0
    started = time.perf_counter()
    profiler.enable()
    for body in bodies:
        answer = _client_call(client, token, "POST", f"/sessions/{session['id']}/orders", body)
        created += sum(1 for r in answer["results"] if r["status"] == "created")
    profiler.disable()
    wall = time.perf_counter() - started
    by_bucket = buckets(pstats.Stats(profiler))
    profiled = sum(by_bucket.values())
    return {
        "orders": count,
        "created": created,
        "batch": batch,
        "wall_seconds": round(wall, 4),
        "profiled_seconds": round(profiled, 4),
        "buckets": {
            name: {
                "seconds": round(value, 4),
                "share": round(value / profiled, 3) if profiled else 0,
                "ms_per_order": round(1000 * value / count, 4),
            }
            for name, value in by_bucket.items()
        },
    }


def render(summary: dict[str, Any]) -> str:
    """The profile as lines of the bench's table."""
    lines = [
        f"profile         {summary['created']:,} of {summary['orders']:,} orders in batches of "
        f"{summary['batch']} in process, {summary['profiled_seconds']:.2f} s under cProfile"
    ]
    for name, value in sorted(summary["buckets"].items(), key=lambda item: -item[1]["seconds"]):
        lines.append(
            f"  {name:<14}  {value['ms_per_order']:.3f} ms/order  {100 * value['share']:5.1f} %"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    count, batch, seed = (int(value) for value in argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentill.settings")
    print(json.dumps(profile_sync(count, batch, seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
