"""End-to-end fixtures: a real ``opentill demo`` server on loopback and Debian's Chromium.

The server runs in a subprocess on a fresh database (a temporary SQLite file, or a new
PostgreSQL database when OPENTILL_DATABASE_URL points to PostgreSQL); the tests talk to it
over HTTP only, never through pytest-django's database fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

CHROMIUM = Path(os.environ.get("OPENTILL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
VIEWPORT = {"width": 1024, "height": 768}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpApi:
    """A minimal JSON client for /api/v1 over real HTTP (urllib), as a user."""

    def __init__(self, base: str, username: str, password: str = "demo") -> None:
        self.base = base
        self.token = self.post("/auth/token", {"username": username, "password": password})["token"]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            return ApiProblem(error.code, json.loads(error.read().decode() or "{}"))
        return json.loads(text) if "json" in kind else text

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("POST", path, body if body is not None else {})


class ApiProblem(dict):
    """An error answer: the problem document, with the HTTP status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status


def _wait_for_health(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"opentill exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"opentill did not answer /health:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class _Database:
    """A fresh database for the server: PostgreSQL when configured, else SQLite in the data dir."""

    def __init__(self) -> None:
        configured = os.environ.get("OPENTILL_DATABASE_URL", "")
        self.name: str | None = None
        self.url = ""
        # CREATE/DROP DATABASE run from the server's maintenance database ``postgres``: the
        # configured database need not exist (pytest-django only creates test_<name>).
        # Where ``postgres`` cannot be reached, the configured database serves.
        self.admin_urls: list[str] = []
        if configured.startswith(("postgres://", "postgresql://")):
            self.name = f"opentill_e2e_{os.getpid()}"
            parts = urlsplit(configured)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self.admin_urls = [urlunsplit(parts._replace(path="/postgres")), configured]

    def _admin(self, sql: str) -> None:
        import psycopg

        error: Exception | None = None
        for url in self.admin_urls:
            try:
                conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as exc:
                error = exc
                continue
            with conn:
                conn.execute(sql)  # type: ignore[arg-type]
            return
        assert error is not None
        raise error

    def create(self) -> None:
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """artifacts/e2e/: screenshots and the server log (not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("failed-*.png"):
        stale.unlink()
    return ARTIFACTS


# Module scope, not session: Playwright's sync API keeps an event loop running while it is
# open, and Django refuses database calls from a thread with a running loop, so it must be
# stopped before the database tests that follow the browser tests in the same run.
@pytest.fixture(scope="module")
def playwright_sync() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need Playwright (pip install playwright)"
    )
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def chromium(playwright_sync: Any) -> Iterator[Any]:
    """Headless Chromium from Debian, launched once per test module."""
    browser = playwright_sync.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(playwright_sync: Any, artifacts: Path) -> Iterator[str]:
    """A real ``opentill demo`` (gunicorn, 2 workers) on a free loopback port: its base URL."""
    data_dir = Path(tempfile.mkdtemp(prefix="opentill-e2e-"))
    database = _Database()
    database.create()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OPENTILL_DATA_DIR": str(data_dir),
        "OPENTILL_DATABASE_URL": database.url,
        "OPENTILL_ACCESS_LOG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = artifacts / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "opentill.cli",
                "demo",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_health(base, process, log)
        _configure_shop(env)
        SERVER_ENVS[base] = env
        yield base
    finally:
        SERVER_ENVS.pop(base, None)
        _stop(process)
        database.drop()
        shutil.rmtree(data_dir, ignore_errors=True)


SERVER_ENVS: dict[str, dict[str, str]] = {}


def server_python(base: str, code: str) -> str:
    """Run ``code`` with Django set up on the database of the server at ``base`` (what a
    manager or the clock would change behind the till's back: a product deactivated, a
    token expired); returns what it printed."""
    setup = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'opentill.settings');"
        "django.setup()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", setup + code],
        env=SERVER_ENVS[base],
        cwd=ROOT,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _configure_shop(env: dict[str, str]) -> None:
    """Let the cashier choose the cash to keep on Till 1 (the demo keeps a fixed float), so
    the close wizard's choice is exercised; done before any session exists."""
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'opentill.settings');"
        "django.setup();"
        "from opentill.pos.models import PaymentMethod;"
        "n = PaymentMethod.objects.filter(profile__code='TILL1', name='Cash')"
        ".update(keep_policy='variable', keep_amount='100.00');"
        "assert n == 1, n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=60)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def new_context(chromium: Any, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``new_context(**options)`` → a fresh browser context (own storage, service workers
    allowed unless ``options`` say otherwise) at 1024×768; every page's console errors are
    collected in ``context.errors``."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = chromium.new_context(
            **{"viewport": VIEWPORT, "service_workers": "allow", **options}
        )
        context.set_default_timeout(15_000)
        context.errors = []

        def watch(page: Any) -> None:
            page.on("pageerror", lambda error: context.errors.append(str(error)))

        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    failed = request.node.stash.get(_FAILED, False)
    for c, context in enumerate(contexts):
        if failed:  # what each page showed when the test failed
            for p, page in enumerate(context.pages):
                name = f"failed-{request.node.name}-{c}-{p}.png".replace("[", "-").replace("]", "")
                page.screenshot(path=str(artifacts / name))
        context.close()
