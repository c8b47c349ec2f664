"""The background worker: runs the jobs queued in the database (django-tasks' database
backend), so that they survive web server restarts and any number of workers can share
them (each job is claimed atomically).

``opentill worker`` runs one; ``opentill serve`` starts one beside gunicorn and stops it
with the server (:class:`WorkerSupervisor`). Every worker first gives back the jobs whose
worker died (the recovery hooks), then again every half lease.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections

logger = logging.getLogger("opentill.worker")

# Functions that requeue the jobs of a dead worker; each returns how many it recovered.
# The contexts that queue jobs register theirs (the reports app: its print jobs) with
# :func:`recovery_register` from their AppConfig.ready, with the lease after which a job
# counts as abandoned: the worker sweeps every half of the shortest lease.
RECOVERY_HOOKS: list[Callable[[], int]] = []
_LEASES: list[Callable[[], float]] = []


def recovery_register(hook: Callable[[], int], *, lease: Callable[[], float]) -> None:
    if hook not in RECOVERY_HOOKS:
        RECOVERY_HOOKS.append(hook)
        _LEASES.append(lease)


# Passes the worker makes now and then, whatever the queue holds (the fiscal journal closes
# the periods that are due), registered with :func:`periodic_register` from an
# AppConfig.ready with how many seconds apart they run; each returns how much it did.
PERIODIC: dict[Callable[[], int], float] = {}
_PERIODIC_LAST: dict[Callable[[], int], float] = {}


def periodic_register(task: Callable[[], int], *, every: float) -> None:  # float ok: s
    PERIODIC[task] = every


def periodic_run(*, force: bool = False) -> int:
    """Run the periodic passes that are due (every one with ``force``); errors are logged,
    never raised."""
    done = 0
    for task, every in list(PERIODIC.items()):
        now = time.monotonic()
        last = _PERIODIC_LAST.get(task)
        if not force and last is not None and now - last < every:
            continue
        _PERIODIC_LAST[task] = now
        try:
            done += int(task())
        except Exception:
            logger.exception("periodic %s failed", getattr(task, "__qualname__", task))
    return done


def job_lease_seconds() -> float:  # float ok: seconds
    """How long an attempt holds its job's row without renewing it (the setting
    ``OPENTILL_JOB_LEASE_SECONDS``, default 30 s, at least 1 s)."""
    from django.conf import settings

    value = getattr(settings, "OPENTILL_JOB_LEASE_SECONDS", None)
    return max(1.0, float(30 if value is None else value))  # float ok: seconds


class LeaseHeartbeat:
    """Renews an attempt's lease while it runs: ``renew()`` every third of the lease, in its
    own thread and database connection. A renewal that fails is logged and the attempt goes
    on: at worst the lease runs out and the recovery gives the job to another worker."""

    def __init__(self, what: str, renew: Callable[[], object]) -> None:
        self.what, self.renew = what, renew
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"opentill-lease {what}")
        self.thread.daemon = True

    def _run(self) -> None:
        lease = job_lease_seconds()
        try:
            while not self.stop.wait(lease / 3):
                self.renew()
        except Exception:  # the attempt goes on; at worst the lease runs out
            logger.exception("%s: the lease could not be renewed", self.what)
        finally:
            connections.close_all()

    def __enter__(self) -> LeaseHeartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


def lease_seconds() -> float:  # float ok: seconds
    """The shortest lease of the registered job kinds (60 s when none is registered)."""
    return min((lease() for lease in _LEASES), default=60.0)


def jobs_recover() -> int:
    """Run every recovery hook once (errors are logged, never raised)."""
    recovered = 0
    for hook in RECOVERY_HOOKS:
        try:
            recovered += int(hook())
        except Exception:
            logger.exception("recovery %s failed", getattr(hook, "__qualname__", hook))
    return recovered


def run_due_jobs() -> None:
    """Run, in this thread, every job that is due now, then return (``opentill worker
    --batch``; tests)."""
    from django_tasks_db.management.commands.db_worker import Worker

    jobs_recover()
    periodic_run(force=True)
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"batch-{os.getpid()}",
        excluded_queue_names=[],
    ).run()


def _sweep(stop: threading.Event, every: float, parent_pid: int | None) -> None:  # float ok: s
    try:
        while not stop.wait(every):
            if parent_pid is not None and os.getppid() != parent_pid:
                logger.warning("the server (pid %s) is gone: the worker stops", parent_pid)
                os.kill(os.getpid(), signal.SIGTERM)  # finishes the job in hand, then exits
                return
            jobs_recover()
            periodic_run()
            connections.close_all()
    finally:
        connections.close_all()


def run_worker(
    *,
    interval: float = 1.0,  # float ok: seconds between polls
    parent_pid: int | None = None,
    batch: bool = False,
) -> None:
    """Run a worker until SIGTERM/SIGINT (the job in hand is finished first)."""
    from django.core.management import call_command

    if batch:
        run_due_jobs()
        return
    recovered = jobs_recover()
    if recovered:
        logger.warning("%s job(s) of a stopped worker queued again", recovered)
    periodic_run()
    stop = threading.Event()
    sweeper = threading.Thread(
        target=_sweep, args=(stop, max(0.5, lease_seconds() / 2), parent_pid), daemon=True
    )
    sweeper.start()
    worker_id = f"{socket.gethostname()}-{os.getpid()}"[-64:]
    try:
        call_command(
            "db_worker",
            queue_name="*",
            interval=interval,
            worker_id=worker_id,
            startup_delay=False,
            reload=False,
            verbosity=1,
        )
    finally:
        stop.set()


class WorkerSupervisor:
    """``opentill serve``'s worker: a child process, started again if it dies, stopped
    (SIGTERM, then SIGKILL after ``grace`` seconds) with the server. The child also stops by
    itself when the server process disappears (``--parent-pid``)."""

    def __init__(self, grace: float = 15.0) -> None:  # float ok: seconds
        self.grace = grace
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._supervise, name="opentill-worker", daemon=True)

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "opentill.cli", "worker", "--parent-pid", str(os.getpid())]
        # Its own session: a Ctrl+C meant for the server reaches the server, which stops the
        # worker itself (instead of the supervisor seeing it die and starting it again).
        return subprocess.Popen(command, start_new_session=True)

    def _supervise(self) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            with self.lock:
                if self.stopping.is_set():
                    return
                self.process = self._spawn()
            started = time.monotonic()
            code = self.process.wait()
            if self.stopping.is_set():
                return
            if time.monotonic() - started > 60:
                delay = 1.0
            logger.warning("the background worker exited (%s); starting it again", code)
            self.stopping.wait(delay)
            delay = min(delay * 2, 60.0)

    def start(self) -> None:
        self.owner = os.getpid()
        self.thread.start()

    def stop(self) -> None:
        # gunicorn's workers are forks of this process and unwind through the same
        # ``finally``: only the process that started the worker stops it.
        if getattr(self, "owner", None) != os.getpid():
            return
        self.stopping.set()
        with self.lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> WorkerSupervisor:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
