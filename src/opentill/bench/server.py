"""The ``opentill serve`` subprocess the bench measures, and its memory."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentill.bench.errors import BenchError

START_TIMEOUT = 60  # seconds to wait for /health


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(data_dir: Path, database_url: str) -> dict[str, str]:
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


def load_demo(env: dict[str, str], log: Path) -> None:
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


def fill(env: dict[str, str], *args: Any) -> Any:
    """Run a set-up of :mod:`opentill.bench.fill` in a subprocess; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "opentill.bench.fill", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"the set-up {args} failed:\n{done.stderr[-3000:]}{done.stdout[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile_run(env: dict[str, str], *, orders: int, batch: int, seed: int) -> Any:
    """Profile an in-process sync in a subprocess (:mod:`opentill.bench.profile`)."""
    done = subprocess.run(
        [sys.executable, "-m", "opentill.bench.profile", str(orders), str(batch), str(seed)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"the profile failed:\n{done.stderr[-3000:]}{done.stdout[-1000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
