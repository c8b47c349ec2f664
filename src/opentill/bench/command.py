"""``opentill bench``: its options and the run."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentill.bench.baseline import baseline, baseline_rows
from opentill.bench.client import Api, login
from opentill.bench.close import CloseResult, close_session
from opentill.bench.close_baseline import close_baseline
from opentill.bench.database import Database, postgres_database, sqlite_database
from opentill.bench.errors import BenchError
from opentill.bench.history import (
    HISTORY_DAYS,
    HISTORY_FIRST_DAY,
    SYNC_ORDERS,
    history_figures,
    measure_steps,
    render_history,
    shift_orders,
)
from opentill.bench.ingest import IngestResult, ingest, plan_work
from opentill.bench.orders import Shop, generate_orders, open_shop
from opentill.bench.profile import render as render_profile
from opentill.bench.report import figures, render
from opentill.bench.server import (
    MemorySampler,
    fill,
    free_port,
    load_demo,
    profile_run,
    running_server,
    server_env,
)
from opentill.bench.tills import check_tills, open_tills, render_tills, sync_tills, tills_figures

SEED = 20261121
PROFILE_ORDERS = 2000
WARM_ORDERS = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench's options, shared by ``opentill bench`` and :func:`main`."""
    parser.add_argument("--orders", type=int, default=100_000, help="orders to sync")
    parser.add_argument("--batch", type=int, default=500, help="orders per sync request")
    parser.add_argument(
        "--database-url",
        default="",
        help="postgresql://… server on which a fresh database is created and dropped "
        "(default: a fresh SQLite file in a temporary directory)",
    )
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=2, help="concurrent HTTP senders")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed of the orders")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--tills",
        type=int,
        default=0,
        help="instead of one till: N tills in 5 stores syncing at once in batches of 1–5 "
        "orders (--orders shared out between them); throughput and p50/p99 latency",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="instead: measure open, sync (up to 10,000 of --orders), X report, close, "
        "dashboard and a month's export on the empty database, then again after filling "
        "a year of closed sessions holding N orders; each step's ratio",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="with --tills: opentill serve processes on different ports, one database",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile an in-process sync of up to 2,000 orders (cProfile) and print "
        "where its time goes: JSON parsing, validation, pricing, SQL, HTTP, fiscal signing",
    )
    parser.add_argument(
        "--database-name",
        default="",
        help="name of the PostgreSQL database the bench creates and drops "
        "(default: opentill_bench_<pid>)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary directory (and the PostgreSQL database)",
    )


def _check_options(args: argparse.Namespace) -> None:
    if args.orders < 1:
        raise BenchError("--orders must be at least 1")
    if not 1 <= args.batch <= 1000:
        raise BenchError("--batch must be between 1 and 1000 (the server's batch limit)")
    if args.tills < 0 or not 1 <= args.servers <= 8:
        raise BenchError("--tills must be positive and --servers between 1 and 8")
    if args.history < 0 or (args.history and args.tills):
        raise BenchError("--history must be positive, and not with --tills")
    if args.servers > 1 and not args.tills:
        raise BenchError("--servers needs --tills")
    if args.workers < 1 or args.clients < 1:
        raise BenchError("--workers and --clients must be at least 1")
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        raise BenchError("--database-url must be a postgresql:// URL (SQLite is the default)")


@dataclass
class Measured:
    """What the server run produced: its figures and the orders it was sent."""

    shop: Shop
    orders: list[dict[str, Any]]
    ingested: IngestResult
    closed: CloseResult
    memory: MemorySampler


def _measure(args: argparse.Namespace, database: Database, directory: Path) -> Measured:
    """Load the demo, serve, ingest, close: the server-side figures."""
    env = server_env(directory, database.url)
    log = directory / "server.log"
    load_demo(env, log)
    port = args.port or free_port()
    with running_server(env, port=port, workers=args.workers, log=log) as server:
        memory = MemorySampler(server.pid)
        memory.start()
        try:
            token = login(port)
            api = Api(port, token)
            shop = open_shop(api)
            orders = generate_orders(shop, args.orders, args.seed)
            work = plan_work(shop, orders, args.batch)
            ingested = ingest(work, port=port, token=token, clients=args.clients)
            _check_ingest(ingested, args.orders)
            closed = close_session(api, shop.session_id)
            api.close()
        finally:
            memory.stop()
    return Measured(shop, orders, ingested, closed, memory)


