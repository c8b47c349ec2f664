"""``opentill bench``: sync many orders through the real server, close, and compare.

The bench creates a fresh database (a SQLite file in a temporary directory, or a database of
its own on a PostgreSQL server), loads the demo shop, starts ``opentill serve`` on loopback
as a subprocess, syncs N generated orders through the HTTP API in batches from concurrent
clients, closes the session and prints ingest orders/s, close seconds, the server's peak
memory and the number of journal lines. Beside it, a baseline: the same rows written with
plain SQL inserts into the same database engine, and the ratio of the two.

Only the standard library (and psycopg for PostgreSQL) runs in this process: Django runs
in the server subprocess, as in production.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuidlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from itertools import takewhile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SEED = 20261121
CENT = Decimal("0.01")
REFUND_SHARE = 0.05
SPLIT_SHARE = 0.30
WEIGHED_SHARE = 0.05
CUSTOMER_SHARE = 0.02
CASH_MOVE_EVERY = 5000
DEPOSIT = "100.00"  # larger than a drop: the drawer can always give a drop back
DROP = "50.00"
USERNAME = "alice"
PASSWORD = "demo"
PROFILE_NAME = "Till 2"  # no opening control
START_TIMEOUT = 60  # seconds to wait for /health
HTTP_TIMEOUT = 600
TARGET_CLOSE_SECONDS = 3
TARGET_ORDERS_PER_SECOND = 2000


class BenchError(RuntimeError):
    """The bench could not run or a check failed (rejected orders, bad answers)."""


# --- options -------------------------------------------------------------------------------


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


# --- the database ----------------------------------------------------------------------------


@dataclass
class Database:
    """A fresh database: its URL for OpenTill, its engine, and how to remove it."""

    url: str
    engine: str  # "sqlite" or "postgresql"
    label: str
    sqlite_path: Path | None = None
    drop: Callable[[], None] = field(default=lambda: None)


def _postgres_database(server_url: str) -> Database:
    """Create ``opentill_bench_<pid>`` on the server of ``server_url``."""
    import psycopg

    name = f"opentill_bench_{os.getpid()}"
    parts = urlsplit(server_url)
    try:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise BenchError(f"cannot create the database {name}: {exc}") from exc

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    return Database(url=url, engine="postgresql", label=f"PostgreSQL {name}", drop=drop)


def _sqlite_database(directory: Path) -> Database:
    path = directory / "opentill.sqlite3"
    return Database(
        url=f"sqlite:///{path}", engine="sqlite", label=f"SQLite {path}", sqlite_path=path
    )


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "OPENTILL_DATA_DIR": str(data_dir),
            "OPENTILL_DATABASE_URL": database_url,
            "OPENTILL_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "opentill.settings",
        }
    )
    env.pop("OPENTILL_ACCESS_LOG", None)
    return env


def _load_demo(env: dict[str, str], log: Path) -> None:
    """Migrate the fresh database and load the demo shop, in a subprocess."""
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "opentill.cli", "demo", "--no-serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise BenchError(f"loading the demo shop failed; see {log}:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Server:
    """The ``opentill serve`` subprocess."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_for_health(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"the server exited at start; see {server.log}:\n{_tail(server.log)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"the server did not answer /health in {START_TIMEOUT} s")


def _stop(server: Server) -> None:
    """Terminate gunicorn (the master stops its workers), killing it if it lingers."""
    workers = _descendants(server.pid)
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def running_server(env: dict[str, str], *, port: int, workers: int, log: Path) -> Iterator[Server]:
    """Start ``opentill serve`` on loopback, wait for /health; always terminate it."""
    out = log.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opentill.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-migrate",
            # The web server alone, as the recorded figures were measured (the background
            # worker only prints, and the benchmark has no printer).
            "--no-worker",
        ],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    server = Server(process=process, port=port, log=log)
    try:
        _wait_for_health(server)
        yield server
    finally:
        _stop(server)
        out.close()


# --- memory of the server's process tree -----------------------------------------------------


