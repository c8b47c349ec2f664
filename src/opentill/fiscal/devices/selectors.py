"""Reading the fiscal-device boundary: what a receipt says about its sale's signature, and
a till's device with its registration, outage, transactions and health."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from opentill.fiscal.devices.models import DeviceTransaction, FiscalDevice, TillDevice
from opentill.pos.models import PosProfile

#: What a receipt prints when its sale is not signed (yet): ``receipt_line`` below.
UNAVAILABLE = "Signature device unavailable"
PENDING = "Signature pending"
REFUSED = "Not signed: the signature device refused it"


def _at(value: Any) -> str | None:
    return value.isoformat() if value else None


def order_device_status(order_id: int) -> dict[str, Any] | None:
    """The order's signature on its till's device, for its receipt; ``None`` when its till
    has no device. ``state`` is ``pending``, ``signing``, ``signed`` or ``failed``;
    ``receipt_line`` is the line a receipt prints: ``None`` once signed, else
    "Signature device unavailable" (the device has not answered: the sale is kept and is
    signed once it answers), "Signature pending" (not tried yet) or "Not signed: the
    signature device refused it" (failed, documented in the journal)."""
    tx = (
        DeviceTransaction.objects.filter(order_id=order_id)
        .select_related("device")
        .order_by("-id")
        .first()
    )
    if tx is None:
        return None
    outage = (
        TillDevice.objects.filter(pk=tx.profile_id).values_list("outage_since", flat=True).first()
    )
    line: str | None
    if tx.status == DeviceTransaction.Status.SIGNED:
        line = None
    elif tx.status == DeviceTransaction.Status.FAILED:
        line = REFUSED
    elif outage is not None or tx.attempts > 0:
        line = UNAVAILABLE
    else:
        line = PENDING
    signed = tx.status == DeviceTransaction.Status.SIGNED
    return {
        "state": tx.status,
        "receipt_line": line,
        "device": tx.device.name,
        "driver": tx.device.driver,
        "transaction": str(tx.uuid),
        "serial": tx.device_serial if signed else None,
        "transaction_number": tx.transaction_number,
        "counter": tx.counter,
        "started": tx.started or None,
        "finished": tx.finished or None,
        "signature": tx.signature or None,
        "algorithm": tx.algorithm or None,
        "public_key": tx.public_key or None,
        "signed_data": tx.signed_data or None,
        "error": tx.error or None,
    }


def order_device_line(order_id: int) -> str | None:
    """The device's line on the order's receipt (``None``: its till has no device): the
    device's proof once signed (serial, transaction number, signature counter, time, the
    signature's start), else why not ("Signature device unavailable", …)."""
    status = order_device_status(order_id)
    if status is None:
        return None
    if status["receipt_line"] is not None:
        return str(status["receipt_line"])
    return (
        f"Device {str(status['serial'])[:16]} · transaction {status['transaction_number']} "
        f"· counter {status['counter']} · {status['finished']} "
        f"· signature {str(status['signature'])[:24]}…"
    )


def till_device_view(profile: PosProfile, *, with_health: bool = True) -> dict[str, Any]:
    """The till's device: which, its registration, its outage, its transactions per state
    and (``with_health``) the device's own answer now."""
    till = TillDevice.objects.select_related("device").filter(pk=profile.pk).first()
    counts = {status: 0 for status in DeviceTransaction.Status.values}
    for row in (
        DeviceTransaction.objects.filter(profile=profile)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["status"]] = row["n"]
    if till is None:
        return {"profile": profile.pk, "device": None, "transactions": counts, "health": None}
    health = None
    if with_health:
        from opentill.fiscal.devices.base import DeviceError
        from opentill.fiscal.devices.services import driver_for

        try:
            answer = driver_for(till.device, profile).health()
            health = {"ok": answer.ok, "serial": answer.serial, "detail": answer.detail}
        except DeviceError as exc:
            health = {"ok": False, "serial": "", "detail": str(exc)}
    return {
        "profile": profile.pk,
        "device": device_out(till.device),
        "registration": None
        if till.registered_at is None
        else {
            "client_id": till.client_id,
            "serial": till.serial,
            "algorithm": till.algorithm,
            "public_key": till.public_key,
            "registered_at": _at(till.registered_at),
        },
        "outage_since": _at(till.outage_since),
        "failures": till.failures,
        "retry_at": _at(till.retry_at),
        "last_error": till.last_error,
        "transactions": counts,
        "health": health,
    }


def device_out(device: FiscalDevice) -> dict[str, Any]:
    return {
        "id": device.pk,
        "name": device.name,
        "driver": device.driver,
        "url": device.url,
        "timeout_seconds": device.timeout_seconds,
    }
