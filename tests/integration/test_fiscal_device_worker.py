"""The fiscal-device jobs survive the worker, against the simulator run as a real separate
process (``opentill fiscal-device simulator``): a real ``opentill worker`` claims a sale's
device transaction, the device signs it but its answer is held back, the worker is killed
(SIGKILL) mid-call; a new worker takes the transaction over once the lease has run out,
and the device answers the repeated call with the signature it already made: every sale
is signed exactly once, the counter has no gap. Then the simulator process is stopped: the
sales go on, their jobs wait, and once it is started again (same state file: the same
device) each waiting sale is signed once. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from opentill.fiscal.devices.models import DeviceTransaction, TillDevice
from opentill.fiscal.devices.selectors import order_device_status
from opentill.fiscal.models import FiscalRecord
from opentill.orders.models import Order
from tests.integration.test_reports_printing import alice, till
from tests.integration.worker_helpers import ROOT, wait_until, worker_processes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
__all__ = ["alice", "till"]  # fixtures

WAIT = 240  # seconds: a loaded machine starts a worker slowly
LEASE = 2  # seconds: the worker renews it every 2/3 s while it holds a transaction


def _admin(url: str, **settings: Any) -> dict[str, Any]:
    from urllib.request import Request, urlopen

    request = Request(
        url + "/admin",
        data=json.dumps(settings).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


class SimulatorProcess:
    """``opentill fiscal-device simulator`` in a process of its own, keeping its device in a
    state file so that a restart is the same device."""

    def __init__(self, tmp_path: Path) -> None:
        self.state = tmp_path / "tse.json"
        self.log = tmp_path / "simulator.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [sys.executable, "-m", "opentill.cli", "fiscal-device", "simulator"]
        command += ["--port", str(self.port), "--state", str(self.state)]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        assert found, line
        self.port = int(found.group(1))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SimulatorProcess]:
    sim = SimulatorProcess(tmp_path)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """``start_worker(name)``: an ``opentill worker`` process on the test database."""
    yield from worker_processes(
        tmp_path,
        {
            "OPENTILL_JOB_LEASE_SECONDS": str(LEASE),
            "OPENTILL_DEVICE_RETRY_SECONDS": "1",
            "OPENTILL_DEVICE_RETRY_MAX_SECONDS": "1",
        },
    )


def _sell(api: Any, till: dict[str, Any], sid: int, n: int) -> list[str]:
    from opentill.catalog.models import Product
    from tests.conftest import order
    from tests.integration.helpers import sync

    espresso = Product.objects.get(sku="COF-ESP").pk
    orders = [order([(espresso, "1")], [(till["cash"].pk, "2.20")]) for _ in range(n)]
    assert [r["status"] for r in sync(api, sid, *orders)] == ["created"] * n
    return [o["uuid"] for o in orders]


def _line(uuid: str) -> str | None:
    status = order_device_status(Order.objects.get(uuid=uuid).pk)
    assert status is not None
    return status["receipt_line"]


def test_a_worker_killed_mid_call_and_a_device_away_still_sign_each_sale_exactly_once(
    alice, till, simulator, start_worker, tmp_path
):
    from opentill.fiscal.devices.models import FiscalDevice
    from opentill.fiscal.devices.services import till_device_assign
    from tests.integration.helpers import open_session

    profile = till["profile"]
    device = FiscalDevice.objects.create(
        name="TSE", driver="simulator", url=simulator.url, timeout_seconds=60
    )
    till_device_assign(profile=profile, device=device)
    sid = open_session(
        alice, profile.pk, [{"payment_method": till["cash"].pk, "amount": "100.00"}]
    )["id"]
    first = _sell(alice, till, sid, 2)
    _admin(simulator.url, delay=300)  # signs, then holds its answer back

    worker = start_worker("first")
    wait_until(
        lambda: _admin(simulator.url)["finishing"] == 1,
        WAIT,
        "the device signs the first sale for the first worker: "
        + (tmp_path / "first.log").read_text(errors="replace")[-3000:],
    )
    tx = DeviceTransaction.objects.order_by("id").first()
    assert tx is not None and tx.status == "signing"
    time.sleep(3 * LEASE)  # its heartbeat keeps the lease: nobody else takes it
    tx.refresh_from_db()
    assert (tx.status, tx.attempts) == ("signing", 1)
    lost_task = tx.claim.partition(":")[2]

    os.kill(worker.pid, signal.SIGKILL)  # mid-call: waiting for the device's answer
    worker.wait(10)
    _admin(simulator.url, delay=0)
    start_worker("second")
    wait_until(
        lambda: DeviceTransaction.objects.filter(status="signed").count() == 2,
        WAIT,
        "the second worker signs both sales: "
        + (tmp_path / "second.log").read_text(errors="replace")[-2000:]
        + repr(
            list(DeviceTransaction.objects.values_list("status", "claim", "lease_until", "error"))
        )
        + repr(
            list(
                DBTaskResult.objects.values_list("status", "task_path", "args_kwargs", "run_after")
            )
        )
        + repr(list(TillDevice.objects.values_list("retry_at", "last_error"))),
    )
    signed = list(DeviceTransaction.objects.order_by("id"))
    assert [t.counter for t in signed] == [1, 2]  # the repeated call took no second counter
    assert signed[0].attempts == 2 and signed[0].error == ""
    lost = DBTaskResult.objects.get(id=lost_task)
    assert lost.status == "FAILED" and "stopped during attempt 1" in lost.traceback
    assert _admin(simulator.url)["signature_counter"] == 2

    # The simulator process stops: the sales go on, their jobs wait, the receipts say so.
    simulator.stop()
    during = _sell(alice, till, sid, 2)
    wait_until(
        lambda: TillDevice.objects.get(pk=profile.pk).outage_since is not None,
        WAIT,
        "the worker finds the device away",
    )
    assert [_line(u) for u in during] == ["Signature device unavailable"] * 2
    assert DeviceTransaction.objects.filter(status="pending").count() == 2
    time.sleep(3)  # a few retries, still away
    assert DeviceTransaction.objects.filter(status="pending").count() == 2

    simulator.start()  # the same port and state file: the same device, back
    wait_until(
        lambda: DeviceTransaction.objects.filter(status="signed").count() == 4,
        WAIT,
        "each waiting sale is signed once the device is back",
    )
    signed = list(DeviceTransaction.objects.order_by("id"))
    assert [str(t.order.uuid) for t in signed] == first + during
    assert sorted(t.counter for t in signed) == [1, 2, 3, 4]
    assert [_line(u) for u in first + during] == [None] * 4
    assert _admin(simulator.url)["signature_counter"] == 4
    events = [
        json.loads(data)["event"]
        for data in FiscalRecord.objects.filter(profile=profile, kind="device")
        .order_by("sequence")
        .values_list("data", flat=True)
    ]
    assert events == ["registered", "outage", "recovered"]
    from opentill.fiscal.selectors import till_verify

    assert till_verify(profile=profile).ok