def _descendants(root: int) -> list[int]:
    """Pids of the processes below ``root`` (gunicorn workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after it.
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            found.append(child)
            todo.append(child)
    return found


def _status_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB; (0, 0) when it is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


class MemorySampler(threading.Thread):
    """Samples the summed RSS of a process tree; keeps the peak of the sum and each
    process's own high-water mark (VmHWM)."""

    def __init__(self, root: int, interval: float = 0.05) -> None:  # float ok
        super().__init__(daemon=True, name="memory-sampler")
        self.root = root
        self.interval = interval
        self.peak_rss_kib = 0
        self.hwm_kib: dict[int, int] = {}
        self._stop_event = threading.Event()
        self._refresh_every = 20
        self._pids: list[int] = [root]

    def sample(self, *, refresh: bool) -> None:
        if refresh:
            self._pids = [self.root, *_descendants(self.root)]
        total = 0
        for pid in self._pids:
            rss, hwm = _status_kib(pid)
            total += rss
            if hwm:
                self.hwm_kib[pid] = max(hwm, self.hwm_kib.get(pid, 0))
        self.peak_rss_kib = max(self.peak_rss_kib, total)

    def run(self) -> None:
        tick = 0
        while not self._stop_event.is_set():
            self.sample(refresh=tick % self._refresh_every == 0)
            tick += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample(refresh=True)


# --- HTTP ------------------------------------------------------------------------------------


class Api:
    """A keep-alive JSON client for /api/v1 on one connection (one per sending thread)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        """Send a request, reconnecting once when the server closed an idle connection."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, f"/api/v1{path}", body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
                if attempt == 2:
                    raise
        return response.status, json.loads(data) if data else None

    def call(self, method: str, path: str, payload: Any = None, *, expect: int = 200) -> Any:
        """A request with a JSON payload whose answer must have status ``expect``."""
        body = None if payload is None else json.dumps(payload).encode()
        status, answer = self.request(method, path, body)
        if status != expect:
            raise BenchError(f"{method} {path} answered {status}: {answer}")
        return answer

    def close(self) -> None:
        self.conn.close()


def _login(port: int) -> str:
    api = Api(port)
    try:
        answer = api.call("POST", "/auth/token", {"username": USERNAME, "password": PASSWORD})
    finally:
        api.close()
    token: str = answer["token"]
    return token


# --- the orders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    id: int
    price: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class Shop:
    """What the bench reads from the API: the profile, its catalog, the open session."""

    profile_id: int
    session_id: int
    products: tuple[Product, ...]
    cash_id: int
    card_id: int
    customers: tuple[int, ...]


def _open_shop(api: Api) -> Shop:
    """Find Till 2, read its catalog and create (open) a session on it."""
    profiles = api.call("GET", "/profiles")
    profile = next((p for p in profiles if p["name"] == PROFILE_NAME), None)
    if profile is None:
        raise BenchError(f"no profile {PROFILE_NAME!r} in the demo shop")
    catalog = api.call("GET", f"/profiles/{profile['id']}/catalog")
    methods = {m["kind"]: m["id"] for m in catalog["payment_methods"]}
    if catalog["company"]["cash_rounding"] not in ("0.01", "0.00"):
        raise BenchError("the bench expects no cash rounding (step 0.01)")
    session = api.call("POST", f"/profiles/{profile['id']}/sessions", {}, expect=201)
    if session["state"] == "opening_control":
        session = api.call("POST", f"/sessions/{session['id']}/open", {"counts": [], "notes": ""})
    if session["state"] != "in_progress":
        raise BenchError(f"the session is {session['state']}, not in_progress")
    return Shop(
        profile_id=profile["id"],
        session_id=session["id"],
        products=tuple(
            Product(p["id"], Decimal(p["price"]), Decimal(p["tax_rate"]))
            for p in catalog["products"]
        ),
        cash_id=methods["cash"],
        card_id=methods["card"],
        customers=tuple(c["id"] for c in catalog["customers"] if not c["is_walk_in"]),
    )


