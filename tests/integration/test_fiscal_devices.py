"""The fiscal-device boundary (issue #13 item 8): each sale signed on the till's device
through the job queue, a sale never blocked by a device that is away, refusals failed and
documented, the simulator's signatures verified with its public key alone, its counters
monotonic and without gaps, the software signer answering from the journal."""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from opentill.fiscal import canonical
from opentill.fiscal.devices import selectors
from opentill.fiscal.devices.models import DeviceTransaction, TillDevice
from opentill.fiscal.devices.services import till_device_daily_close, till_drain
from opentill.fiscal.models import FiscalKey, FiscalRecord
from opentill.orders.models import Order
from tests.integration.closing_helpers import start_till1
from tests.integration.device_helpers import (
    admin,
    assign,
    info,
    sell,
    simulator,
    verifies,
)
from tests.integration.fiscal_helpers import records, verify_till1

__all__ = ["simulator"]  # fixture


@pytest.fixture
def till1(shop: dict[str, Any]) -> Any:
    return shop["till1"]


def txs(status: str | None = None) -> list[DeviceTransaction]:
    qs = DeviceTransaction.objects.order_by("id")
    return list(qs if status is None else qs.filter(status=status))


def receipt(uuid: str) -> dict[str, Any]:
    status = selectors.order_device_status(Order.objects.get(uuid=uuid).pk)
    assert status is not None
    return status


def device_events() -> list[str]:
    return [canonical.loads(r.data)["event"] for r in records() if r.kind == "device"]


def test_the_simulator_signs_each_sale_once_and_its_signatures_verify(
    shop, api_as, till1, simulator
):
    device = assign(till1, driver="simulator", url=simulator.url)
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    uuids = sell(alice, sid, shop, 3)
    # Stored with the sale, in its transaction: pending, not tried yet.
    assert [t.status for t in txs()] == ["pending"] * 3
    assert receipt(uuids[0])["receipt_line"] == "Signature pending"

    assert till_drain(till1.pk) == 3
    signed = txs("signed")
    assert len(signed) == 3
    # A fresh device: transaction numbers and signature counter 1, 2, 3 — no gap, once each.
    assert [t.transaction_number for t in signed] == [1, 2, 3]
    assert [t.counter for t in signed] == [1, 2, 3]
    public = info(simulator.url)["public_key"]
    for tx, uuid in zip(signed, uuids, strict=True):
        assert str(tx.order.uuid) == uuid
        assert verifies(public, tx.signed_data, tx.signature)
        signed_data = json.loads(tx.signed_data)
        assert signed_data["tx_id"] == str(tx.uuid)
        assert signed_data["counter"] == tx.counter
        process = signed_data["process_data"]
        assert process["order"] == uuid and process["total"] == "2.20"
        assert process["record"] == tx.record.sequence
        assert process["record_sha256"] == sha256(tx.record.data.encode()).hexdigest()
        assert json.loads(tx.response)["signature"] == tx.signature  # as the device answered
        # One changed byte of what was signed fails the check.
        assert not verifies(public, tx.signed_data.replace("2.20", "2.30"), tx.signature)
    status = receipt(uuids[2])
    assert status["state"] == "signed" and status["receipt_line"] is None
    assert (status["counter"], status["serial"]) == (3, info(simulator.url)["serial"])
    # The till is registered on the device: recorded in its journal, which still verifies.
    till = TillDevice.objects.get(pk=till1.pk)
    assert till.registered_device_id == device.pk and till.serial == info(simulator.url)["serial"]
    assert device_events() == ["registered"]
    assert verify_till1().ok
    # Draining again signs nothing twice.
    assert till_drain(till1.pk) == 0
    assert admin(simulator)["signature_counter"] == 3


