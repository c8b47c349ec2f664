"""Helpers of the fiscal-device tests: a TSE simulator on loopback, a till assigned to it,
sales synced, the simulator's admin lever, and a signature checked with cryptography
alone."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.request import Request, urlopen

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from opentill.fiscal.devices.models import FiscalDevice
from opentill.fiscal.devices.services import till_device_assign
from opentill.fiscal.devices.simulator import Simulator
from opentill.pos.models import PosProfile
from tests.conftest import order
from tests.integration.helpers import sync


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator().start()
    yield sim
    sim.stop()


def admin(sim: Simulator, **settings: Any) -> dict[str, Any]:
    """The simulator's admin endpoint, over the network like a test harness would."""
    request = Request(
        sim.url + "/admin",
        data=json.dumps(settings).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def info(url: str) -> dict[str, Any]:
    with urlopen(url + "/info", timeout=5) as answer:
        return json.loads(answer.read())


def assign(profile: PosProfile, *, driver: str, url: str = "", name: str = "") -> FiscalDevice:
    device = FiscalDevice.objects.create(
        name=name or f"{driver} {FiscalDevice.objects.count() + 1}",
        driver=driver,
        url=url,
        timeout_seconds=2,
    )
    till_device_assign(profile=profile, device=device)
    return device


def sell(api: Any, session_id: int, shop: dict[str, Any], n: int = 1) -> list[str]:
    """``n`` paid tickets (an espresso, 2.20 cash each): their uuids."""
    orders = [order([(shop["espresso"].pk, "1")], [(shop["cash1"].pk, "2.20")]) for _ in range(n)]
    results = sync(api, session_id, *orders)
    assert [r["status"] for r in results] == ["created"] * n, results
    return [o["uuid"] for o in orders]


def verifies(public_pem: str, signed_data: str, signature: str) -> bool:
    """An Ed25519 signature over ``signed_data`` checked with the ``cryptography`` package."""
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    assert isinstance(key, Ed25519PublicKey)
    try:
        key.verify(base64.b64decode(signature), signed_data.encode("utf-8"))
    except Exception:
        return False
    return True
