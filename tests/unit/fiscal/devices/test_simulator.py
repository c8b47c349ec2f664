"""The TSE simulator and the network driver that speaks to it, over loopback: signatures
that verify with the device's public key, a counter that moves once per signature, a
repeated call answered with what was done, refusals, outages, timeouts and a restart that
keeps the device (its key, serial and counters)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from opentill.fiscal.devices.base import DeviceRefused, DeviceUnavailable, Transaction
from opentill.fiscal.devices.network import NetworkDevice
from opentill.fiscal.devices.simulator import DeviceState, Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    s = Simulator().start()
    yield s
    s.stop()


def tx(n: int, total: str = "2.20", client: str = "till-1") -> Transaction:
    return Transaction(
        tx_id=f"00000000-0000-0000-0000-{n:012d}",
        client_id=client,
        kind="ticket",
        process_data={"order": f"order-{n}", "total": total},
    )


def verifies(pem: str, signed_data: str, signature: str) -> bool:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, Ed25519PublicKey)
    try:
        key.verify(base64.b64decode(signature), signed_data.encode())
    except Exception:
        return False
    return True


def test_signatures_verify_and_counters_move_once_per_signature(sim):
    device = NetworkDevice(sim.url, timeout=2)
    reg = device.register_till("till-1")
    raw = serialization.load_pem_public_key(reg.public_key.encode()).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert reg.serial == hashlib.sha256(raw).hexdigest()  # a TSE's serial: its key's hash
    assert reg.algorithm == "Ed25519"
    bundles = []
    for n in (1, 2, 3):
        started = device.start_transaction(tx(n))
        assert started.number == n
        bundles.append(device.finish_transaction(tx(n)))
    assert [b.counter for b in bundles] == [1, 2, 3]
    assert [b.number for b in bundles] == [1, 2, 3]
    for b in bundles:
        assert verifies(reg.public_key, b.signed_data, b.signature)
        signed = json.loads(b.signed_data)
        assert (signed["serial"], signed["counter"], signed["tx_id"]) == (
            reg.serial,
            b.counter,
            b.tx_id,
        )
        assert b.started <= b.finished
    # The answer lost on the way, asked again: the same signature, no new counter.
    again = device.finish_transaction(tx(2))
    assert (again.signature, again.counter) == (bundles[1].signature, 2)
    assert device.start_transaction(tx(4)).number == 4  # numbers go on without a gap
    assert device.finish_transaction(tx(4)).counter == 4


def test_update_raises_the_revision_and_a_finished_transaction_stays_as_signed(sim):
    device = NetworkDevice(sim.url, timeout=2)
    device.register_till("till-1")
    assert device.start_transaction(tx(1)).revision == 1
    assert device.update_transaction(tx(1, total="4.40")).revision == 2
    assert json.loads(device.finish_transaction(tx(1, total="4.40")).signed_data)[
        "process_data"
    ] == {"order": "order-1", "total": "4.40"}
    with pytest.raises(DeviceRefused, match="different_data"):
        device.finish_transaction(tx(1, total="9.99"))
    with pytest.raises(DeviceRefused, match="already_finished"):
        device.start_transaction(tx(1, total="9.99"))
    # Started again with its data (a worker that lost the answer): as it stands, signed.
    assert device.start_transaction(tx(1, total="4.40")).number == 1
    assert device.finish_transaction(tx(1, total="4.40")).counter == 1
    with pytest.raises(DeviceRefused, match="not_started"):
        device.finish_transaction(tx(2))
    with pytest.raises(DeviceRefused, match="unknown_client"):
        device.start_transaction(tx(3, client="nobody"))


def test_refusals_outages_and_timeouts_on_demand(sim):
    device = NetworkDevice(sim.url, timeout=1)
    device.register_till("till-1")
    sim.device.admin({"refuse": 1, "refuse_reason": "memory full"})
    device.start_transaction(tx(1))
    with pytest.raises(DeviceRefused, match="memory full"):
        device.finish_transaction(tx(1))
    assert device.finish_transaction(tx(1)).counter == 1  # only the next one was refused

    sim.device.admin({"outage": True})
    with pytest.raises(DeviceUnavailable, match="503"):
        device.start_transaction(tx(2))
    assert device.health().ok is False
    sim.device.admin({"outage": False})
    assert device.health().ok is True

    sim.device.admin({"delay": 5})
    device.start_transaction(tx(2))
    began = time.monotonic()
    with pytest.raises(DeviceUnavailable):
        device.finish_transaction(tx(2))
    assert time.monotonic() - began < 3  # the client's timeout, not the device's delay
    sim.device.admin({"delay": 0})
    # The device signed before its answer was lost: asked again, it gives that signature.
    assert device.finish_transaction(tx(2)).counter == 2

    sim.stop()
    with pytest.raises(DeviceUnavailable):
        device.start_transaction(tx(3))
    assert device.health().ok is False


def test_a_restarted_simulator_with_its_state_file_is_the_same_device(tmp_path: Path):
    state = tmp_path / "tse.json"
    first = Simulator(DeviceState(state)).start()
    device = NetworkDevice(first.url, timeout=2)
    serial = device.register_till("till-1").serial
    device.start_transaction(tx(1))
    device.finish_transaction(tx(1))
    first.stop()
    assert state.stat().st_mode & 0o777 == 0o600  # it holds the private key

    second = Simulator(DeviceState(state)).start()
    try:
        device = NetworkDevice(second.url, timeout=2)
        assert device.health().serial == serial
        device.start_transaction(tx(2))
        assert device.finish_transaction(tx(2)).counter == 2
        close = device.daily_close("till-1", "2026-11-21")
        assert close.counter == 3 and device.daily_close("till-1", "2026-11-21") == close
        log = [json.loads(line) for line in device.export_log("till-1").decode().splitlines()]
        assert [e["event"] for e in log] == ["registered", "signed", "signed", "daily_close"]
        pem = device.register_till("till-1").public_key
        assert all(verifies(pem, e["signed_data"], e["signature"]) for e in log[1:])
    finally:
        second.stop()


def test_a_device_address_must_be_http():
    with pytest.raises(DeviceRefused):
        NetworkDevice("file:///etc/passwd")
