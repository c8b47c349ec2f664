"""Real ``opentill worker`` processes on the test database, for the tests that kill one
mid-job (print jobs, fiscal-device transactions) and wait for the job to finish."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database as an ``OPENTILL_DATABASE_URL`` a subprocess can use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_processes(
    logs: Path, settings: dict[str, str]
) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Yield ``start(name)``: an ``opentill worker`` process on the test database with the
    ``OPENTILL_*`` ``settings`` given, logging to ``logs/<name>.log``; every process still
    running is killed at the end (use it with ``yield from`` in a fixture)."""
    env = {
        **os.environ,
        "OPENTILL_DATABASE_URL": database_url(),
        **settings,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        with (logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "opentill.cli", "worker", "--interval", "0.2"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def wait_until(predicate: Callable[[], Any], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting: {what}")
