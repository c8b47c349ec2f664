"""The Z report on a network receipt printer: a fake printer on loopback receives the
ESC/POS bytes on close; an unreachable or hanging printer neither blocks nor rolls back the
close, and its failure is visible in the API and the back office.

These tests commit for real (``transactional_db``): the print runs after the close's
transaction commits, in a background thread with its own database connection.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from opentill.accounting.models import JournalEntry
from opentill.demo import demo_load
from opentill.identity.services import token_issue
from opentill.pos.models import PaymentMethod, PosProfile, Session
from opentill.reports.models import PrintJob
from opentill.reports.printing import wait_for_print_jobs
from opentill.reports.render_escpos import decode_escpos
from tests.conftest import Api, order
from tests.integration.helpers import open_session, sync

pytestmark = pytest.mark.django_db(transaction=True)


class FakePrinter:
    """A raw TCP listener on 127.0.0.1 that keeps what each connection sends."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.received = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            chunks = []
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        self.jobs.append(b"".join(chunks))
        self.received.set()

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)


def free_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def till(transactional_db: Any) -> dict[str, Any]:
    demo_load()
    profile = PosProfile.objects.get(code="TILL1")
    return {
        "profile": profile,
        "cash": PaymentMethod.objects.get(profile=profile, name="Cash"),
        "card": PaymentMethod.objects.get(profile=profile, name="Card"),
    }


@pytest.fixture
def alice(till: dict[str, Any]) -> Api:
    token, _ = token_issue(username="alice", password="demo")
    return Api(token)


@pytest.fixture(autouse=True)
def _join_print_threads() -> Any:
    yield
    assert wait_for_print_jobs(timeout=30), "a print thread is still running"


def configure(profile: PosProfile, port: int, width: int = 80) -> None:
    profile.printer_host = "127.0.0.1"
    profile.printer_port = port
    profile.printer_width = width
    profile.save()


def sell(api: Api, till: dict[str, Any]) -> int:
    from opentill.catalog.models import Product

    cash, card = till["cash"].pk, till["card"].pk
    espresso = Product.objects.get(sku="COF-ESP").pk
    s = open_session(api, till["profile"].pk, [{"payment_method": cash, "amount": "100.00"}])
    sync(
        api,
        s["id"],
        order([(espresso, "2")], [(cash, "4.40")]),
        order([(espresso, "1")], [(card, "2.20")]),
        order([(espresso, "-1")], [(cash, "-2.20")]),
    )
    api.post(
        f"/sessions/{s['id']}/cash-moves",
        {"kind": "drop", "payment_method": cash, "amount": "1.00", "reason": "float"},
    )
    return int(s["id"])


def close(api: Api, till: dict[str, Any], sid: int) -> Any:
    return api.post(
        f"/sessions/{sid}/close",
        {"counts": [{"payment_method": till["cash"].pk, "counted": "100.70"}]},  # 0.50 short
    )


def sell_and_close(api: Api, till: dict[str, Any]) -> tuple[int, Any]:
    sid = sell(api, till)
    return sid, close(api, till, sid)


