"""The Z report on a network receipt printer: a fake printer on loopback receives the
ESC/POS bytes on close; an unreachable or hanging printer neither blocks nor rolls back the
close, is tried again with growing delays, and its failure is visible in the API and the
back office; a printer target outside the allowed networks and ports is refused.

These tests commit for real (``transactional_db``): the close queues the print job once its
transaction commits; the tests then run the due jobs in this process with the worker's own
loop (``run_due_jobs``) — the worker as a separate, killed and restarted process is tested
in test_print_worker.py.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opentill.accounting.models import JournalEntry
from opentill.common.worker import run_due_jobs
from opentill.demo import demo_load
from opentill.identity.services import token_issue
from opentill.pos.models import PaymentMethod, PosProfile, Session
from opentill.reports.models import PrintJob
from opentill.reports.render_escpos import decode_escpos
from tests.conftest import Api, order
from tests.integration.helpers import open_session, sync

pytestmark = pytest.mark.django_db(transaction=True)


class FakePrinter:
    """A raw TCP listener on 127.0.0.1 that keeps what each connection sends."""

    def __init__(self, port: int = 0) -> None:
        self.server = socket.create_server(("127.0.0.1", port))
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
def _loopback_printers(settings: Any) -> None:
    """The fake printers listen on random loopback ports: allow every port (the default
    allows 9100 only)."""
    settings.OPENTILL_PRINTER_PORTS = "1-65535"


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


@pytest.mark.parametrize("width", [80, 58])
def test_fake_printer_receives_the_z_report_on_close(alice, till, width):
    printer = FakePrinter()
    try:
        configure(till["profile"], printer.port, width)
        sid, response = sell_and_close(alice, till)
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "closed"
        assert PrintJob.objects.get(session_id=sid).status == "pending"  # queued, not run
        run_due_jobs()
        assert printer.received.wait(15), "the printer received nothing"
    finally:
        printer.close()
    job = PrintJob.objects.get(session_id=sid)
    assert (job.status, job.trigger, job.kind, job.width) == ("sent", "close", "Z", width)
    assert (job.attempts, job.max_attempts) == (1, 5)
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


def test_unreachable_printer_neither_blocks_nor_rolls_back_the_close(alice, till, settings):
    settings.OPENTILL_PRINT_ATTEMPTS = 3
    settings.OPENTILL_PRINT_RETRY_SECONDS = 0  # every retry due at once
    configure(till["profile"], free_port())
    started = time.monotonic()
    sid, response = sell_and_close(alice, till)
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 10
    run_due_jobs()

    session = Session.objects.get(pk=sid)
    assert session.state == Session.State.CLOSED  # committed, not rolled back
    assert JournalEntry.objects.filter(session=session).count() == 1
    job = PrintJob.objects.get(session=session)
    assert job.status == PrintJob.Status.FAILED
    assert job.attempts == 3  # tried, retried, retried: then failed for good
    assert "refused" in job.error.lower()  # ConnectionRefusedError
    assert job.finished_at is not None
    tasks = DBTaskResult.objects.filter(args_kwargs__args=[job.pk])
    assert sorted(t.status for t in tasks) == ["SUCCESSFUL"] * 3  # one task per attempt

    # Visible through the API…
    jobs = alice.get(f"/sessions/{sid}/print-jobs").json()
    assert jobs[0]["status"] == "failed" and jobs[0]["error"] == job.error
    assert (jobs[0]["attempts"], jobs[0]["next_attempt_at"]) == (3, None)
    # …and on the back-office session page.
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    page = client.get(f"/admin/pos/session/{sid}/change/").content.decode()
    assert "Failed" in page and f"127.0.0.1:{till['profile'].printer_port}" in page
    assert "3 of 3" in page  # attempts
    listing = client.get("/admin/reports/printjob/").content.decode()
    assert "3 of 3" in listing and "refused" in listing.lower()


def test_a_failed_attempt_is_retried_later_and_then_prints(alice, till, settings):
    """A printer that is off at close: the job waits for its next attempt (10 s, then 20 s…)
    with the error shown; once the printer is back, the next attempt prints it."""
    settings.OPENTILL_PRINT_RETRY_SECONDS = 10
    port = free_port()
    configure(till["profile"], port)
    sid, _ = sell_and_close(alice, till)
    run_due_jobs()
    job = PrintJob.objects.get(session_id=sid)
    assert (job.status, job.attempts) == ("pending", 1)
    assert "refused" in job.error.lower()
    wait = (job.next_attempt_at - job.last_attempt_at).total_seconds()
    assert 9 <= wait <= 11
    retry = DBTaskResult.objects.get(id=job.task_id)
    assert retry.status == "READY" and retry.run_after == job.next_attempt_at
    out = alice.get(f"/sessions/{sid}/print-jobs").json()[0]
    assert out["status"] == "pending" and out["next_attempt_at"] == job.next_attempt_at.isoformat()

    run_due_jobs()  # not due yet: nothing happens
    assert PrintJob.objects.get(pk=job.pk).attempts == 1

    printer = FakePrinter(port=port)  # the printer is back (the job keeps its host:port)
    try:
        # Let the clock pass the delay.
        earlier = timezone.now() - timedelta(seconds=1)
        PrintJob.objects.filter(pk=job.pk).update(next_attempt_at=earlier)
        DBTaskResult.objects.filter(id=job.task_id).update(run_after=earlier)
        run_due_jobs()
        assert printer.received.wait(15)
    finally:
        printer.close()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("sent", 2, "")
    assert len(printer.jobs) == 1 and job.bytes_sent == len(printer.jobs[0])


def test_hanging_printer_does_not_hold_up_the_close(alice, till, settings):
    """A printer that never answers (its connection queue is full): the close answers at
    once with the job still pending; the job fails when the print timeout runs out."""
    settings.OPENTILL_PRINT_TIMEOUT = 5.0
    settings.OPENTILL_PRINT_ATTEMPTS = 1
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
        run_due_jobs()  # what the worker does: the attempt waits for the print timeout
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
        run_due_jobs()
        assert printer.received.wait(15)
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
    # Each Z printed again (API and back office) is a reprint record in the till's journal.
    from opentill.fiscal import canonical
    from opentill.fiscal.models import FiscalRecord

    reprints = [
        canonical.loads(data)
        for data in FiscalRecord.objects.filter(kind="reprint", session_id=sid).values_list(
            "data", flat=True
        )
    ]
    z = f"Z {Session.objects.get(pk=sid).name}"
    assert [(r["what"], r["reference"], r["medium"], r["by"]) for r in reprints] == [
        ("report", z, "print", "alice"),
        ("report", z, "print", "manager"),
    ]


def test_no_printer_no_job(alice, till):
    sid, response = sell_and_close(alice, till)
    assert response.json()["state"] == "closed"
    assert not PrintJob.objects.filter(session_id=sid).exists()
    refused = alice.post(f"/sessions/{sid}/print")
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"


def test_a_printer_outside_the_allowed_networks_and_ports_is_refused(alice, till, settings):
    """Saving the profile (the back office validates the model) refuses the target with
    the reason; a profile that holds one anyway (saved before the rule) fails its print job
    at once, without connecting."""
    settings.OPENTILL_PRINTER_PORTS = "9100"
    profile = till["profile"]
    for field, host, port, reason in [
        ("printer_host", "8.8.8.8", 9100, "8.8.8.8 is not in an allowed network"),
        ("printer_port", "169.254.169.254", 80, "Port 80 is not an allowed printer port"),
        ("printer_port", "192.168.1.50", 5432, "Port 5432 is not an allowed printer port"),
    ]:
        profile.printer_host, profile.printer_port = host, port
        with pytest.raises(ValidationError) as refused:
            profile.full_clean()
        assert reason in " ".join(refused.value.message_dict[field]), refused.value
    profile.printer_host, profile.printer_port = "192.168.1.50", 9100
    profile.full_clean()  # a printer on the shop's network: accepted

    printer = FakePrinter()  # listening, but on a port the rule does not allow
    try:
        PosProfile.objects.filter(pk=profile.pk).update(
            printer_host="127.0.0.1", printer_port=printer.port
        )
        sid, _ = sell_and_close(alice, till)
        run_due_jobs()
        assert not printer.received.wait(1)
    finally:
        printer.close()
    job = PrintJob.objects.get(session_id=sid)
    assert (job.status, job.attempts) == ("failed", 1)  # not retried: no use
    assert job.error.startswith(f"Refused: Port {printer.port} is not an allowed printer port")