def _measure_tills(args: argparse.Namespace, database: Database, directory: Path) -> dict[str, Any]:
    """--tills: create the tills, serve from --servers processes, sync from every till."""
    env = server_env(directory, database.url)
    log = directory / "server.log"
    load_demo(env, log)
    fill(env, "tills", args.tills)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                running_server(env, port=free_port(), workers=args.workers, log=log)
            )
            for _ in range(args.servers)
        ]
        ports = [server.port for server in servers]
        token = login(ports[0])
        api = Api(ports[0], token)
        try:
            tills = open_tills(api, args.orders, args.seed)
            synced = sync_tills(tills, ports, token, args.seed)
            checked = check_tills(api, tills)
        finally:
            api.close()
    result = tills_figures(tills, synced, checked, args.servers, args.workers)
    result["engine"] = database.engine
    if result["created"] != result["orders"] or result["errors"] or result["mismatches"]:
        raise BenchError(
            f"{result['created']} of {result['orders']} orders created, "
            f"{result['errors']} errors {result['first_errors']}, "
            f"mismatches {result['mismatches']}"
        )
    if result["journals_balanced"] != result["tills"]:
        raise BenchError("a session's journal does not balance")
    return result


def _measure_history(
    args: argparse.Namespace, database: Database, directory: Path
) -> dict[str, Any]:
    """--history: the steps on the empty database, fill a year, the steps again."""
    env = server_env(directory, database.url)
    log = directory / "server.log"
    load_demo(env, log)
    port = args.port or free_port()
    with running_server(env, port=port, workers=args.workers, log=log) as server:
        token = login(server.port)
        api = Api(server.port, token)
        manager = Api(server.port, login(server.port, "manager"))
        try:
            shop = open_shop(api)  # a session on the till, closed at once: its catalog
            close_session(api, shop.session_id)
            count = min(args.orders, SYNC_ORDERS)
            # Once through every step unmeasured: each worker's imports and caches are warm.
            warm = generate_orders(shop, min(count, WARM_ORDERS), args.seed + 2)
            shift_orders(warm, -31)
            measure_steps(api, manager, env, warm, args.batch, shop.profile_id)
            first = generate_orders(shop, count, args.seed)
            empty = measure_steps(api, manager, env, first, args.batch, shop.profile_id)
            filled = fill(env, "history", args.history, HISTORY_FIRST_DAY.isoformat(), HISTORY_DAYS)
            second = generate_orders(shop, count, args.seed + 1)
            shift_orders(second, 10)  # the next month: an export as large as the first
            full = measure_steps(api, manager, env, second, args.batch, shop.profile_id)
        finally:
            api.close()
            manager.close()
    if filled["unbalanced_entries"]:
        raise BenchError(f"{filled['unbalanced_entries']} history entries do not balance")
    return {"engine": database.engine, "history": history_figures(empty, full, filled)}


def _check_ingest(ingested: IngestResult, count: int) -> None:
    if ingested.statuses.get("created", 0) != count:
        raise BenchError(
            f"only {ingested.statuses.get('created', 0)} of {count} orders were created "
            f"({dict(ingested.statuses)}); first problems: {ingested.rejected_examples}"
        )


def run(args: argparse.Namespace) -> int:
    """Run the bench with parsed options; print the table (and JSON). 0 when all went well."""
    try:
        _check_options(args)
    except BenchError as exc:
        print(f"opentill bench: {exc}", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="opentill-bench-"))
    database: Database | None = None
    try:
        database = (
            postgres_database(args.database_url, args.database_name)
            if args.database_url
            else sqlite_database(directory)
        )
        if args.history:
            result = _measure_history(args, database, directory)
            table = render_history(result["history"], database.label)
            return _print(args, directory, table, result)
        if args.tills:
            result = _measure_tills(args, database, directory)
            table = render_tills(result, database.label)
            return _print(args, directory, table, result)
        measured = _measure(args, database, directory)
        batches = baseline_rows(
            measured.shop, measured.orders, args.batch, measured.shop.session_id
        )
        base = baseline(database, batches)
        close_base = close_baseline(
            database,
            session_id=measured.shop.session_id,
            journal_lines=measured.closed.journal_lines,
            methods=measured.closed.countable,
        )
        result = figures(
            args, database, measured.ingested, measured.closed, measured.memory, base, close_base
        )
        if args.profile:
            result["profile"] = profile_run(
                server_env(directory, database.url),
                orders=min(args.orders, PROFILE_ORDERS),
                batch=args.batch,
                seed=args.seed + 1,
            )
        table = render(result, database.label)
        if args.profile:
            table += "\n" + render_profile(result["profile"])
    except BenchError as exc:
        print(f"opentill bench: {exc}", file=sys.stderr)
        return 1
    finally:
        if database is not None and not args.keep:
            database.drop()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return _print(args, directory, table, result)


def _print(args: argparse.Namespace, directory: Path, table: str, result: dict[str, Any]) -> int:
    print(table)
    if args.keep:
        print(f"kept {directory} (server.log, database)")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m opentill.bench [options]``: the same as ``opentill bench``."""
    parser = argparse.ArgumentParser(
        prog="opentill bench",
        description="Sync many orders through the real server, close, and compare.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