def wait_for(predicate: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.mark.parametrize("width", [80, 58])
def test_fake_printer_receives_the_z_report_on_close(alice, till, width):
    printer = FakePrinter()
    try:
        configure(till["profile"], printer.port, width)
        sid, response = sell_and_close(alice, till)
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "closed"
        assert printer.received.wait(15), "the printer received nothing"
        assert wait_for_print_jobs(15)
    finally:
        printer.close()
    job = PrintJob.objects.get(session_id=sid)
    assert (job.status, job.trigger, job.kind, job.width) == ("sent", "close", "Z", width)
    assert job.printer == f"127.0.0.1:{printer.port}"
    assert job.bytes_sent == len(printer.jobs[0]) and job.error == ""

    data = printer.jobs[0]
    assert data.startswith(b"\x1b@")  # ESC @: initialise
    assert data.endswith(b"\x1dV\x00")  # GS V 0: cut
    printed = decode_escpos(data)
    # The same report as GET …/report?format=escpos, but for the "Printed <time>" line.
    served = decode_escpos(
        alice.get(f"/sessions/{sid}/report", format="escpos", paper=str(width)).content
    )

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Printed ")]

    assert body(printed) == body(served)
    assert max(len(line) for line in printed.splitlines()) <= {80: 42, 58: 32}[width]
    report = alice.get(f"/sessions/{sid}/report").json()
    cash = next(c for c in report["closing"] if c["name"] == "Cash")
    assert cash["difference"] == "-0.50"
    flat = " ".join(printed.split())
    assert f"Sales total {report['orders']['sales_total']}" in flat
    assert f"Total {report['journal']['debit']} {report['journal']['credit']}" in flat

    jobs = alice.get(f"/sessions/{sid}/print-jobs").json()
    assert [(j["status"], j["trigger"]) for j in jobs] == [("sent", "close")]


def test_unreachable_printer_neither_blocks_nor_rolls_back_the_close(alice, till):
    configure(till["profile"], free_port())
    started = time.monotonic()
    sid, response = sell_and_close(alice, till)
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 10
    assert wait_for_print_jobs(15)

    session = Session.objects.get(pk=sid)
    assert session.state == Session.State.CLOSED  # committed, not rolled back
    assert JournalEntry.objects.filter(session=session).count() == 1
    job = PrintJob.objects.get(session=session)
    assert job.status == PrintJob.Status.FAILED
    assert job.error  # e.g. "DeviceNotFoundError: Could not open socket … refused"
    assert job.finished_at is not None

    # Visible through the API…
    jobs = alice.get(f"/sessions/{sid}/print-jobs").json()
    assert jobs[0]["status"] == "failed" and jobs[0]["error"] == job.error
    # …and on the back-office session page.
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    page = client.get(f"/admin/pos/session/{sid}/change/").content.decode()
    assert "Failed" in page and f"127.0.0.1:{till['profile'].printer_port}" in page


def test_hanging_printer_does_not_hold_up_the_close(alice, till, settings):
    """A printer that never answers (its connection queue is full): the close answers at
    once with the job still pending; the job fails when the print timeout runs out."""
    settings.OPENTILL_PRINT_TIMEOUT = 5.0
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=2)  # fills the queue
    try:
        configure(till["profile"], port)
        sid = sell(alice, till)
        started = time.monotonic()
        response = close(alice, till, sid)
        elapsed = time.monotonic() - started
        job = PrintJob.objects.get(session_id=sid)
        assert job.status == "pending", "the close waited for the printer"
        assert response.status_code == 200 and response.json()["state"] == "closed"
        assert elapsed < 5.0, f"the close took {elapsed:.1f} s"
        wait_for(lambda: PrintJob.objects.get(pk=job.pk).status != "pending", 20)
        job.refresh_from_db()
        assert job.status == "failed"
        assert "timed out" in job.error.lower()
        assert job.finished_at is not None
        assert (job.finished_at - job.created_at).total_seconds() >= 4.5
        assert Session.objects.get(pk=sid).state == "closed"
    finally:
        filler.close()
        server.close()


def test_print_button_prints_again_and_reports_failure(alice, till):
    printer = FakePrinter()
    try:
        configure(till["profile"], printer.port)
        sid, _ = sell_and_close(alice, till)
        assert printer.received.wait(15)
        assert wait_for_print_jobs(15)
    finally:
        printer.close()
    # The printer is gone now: the Print button answers with the failure.
    response = alice.post(f"/sessions/{sid}/print")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["trigger"], body["kind"]) == ("failed", "manual", "Z")
    assert body["error"]
    # From the back office: a message, and the job in the list.
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    followed = client.post(f"/admin/reports/session/{sid}/print/", follow=True)
    assert followed.status_code == 200
    assert "Printing on 127.0.0.1" in followed.content.decode()
    assert PrintJob.objects.filter(session_id=sid).count() == 3


def test_no_printer_no_job(alice, till):
    sid, response = sell_and_close(alice, till)
    assert response.json()["state"] == "closed"
    assert not PrintJob.objects.filter(session_id=sid).exists()
    refused = alice.post(f"/sessions/{sid}/print")
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"
