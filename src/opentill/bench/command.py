"""``opentill bench``: its options and the run."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentill.bench.baseline import baseline, baseline_rows
from opentill.bench.client import Api, login
from opentill.bench.close import CloseResult, close_session
from opentill.bench.close_baseline import close_baseline
from opentill.bench.database import Database, postgres_database, sqlite_database
from opentill.bench.errors import BenchError
from opentill.bench.ingest import IngestResult, ingest, plan_work
from opentill.bench.orders import Shop, generate_orders, open_shop
from opentill.bench.profile import render as render_profile
from opentill.bench.report import figures, render
from opentill.bench.server import (
    MemorySampler,
    free_port,
    load_demo,
    profile_run,
    running_server,
    server_env,
)

SEED = 20261121
PROFILE_ORDERS = 2000


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