@override_settings(OPENTILL_DEVICE_RETRY_SECONDS=0)
def test_with_the_device_away_sales_go_on_jobs_wait_receipts_say_so_then_each_is_signed_once(
    shop, api_as, till1, simulator
):
    assign(till1, driver="simulator", url=simulator.url)
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    simulator.stop()  # down: its port refuses connections

    first = sell(alice, sid, shop, 2)  # the sales go on
    assert till_drain(till1.pk) == 0
    assert [t.status for t in txs()] == ["pending", "pending"]
    assert txs()[0].attempts == 1 and txs()[1].attempts == 0  # the drain stopped at the first
    till = TillDevice.objects.get(pk=till1.pk)
    assert till.outage_since is not None and till.failures == 1
    assert "Connection" in till.last_error or "refused" in till.last_error.lower()
    assert [receipt(u)["receipt_line"] for u in first] == ["Signature device unavailable"] * 2
    printed = alice.get(f"/orders/{first[0]}/receipt", format="text")
    assert printed.status_code == 200 and "Signature device unavailable" in printed.content.decode()
    assert device_events() == ["outage"]  # recorded once

    later = sell(alice, sid, shop, 1)  # still selling during the outage
    assert till_drain(till1.pk) == 0
    assert receipt(later[0])["receipt_line"] == "Signature device unavailable"
    assert device_events() == ["outage"]  # the outage goes on: no second record

    simulator.start()  # back, on the same port, the same device
    assert till_drain(till1.pk) == 3
    signed = txs("signed")
    assert [str(t.order.uuid) for t in signed] == first + later
    assert [t.counter for t in signed] == [1, 2, 3]
    assert all(receipt(u)["receipt_line"] is None for u in first + later)
    printed = alice.get(f"/orders/{first[0]}/receipt", format="text").content.decode()
    assert "Signature device unavailable" not in printed
    assert f"transaction {signed[0].transaction_number} · counter 1" in " ".join(printed.split())
    till.refresh_from_db()
    assert (till.outage_since, till.failures, till.retry_at) == (None, 0, None)
    assert device_events() == ["outage", "registered", "recovered"]
    recovered = canonical.loads([r for r in records() if r.kind == "device"][-1].data)
    assert recovered["failures"] == 2 and recovered["since"] < recovered["until"]

    # An outage the device itself announces (503): the same path.
    admin(simulator, outage=True)
    again = sell(alice, sid, shop, 1)
    assert till_drain(till1.pk) == 0
    assert receipt(again[0])["receipt_line"] == "Signature device unavailable"
    assert "503" in TillDevice.objects.get(pk=till1.pk).last_error
    admin(simulator, outage=False)
    assert till_drain(till1.pk) == 1
    assert [t.counter for t in txs("signed")] == [1, 2, 3, 4]
    assert device_events() == ["outage", "registered", "recovered", "outage", "recovered"]
    # The simulator signed each transaction exactly once.
    log = [json.loads(line) for line in simulator.device.export(None).decode().splitlines()]
    signed_ids = [e["tx_id"] for e in log if e["event"] == "signed"]
    assert sorted(signed_ids) == sorted(str(t.uuid) for t in txs())
    assert verify_till1().ok


def test_a_refusal_is_failed_and_documented_and_takes_no_counter(shop, api_as, till1, simulator):
    assign(till1, driver="simulator", url=simulator.url)
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    admin(simulator, refuse=1, refuse_reason="certificate expired")
    refused, kept = sell(alice, sid, shop, 2)
    assert till_drain(till1.pk) == 2
    assert [t.status for t in txs()] == ["failed", "signed"]
    failed = txs("failed")[0]
    assert "certificate expired" in failed.error and failed.signature == ""
    assert receipt(refused)["receipt_line"] == "Not signed: the signature device refused it"
    assert receipt(kept)["receipt_line"] is None
    assert txs("signed")[0].counter == 1  # the refusal consumed no counter
    documented = [canonical.loads(r.data) for r in records() if r.kind == "device"][-1]
    assert documented["event"] == "refused" and documented["order"] == refused
    assert "certificate expired" in documented["reason"]
    assert till_drain(till1.pk) == 0  # a failed transaction is not tried again
    assert verify_till1().ok


