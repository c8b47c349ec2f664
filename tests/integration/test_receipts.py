"""Receipts carry the proof (issue #13 item 7): the ticket number, the signature excerpt and
a QR code with the record's key data, in the proof a terminal shows, and in the receipt asked
again as JSON, text, HTML, PDF and ESC/POS; every receipt asked again is a ``reprint``
record and says REPRINT. Real keys and signatures (a key file per test)."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from opentill.fiscal import canonical
from opentill.fiscal.models import FiscalKey, FiscalRecord
from opentill.reports.render_escpos import decode_escpos
from tests.conftest import order
from tests.integration.checks import assert_problem
from tests.integration.closing_helpers import start_till1
from tests.integration.fiscal_helpers import records, verify_till1
from tests.integration.helpers import sync

D = Decimal


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


@pytest.fixture
def sold(api_as, shop, key_file) -> dict[str, Any]:
    """One paid ticket on Till 1: 2 espressos (2.20, VAT 6 % included) and a mug (9.90,
    VAT 21 % included), 10.00 cash and 4.30 card."""
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    ticket = order(
        [(shop["espresso"].pk, "2"), (shop["mug"].pk, "1")],
        [(shop["cash1"].pk, "10.00"), (shop["card1"].pk, "4.30")],
    )
    (result,) = sync(alice, sid, ticket)
    assert result["status"] == "created"
    return {"api": alice, "session": sid, "uuid": ticket["uuid"]}


def test_the_proof_of_a_ticket_names_its_record_and_the_qr_code_holds_its_key_data(sold):
    response = sold["api"].get(f"/orders/{sold['uuid']}/proof")
    assert response.status_code == 200, response.content
    proof = response.json()
    (record,) = [r for r in records() if r.kind == "ticket"]
    assert proof["signed"] is True
    assert proof["number"] == "TILL1-000001"
    assert (proof["sequence"], proof["kind"], proof["key_id"]) == (
        record.sequence,
        "ticket",
        record.key_id,
    )
    assert proof["excerpt"] == record.signature[:16]
    data = canonical.loads(record.data)
    # Worked by hand: 2 × 2.20 = 4.40 at 6 % included → base 4.15, tax 0.25;
    # 9.90 at 21 % included → base 8.18, tax 1.72; total 14.30.
    assert proof["qr"] == "|".join(
        [
            "OT1",
            "TILL1",
            "TILL1-000001",
            str(record.sequence),
            "ticket",
            data["ordered_at"],
            "EUR",
            "14.30",
            "21.0000:8.18:1.72;6.0000:4.15:0.25",
            record.key_id,
            record.signature,
        ]
    )
    assert proof["qr_svg"].startswith("<svg") and "</svg>" in proof["qr_svg"]
    # The proof is not a reprint: asking for it writes nothing.
    assert not FiscalRecord.objects.filter(kind="reprint").exists()


def test_the_signature_in_the_qr_code_verifies_with_the_published_key(sold):
    proof = sold["api"].get(f"/orders/{sold['uuid']}/proof").json()
    fields = proof["qr"].split("|")
    key_id, signature = fields[-2], fields[-1]
    record = FiscalRecord.objects.get(signature=signature)
    pem = FiscalKey.objects.get(key_id=key_id).public_key
    public = serialization.load_pem_public_key(pem.encode())
    public.verify(  # type: ignore[union-attr]
        base64.b64decode(signature), record.data.encode() + b"\n" + record.previous.encode()
    )


def test_a_receipt_asked_again_is_a_reprint_record_and_says_reprint(sold):
    api, uuid = sold["api"], sold["uuid"]
    text = api.client.get(
        f"/api/v1/orders/{uuid}/receipt?format=text&paper=80",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert text.status_code == 200, text.content
    body = text.content.decode()
    ticket = next(r for r in records() if r.kind == "ticket")
    assert "REPRINT" in body
    assert "Ticket TILL1-000001" in body
    assert f"Signature{ticket.signature[:16].rjust(33)}" in body
    assert "TOTAL EUR" in body and "14.30" in body
    assert f"QR: OT1|TILL1|TILL1-000001|{ticket.sequence}|ticket|" in body
    (reprint,) = [r for r in records() if r.kind == "reprint"]
    data = canonical.loads(reprint.data)
    assert (data["what"], data["medium"], data["number"], data["order"], data["by"]) == (
        "receipt",
        "text",
        "TILL1-000001",
        uuid,
        "alice",
    )
    assert reprint.session_id == sold["session"]

    screen = api.get(f"/orders/{uuid}/receipt")
    assert screen.status_code == 200
    assert screen.json()["reprint"] is True and screen.json()["proof"]["excerpt"]
    assert [canonical.loads(r.data)["medium"] for r in records() if r.kind == "reprint"] == [
        "text",
        "screen",
    ]
    assert verify_till1().ok


def test_the_pdf_html_and_escpos_receipts_carry_the_proof(sold):
    api, uuid = sold["api"], sold["uuid"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    ticket = next(r for r in records() if r.kind == "ticket")

    pdf = api.client.get(f"/api/v1/orders/{uuid}/receipt?format=pdf", **auth)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "REPRINT" in text and "Ticket TILL1-000001" in text
    assert ticket.signature[:16] in text

    html = api.client.get(f"/api/v1/orders/{uuid}/receipt?format=html", **auth)
    page = html.content.decode()
    assert "<svg" in page and "Ticket TILL1-000001" in page and "REPRINT" in page

    escpos = api.client.get(f"/api/v1/orders/{uuid}/receipt?format=escpos&paper=58", **auth)
    printed = decode_escpos(escpos.content)
    assert "Ticket TILL1-000001" in printed
    assert f"[QR OT1|TILL1|TILL1-000001|{ticket.sequence}|ticket|" in printed
    assert printed.count("REPRINT") == 2  # on top and at the foot
    assert all(len(line) <= 32 for line in printed.splitlines() if not line.startswith("[QR"))
    assert len([r for r in records() if r.kind == "reprint"]) == 3


def test_a_ticket_without_its_record_says_not_yet_signed(sold, shop):
    from opentill.orders.models import Order
    from opentill.reports.receipt import receipt_data, receipt_lines

    data = receipt_data(Order.objects.get(uuid=sold["uuid"]))
    data["proof"] = None  # as before the server had the ticket
    lines = [line.text for line in receipt_lines(data, 42)]
    assert "Not yet signed — the proof prints on a" in lines
    assert not any(line.startswith("Signature") for line in lines)


def test_a_receipt_is_refused_for_an_unknown_or_foreign_order(sold, api_as):
    assert_problem(sold["api"].get("/orders/not-a-uuid/receipt"), 404, "not_found")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(sold["api"].get(f"/orders/{unknown}/proof"), 404, "not_found")
    bad = sold["api"].get(f"/orders/{sold['uuid']}/receipt?format=docx")
    assert bad.status_code == 422
    assert not FiscalRecord.objects.filter(kind="reprint").exists()


# --- printed: ESC/POS through the durable print queue, to a real TCP listener ------------------


def test_the_printed_receipt_reaches_the_printer_with_its_native_qr_code_then_a_reprint(
    sold, settings
):
    from opentill.pos.models import PosProfile
    from opentill.reports.printing import job_attempt
    from tests.integration.test_reports_printing import FakePrinter, configure

    settings.OPENTILL_PRINTER_PORTS = "1-65535"
    ticket = next(r for r in records() if r.kind == "ticket")
    printed = []
    for _ in range(2):
        printer = FakePrinter()
        try:
            configure(PosProfile.objects.get(code="TILL1"), printer.port, width=58)
            queued = sold["api"].post(f"/orders/{sold['uuid']}/receipt/print", {})
            assert queued.status_code == 202, queued.content
            job = queued.json()
            assert (job["status"], job["kind"], job["order"]) == ("pending", "R", sold["uuid"])
            assert job_attempt(job["id"]).status == "sent"
            assert printer.received.wait(10)
            printed.append((job, decode_escpos(printer.jobs[0])))
        finally:
            printer.close()

    (first, original), (second, again) = printed
    assert first["reprint"] is False and second["reprint"] is True
    for text in (original, again):
        assert "Ticket TILL1-000001" in text
        assert f"Signature{ticket.signature[:16].rjust(32 - 9)}" in text  # 58 mm: 32 columns
        assert f"[QR OT1|TILL1|TILL1-000001|{ticket.sequence}|ticket|" in text
        assert ticket.signature in text  # the QR code carries the whole signature
    assert "REPRINT" not in original and "REPRINT" in again
    # Only the second print is a reprint record.
    (reprint,) = [r for r in records() if r.kind == "reprint"]
    assert canonical.loads(reprint.data)["medium"] == "print"
    assert verify_till1().ok


def test_printing_a_receipt_needs_a_printer(sold):
    assert_problem(
        sold["api"].post(f"/orders/{sold['uuid']}/receipt/print", {}), 409, "invalid_state"
    )