def money(value: Decimal) -> str:
    """``Decimal('-2.2')`` → ``"-2.20"``."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"


def line_total(quantity: Decimal, price: Decimal) -> Decimal:
    """What the server charges for a line without discount: quantity × price, half up."""
    return (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)


def _quantity(rng: random.Random, refund: bool) -> Decimal:
    if rng.random() < WEIGHED_SHARE:
        value = Decimal(rng.randint(50, 2500)).scaleb(-3)  # 0.050 … 2.500 (weighed goods)
    else:
        value = Decimal(rng.choice((1, 1, 1, 2, 2, 3)))
    return -value if refund else value


def _payments(rng: random.Random, total: Decimal, shop: Shop) -> list[dict[str, Any]]:
    """One payment, or cash + card for about 30 % of the sales; refunds go back in one."""
    if total > 0 and total >= Decimal("0.02") and rng.random() < SPLIT_SHARE:
        cash = Decimal(rng.randint(1, int(total / CENT) - 1)) * CENT
        return [
            {"payment_method": shop.cash_id, "amount": money(cash)},
            {"payment_method": shop.card_id, "amount": money(total - cash)},
        ]
    method = shop.cash_id if rng.random() < 0.55 else shop.card_id
    return [{"payment_method": method, "amount": money(total)}]


def generate_orders(shop: Shop, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` order payloads, the same for the same seed: about 3 lines each (both tax
    rates), 1–2 payments that match the server's total exactly, about 5 % refunds."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 21, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    orders = []
    for index in range(count):
        refund = rng.random() < REFUND_SHARE
        lines = []
        total = Decimal(0)
        for _ in range(rng.choice((1, 2, 3, 3, 4, 5))):
            product = rng.choice(shop.products)
            quantity = _quantity(rng, refund)
            total += line_total(quantity, product.price)
            lines.append({"product": product.id, "quantity": f"{quantity:f}"})
        order: dict[str, Any] = {
            "uuid": str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
            "created_at": (start + timedelta(seconds=index)).isoformat(),
            "lines": lines,
            "payments": _payments(rng, total, shop),
        }
        if shop.customers and rng.random() < CUSTOMER_SHARE:
            order["customer"] = rng.choice(shop.customers)
        orders.append(order)
    return orders


# --- the work: sync batches and cash moves ----------------------------------------------------


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


# --- close and journal -------------------------------------------------------------------------


@dataclass
class CloseResult:
    seconds: float  # float ok
    state: str
    expected: dict[str, str]
    journal_entries: int
    journal_lines: int
    journal_balanced: bool


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
    )


# --- the baseline: plain SQL inserts -------------------------------------------------------------

BASELINE_TABLES = ("bench_tx", "bench_payment", "bench_line", "bench_order")

BASELINE_DDL = (
    """CREATE TABLE bench_order (
        id BIGINT PRIMARY KEY, uuid CHAR(36) NOT NULL UNIQUE, session_id BIGINT NOT NULL,
        requested_session_id BIGINT NOT NULL, user_id BIGINT NOT NULL, customer_id BIGINT,
        state VARCHAR(8) NOT NULL, to_invoice BOOLEAN NOT NULL, created_at VARCHAR(40) NOT NULL,
        synced_at VARCHAR(40) NOT NULL, net_total BIGINT NOT NULL, tax_total BIGINT NOT NULL,
        total BIGINT NOT NULL, rounding BIGINT NOT NULL, amount_due BIGINT NOT NULL)""",
    "CREATE INDEX bench_order_session ON bench_order (session_id, state)",
    """CREATE TABLE bench_line (
        id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES bench_order (id),
        product_id BIGINT NOT NULL, quantity BIGINT NOT NULL, unit_price BIGINT NOT NULL,
        discount_percent BIGINT NOT NULL, tax_rate BIGINT NOT NULL, discount BIGINT NOT NULL,
        net BIGINT NOT NULL, tax_amount BIGINT NOT NULL, total BIGINT NOT NULL)""",
    "CREATE INDEX bench_line_order ON bench_line (order_id)",
    """CREATE TABLE bench_payment (
        id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES bench_order (id),
        session_id BIGINT NOT NULL, payment_method_id BIGINT NOT NULL, amount BIGINT NOT NULL)""",
    "CREATE INDEX bench_payment_order ON bench_payment (order_id)",
    "CREATE INDEX bench_payment_session ON bench_payment (session_id, payment_method_id)",
    """CREATE TABLE bench_tx (
        id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, kind VARCHAR(20) NOT NULL,
        amount BIGINT NOT NULL, session_id BIGINT NOT NULL,
        payment_id BIGINT NOT NULL REFERENCES bench_payment (id), created_at VARCHAR(40) NOT NULL)""",
    "CREATE INDEX bench_tx_account ON bench_tx (account_id)",
    "CREATE INDEX bench_tx_payment ON bench_tx (payment_id)",
)


@dataclass
class Rows:
    """The rows of one batch for the four baseline tables."""

    orders: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    transactions: list[tuple[Any, ...]] = field(default_factory=list)


def _minor(value: Decimal, places: int = 2) -> int:
    return int(value.scaleb(places))


def baseline_rows(
    shop: Shop, orders: Sequence[dict[str, Any]], batch: int, session_id: int
) -> list[Rows]:
    """The same orders as rows (order, lines, payments, payment transactions), per batch,
    priced as the server prices them (tax included, per line, half up)."""
    products = {p.id: p for p in shop.products}
    accounts = {shop.cash_id: 1, shop.card_id: 2}
    synced = datetime.now(tz=UTC).isoformat()
    batches: list[Rows] = []
    line_id = payment_id = 0
    for order_id, order in enumerate(orders, start=1):
        if (order_id - 1) % batch == 0:
            batches.append(Rows())
        rows = batches[-1]
        net_sum = tax_sum = Decimal(0)
        for line in order["lines"]:
            product = products[line["product"]]
            quantity = Decimal(line["quantity"])
            total = line_total(quantity, product.price)
            tax = (total * product.tax_rate / (100 + product.tax_rate)).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            net_sum += total - tax
            tax_sum += tax
            line_id += 1
            rows.lines.append(
                (
                    line_id,
                    order_id,
                    product.id,
                    _minor(quantity, 3),
                    _minor(product.price),
                    0,
                    _minor(product.tax_rate, 4),
                    0,
                    _minor(total - tax),
                    _minor(tax),
                    _minor(total),
                )
            )
        total = net_sum + tax_sum
        rows.orders.append(
            (
                order_id,
                order["uuid"],
                session_id,
                session_id,
                1,
                order.get("customer"),
                "paid",
                False,
                order["created_at"],
                synced,
                _minor(net_sum),
                _minor(tax_sum),
                _minor(total),
                0,
                _minor(total),
            )
        )
        for payment in order["payments"]:
            payment_id += 1
            amount = _minor(Decimal(payment["amount"]))
            method = payment["payment_method"]
            rows.payments.append((payment_id, order_id, session_id, method, amount))
            rows.transactions.append(
                (payment_id, accounts[method], "payment", amount, session_id, payment_id, synced)
            )
    return batches


@dataclass
class BaselineResult:
    seconds: float  # float ok
    orders: int
    lines: int
    payments: int
    transactions: int

    @property
    def rows(self) -> int:
        return self.orders + self.lines + self.payments + self.transactions


_INSERTS = (
    ("orders", "bench_order", 15),
    ("lines", "bench_line", 11),
    ("payments", "bench_payment", 5),
    ("transactions", "bench_tx", 7),
)


def _write_batches(conn: Any, batches: Sequence[Rows], placeholder: str) -> None:
    """INSERT every batch with executemany, one transaction per batch."""
    statements = [
        (attr, f"INSERT INTO {table} VALUES ({', '.join([placeholder] * width)})")
        for attr, table, width in _INSERTS
    ]
    for rows in batches:
        cursor = conn.cursor()
        cursor.execute("BEGIN")
        for attr, sql in statements:
            cursor.executemany(sql, getattr(rows, attr))
        cursor.execute("COMMIT")
        cursor.close()


def _connect_baseline(database: Database) -> tuple[Any, str]:
    """A connection in autocommit mode (the bench issues BEGIN/COMMIT) and its placeholder."""
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        conn = sqlite3.connect(database.sqlite_path, isolation_level=None)
        # The settings OpenTill uses for SQLite (see settings.py).
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        return conn, "?"
    import psycopg

    return psycopg.connect(database.url, autocommit=True), "%s"


def baseline(database: Database, batches: Sequence[Rows]) -> BaselineResult:
    """Create the bench_* tables and time the plain inserts of ``batches``."""
    conn, placeholder = _connect_baseline(database)
    try:
        for table in BASELINE_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in BASELINE_DDL:
            conn.execute(ddl)
        started = time.perf_counter()
        _write_batches(conn, batches, placeholder)
        seconds = time.perf_counter() - started  # float ok
    finally:
        conn.close()
    return BaselineResult(
        seconds=seconds,
        orders=sum(len(b.orders) for b in batches),
        lines=sum(len(b.lines) for b in batches),
        payments=sum(len(b.payments) for b in batches),
        transactions=sum(len(b.transactions) for b in batches),
    )


# --- the report ------------------------------------------------------------------------------------


def figures(
    args: argparse.Namespace,
    database: Database,
    ingested: IngestResult,
    closed: CloseResult,
    memory: MemorySampler,
    base: BaselineResult,
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
    ]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, target in rows if target)
    lines = ["opentill bench", "-" * (width + value_width + 24)]
    for name, value, target in rows:
        lines.append(f"{name:<{width}}  {value:<{value_width}}  {target}".rstrip())
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------------


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
    env = _server_env(directory, database.url)
    log = directory / "server.log"
    _load_demo(env, log)
    port = args.port or _free_port()
    with running_server(env, port=port, workers=args.workers, log=log) as server:
        memory = MemorySampler(server.pid)
        memory.start()
        try:
            token = _login(port)
            api = Api(port, token)
            shop = _open_shop(api)
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
            _postgres_database(args.database_url)
            if args.database_url
            else _sqlite_database(directory)
        )
        measured = _measure(args, database, directory)
        batches = baseline_rows(
            measured.shop, measured.orders, args.batch, measured.shop.session_id
        )
        base = baseline(database, batches)
        result = figures(args, database, measured.ingested, measured.closed, measured.memory, base)
        table = render(result, database.label)
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
    parser = argparse.ArgumentParser(prog="opentill bench", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