def test_the_software_signer_answers_from_the_till_journal(shop, api_as, till1):
    assign(till1, driver="software")
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    (uuid,) = sell(alice, sid, shop, 1)
    assert till_drain(till1.pk) == 1
    (tx,) = txs("signed")
    record = tx.record
    assert canonical.loads(record.data)["order"] == uuid
    assert (tx.counter, tx.transaction_number) == (record.sequence, record.sequence)
    assert tx.signature == record.signature and tx.device_serial == record.key_id
    assert tx.signed_data == record.data + "\n" + record.previous
    public = FiscalKey.objects.get(key_id=record.key_id).public_key
    assert tx.public_key == public and verifies(public, tx.signed_data, tx.signature)
    # Its daily close: the journal as it stood at the end of the day, recorded.
    day = timezone.localdate().isoformat()
    close = till_device_daily_close(profile=till1, day=day)
    last = FiscalRecord.objects.filter(profile=till1).order_by("-sequence")
    assert device_events() == ["registered", "daily_close"]
    assert close["counter"] == last[1].sequence  # the record before the close's own
    assert verify_till1().ok


def test_the_device_export_writes_what_the_device_returned(
    shop, api_as, till1, simulator, tmp_path
):
    from opentill.cli import main

    assign(till1, driver="simulator", url=simulator.url)
    alice = api_as("alice")
    sell(alice, start_till1(alice, shop)["id"], shop, 2)
    till_drain(till1.pk)
    out: Path = tmp_path / "device.log"
    assert main(["fiscal", "device-export", "--till", "TILL1", "-o", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["event"] for e in lines] == ["registered", "signed", "signed"]
    public = info(simulator.url)["public_key"]
    assert all(verifies(public, e["signed_data"], e["signature"]) for e in lines[1:])
    assert out.read_bytes() == simulator.device.export(lines[0]["client_id"])
    simulator.stop()
    assert main(["fiscal-device", "export", "--till", "TILL1", "-o", str(out)]) == 1


def test_the_api_shows_a_till_device_its_health_and_an_order_signature(
    shop, api_as, till1, simulator
):
    alice, manager = api_as("alice"), api_as("manager")
    assert manager.get(f"/profiles/{till1.pk}/fiscal/device").json()["device"] is None
    assign(till1, driver="simulator", url=simulator.url, name="TSE 1")
    (uuid,) = sell(alice, start_till1(alice, shop)["id"], shop, 1)
    view = manager.get(f"/profiles/{till1.pk}/fiscal/device").json()
    assert view["device"]["name"] == "TSE 1" and view["health"]["ok"] is True
    assert view["transactions"] == {"pending": 1, "signing": 0, "signed": 0, "failed": 0}
    assert [d["name"] for d in manager.get("/fiscal/devices").json()] == ["TSE 1"]
    assert alice.get(f"/profiles/{till1.pk}/fiscal/device").status_code == 403
    assert alice.get("/fiscal/devices").status_code == 403
    got = alice.get(f"/orders/{uuid}/fiscal-device")
    assert got.status_code == 200 and got.json()["receipt_line"] == "Signature pending"
    till_drain(till1.pk)
    got = alice.get(f"/orders/{uuid}/fiscal-device").json()
    assert got["state"] == "signed" and got["counter"] == 1
    assert verifies(got["public_key"], got["signed_data"], got["signature"])
    simulator.stop()
    view = manager.get(f"/profiles/{till1.pk}/fiscal/device").json()
    assert view["health"]["ok"] is False and view["registration"]["serial"] == got["serial"]
    assert alice.get("/orders/not-a-uuid/fiscal-device").json()["code"] == "not_found"


def test_a_manager_gives_a_till_its_device_in_the_back_office(shop, till1, simulator):
    from django.contrib.auth.models import User
    from django.test import Client

    from opentill.audit.models import AuditEvent
    from opentill.fiscal.devices.models import FiscalDevice

    manager = Client()
    manager.force_login(User.objects.get(username="manager"))
    added = manager.post(
        "/admin/fiscal/fiscaldevice/add/",
        {"name": "TSE front", "driver": "simulator", "url": simulator.url, "timeout_seconds": 3},
    )
    assert added.status_code == 302, added.content.decode()[-2000:]
    device = FiscalDevice.objects.get(name="TSE front")
    assert manager.get("/admin/fiscal/tilldevice/add/").status_code == 200
    chosen = manager.post(
        "/admin/fiscal/tilldevice/add/", {"profile": till1.pk, "device": device.pk}
    )
    assert chosen.status_code == 302, chosen.content.decode()[-2000:]
    assert TillDevice.objects.get(pk=till1.pk).device == device
    assert AuditEvent.objects.filter(detail="added").count() >= 2  # both changes audited
    assert manager.get("/admin/fiscal/tilldevice/").status_code == 200
    assert manager.get("/admin/fiscal/devicetransaction/").status_code == 200
    cashier = Client()
    cashier.force_login(User.objects.get(username="alice"))
    assert cashier.get("/admin/fiscal/tilldevice/add/").status_code in (302, 403)


def test_the_device_commands_ask_the_till_device(shop, api_as, till1, simulator, capsys):
    from opentill.cli import main

    assert main(["fiscal-device", "health", "--till", "TILL1"]) == 2  # no device yet
    assign(till1, driver="simulator", url=simulator.url)
    assert main(["fiscal-device", "health", "--till", "TILL1"]) == 0
    assert "answers" in capsys.readouterr().out
    day = timezone.localdate().isoformat()
    assert main(["fiscal-device", "close", "--till", "TILL1", "--day", day]) == 0
    assert "counter 1" in capsys.readouterr().out  # the device's first signature
    assert device_events() == ["registered", "daily_close"]
    simulator.stop()
    assert main(["fiscal-device", "health", "--till", "TILL1"]) == 1
    assert "does NOT answer" in capsys.readouterr().out
    assert main(["fiscal-device", "close", "--till", "TILL1", "--day", day]) == 1


def test_a_device_that_forgot_the_till_registers_it_again(shop, api_as, till1, simulator):
    assign(till1, driver="simulator", url=simulator.url)
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    sell(alice, sid, shop, 1)
    assert till_drain(till1.pk) == 1
    simulator.device.clients.clear()  # the device was reset: it knows no till
    sell(alice, sid, shop, 1)
    assert till_drain(till1.pk) == 1
    assert [t.counter for t in txs("signed")] == [1, 2]
    assert device_events() == ["registered", "registered"]
    assert verify_till1().ok


def test_a_signed_or_failed_transaction_is_kept_by_the_database(shop, api_as, till1, simulator):
    """Raw SQL cannot change or delete what the device answered (issue #13 item 9); a
    pending transaction is still the worker's to claim."""
    from django.db import IntegrityError, connection, transaction

    from opentill.common.protection import MARK

    assign(till1, driver="simulator", url=simulator.url)
    alice = api_as("alice")
    sid = start_till1(alice, shop)["id"]
    admin(simulator, refuse=1, refuse_reason="certificate expired")
    sell(alice, sid, shop, 3)
    assert till_drain(till1.pk) == 3
    failed, signed, _ = txs()
    assert (failed.status, signed.status) == ("failed", "signed")
    table = connection.ops.quote_name(DeviceTransaction._meta.db_table)
    for tx in (failed, signed):
        for sql in (
            f"UPDATE {table} SET signature = 'forged' WHERE id = %s",
            f"UPDATE {table} SET status = 'pending' WHERE id = %s",
            f"DELETE FROM {table} WHERE id = %s",
        ):
            with pytest.raises(IntegrityError, match=MARK), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [tx.pk])
    assert DeviceTransaction.objects.get(pk=signed.pk).signature == signed.signature
    sell(alice, sid, shop, 1)
    pending = txs("pending")[0]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET attempts = attempts + 1 WHERE id = %s", [pending.pk])
    assert DeviceTransaction.objects.get(pk=pending.pk).attempts == pending.attempts + 1
