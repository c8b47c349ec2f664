"""Print jobs survive the worker: a real ``opentill worker`` process claims the job of a
close, stalls on a printer that does not answer, and is killed (SIGKILL) mid-job; a new
worker takes the job over once the lease has run out and the report is printed exactly
once. On SQLite (the test database is a file the worker process opens) and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from opentill.reports.models import PrintJob
from tests.integration.test_reports_printing import alice, configure, sell_and_close, till
from tests.integration.worker_helpers import ROOT, database_url, wait_until, worker_processes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
__all__ = ["alice", "till"]  # fixtures

LEASE = 2  # seconds: the worker renews it every 2/3 s while it holds the job


class StallingPrinter:
    """A loopback printer whose connection queue is full: a connect to it hangs until
    :meth:`release`, after which it accepts and keeps what each connection sends."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(0)
        self.port = self.server.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        self.documents: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def release(self) -> None:
        self.filler.close()
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.5)
        while True:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            if chunks:  # the filler connection sends nothing
                self.documents.append(b"".join(chunks))

    def close(self) -> None:
        self.server.close()
        self.filler.close()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """``start_worker(name)``: an ``opentill worker`` process on the test database."""
    yield from worker_processes(
        tmp_path,
        {
            "OPENTILL_PRINTER_PORTS": "1-65535",
            "OPENTILL_PRINT_TIMEOUT": "120",  # the stalled connect outlasts the test
            "OPENTILL_JOB_LEASE_SECONDS": str(LEASE),
        },
    )


def test_a_worker_killed_mid_job_and_restarted_prints_the_report_exactly_once(
    alice, till, start_worker, tmp_path
):
    printer = StallingPrinter()
    try:
        configure(till["profile"], printer.port)
        sid, response = sell_and_close(alice, till)
        assert response.status_code == 200 and response.json()["state"] == "closed"
        job = PrintJob.objects.get(session_id=sid)
        assert (job.status, job.attempts) == ("pending", 0)
        first_task = job.task_id

        first = start_worker("first")
        wait_until(
            lambda: PrintJob.objects.get(pk=job.pk).status == "printing",
            60,
            "the first worker claims the job",
        )
        # It holds the job well past one lease (its heartbeat renews it): nobody may take it.
        time.sleep(3 * LEASE)
        job.refresh_from_db()
        assert (job.status, job.attempts) == ("printing", 1)
        assert job.lease_until is not None
        assert DBTaskResult.objects.get(id=first_task).status == "RUNNING"

        os.kill(first.pid, signal.SIGKILL)  # mid-job: blocked connecting to the printer
        first.wait(10)
        printer.release()  # the printer answers from now on

        start_worker("second")
        wait_until(
            lambda: PrintJob.objects.get(pk=job.pk).status == "sent",
            60,
            "the second worker prints the job: "
            + (tmp_path / "second.log").read_text(errors="replace")[-2000:],
        )
        time.sleep(3 * LEASE)  # time for a wrong second print to show up
    finally:
        printer.close()

    job.refresh_from_db()
    assert len(printer.documents) == 1, "the report must be printed exactly once"
    assert printer.documents[0].startswith(b"\x1b@") and printer.documents[0].endswith(b"\x1dV\x00")
    assert (job.status, job.attempts, job.bytes_sent) == ("sent", 2, len(printer.documents[0]))
    assert job.error == ""  # the last attempt's outcome; the lost attempt is counted
    # The killed worker's task is marked failed; the new attempt ran in a task of its own.
    lost = DBTaskResult.objects.get(id=first_task)
    assert lost.status == "FAILED" and "stopped during attempt 1" in lost.traceback
    assert job.task_id != first_task
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (started by any of its threads)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def test_serve_runs_the_worker_beside_the_web_server_and_stops_it(alice, till, tmp_path):
    """``opentill serve`` starts a worker that prints the Z report of a close, and the
    worker stops with the server."""
    from tests.integration.test_reports_printing import FakePrinter, free_port

    printer = FakePrinter()
    port = free_port()
    env = {
        **os.environ,
        "OPENTILL_DATABASE_URL": database_url(),
        "OPENTILL_PRINTER_PORTS": "1-65535",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "opentill.cli", "serve", "--no-migrate", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: any(
                b"worker" in Path(f"/proc/{c}/cmdline").read_bytes() for c in _children(server.pid)
            ),
            30,
            "serve starts its worker",
        )
        worker = next(
            c for c in _children(server.pid) if b"worker" in Path(f"/proc/{c}/cmdline").read_bytes()
        )
        configure(till["profile"], printer.port)
        sid, _ = sell_and_close(alice, till)
        assert printer.received.wait(30), (tmp_path / "serve.log").read_text(errors="replace")
        wait_until(lambda: PrintJob.objects.get(session_id=sid).status == "sent", 15, "sent")
    finally:
        server.terminate()
        server.wait(30)
        printer.close()
    wait_until(lambda: not Path(f"/proc/{worker}").exists(), 20, "the worker stops with serve")
    assert len(printer.jobs) == 1
