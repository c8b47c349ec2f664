"""The fiscal-device boundary over HTTP: a till's device (registration, outage,
transactions, health), the devices, and an order's signature for its receipt."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opentill.common.problems import Problem
from opentill.common.schemas import problems
from opentill.fiscal.devices.models import FiscalDevice
from opentill.fiscal.devices.selectors import device_out, order_device_status, till_device_view
from opentill.fiscal.selectors import profile_for_fiscal_read
from opentill.identity.roles import may_see_reports
from opentill.orders.models import Order
from opentill.pos.selectors import session_for_read

router = Router(tags=["fiscal"])


class DeviceOut(Schema):
    id: int
    name: str
    driver: str = Field(description="software or simulator")
    url: str
    timeout_seconds: int


class RegistrationOut(Schema):
    client_id: str
    serial: str
    algorithm: str
    public_key: str = Field(description="PEM, or the certificate's id")
    registered_at: str


class HealthOut(Schema):
    ok: bool
    serial: str
    detail: str


class TillDeviceOut(Schema):
    profile: int
    device: DeviceOut | None
    registration: RegistrationOut | None = None
    outage_since: str | None = Field(None, description="since when the device has not answered")
    failures: int = 0
    retry_at: str | None = None
    last_error: str = ""
    transactions: dict[str, int] = Field(description="device transactions per state")
    health: HealthOut | None = Field(description="the device's answer now (null: no device)")


class OrderSignatureOut(Schema):
    state: str = Field(description="pending, signing, signed or failed")
    receipt_line: str | None = Field(
        description="what the receipt prints: null once signed, else 'Signature device "
        "unavailable', 'Signature pending' or 'Not signed: the signature device refused it'"
    )
    device: str
    driver: str
    transaction: str = Field(description="the transaction's id on the device")
    serial: str | None
    transaction_number: int | None
    counter: int | None = Field(description="the device's signature counter")
    started: str | None
    finished: str | None
    signature: str | None
    algorithm: str | None
    public_key: str | None
    signed_data: str | None = Field(description="the exact text the signature covers")
    error: str | None


@router.get(
    "/profiles/{profile_id}/fiscal/device",
    response={200: TillDeviceOut, **problems(403, 404, 422)},
)
def fiscal_device(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    """The till's signing device: its registration, outage, transactions per state and
    health (asked of the device now, within its timeout)."""
    profile = profile_for_fiscal_read(profile_id, request.user)
    return till_device_view(profile)


@router.get("/fiscal/devices", response={200: list[DeviceOut], **problems(403)})
def fiscal_devices(request: HttpRequest) -> list[dict[str, Any]]:
    """The signing devices tills may use."""
    if not may_see_reports(request.user):
        raise Problem("forbidden", "The fiscal devices are for managers and accountants.")
    return [device_out(d) for d in FiscalDevice.objects.order_by("name")]


@router.get(
    "/orders/{order_uuid}/fiscal-device",
    response={200: OrderSignatureOut, **problems(403, 404, 422)},
)
def order_fiscal_device(request: HttpRequest, order_uuid: str) -> dict[str, Any]:
    """The order's signature on its till's device, with the line its receipt prints."""
    try:
        parsed = uuidlib.UUID(order_uuid)
    except ValueError:
        raise Problem("not_found", f"{order_uuid!r} is not an order uuid.") from None
    order = Order.objects.filter(uuid=parsed).only("pk", "session_id").first()
    if order is None:
        raise Problem("not_found", f"Order {order_uuid} does not exist.")
    session_for_read(order.session_id, request.user)
    status = order_device_status(order.pk)
    if status is None:
        raise Problem("not_found", f"Order {order_uuid}'s till has no signing device.")
    return status
