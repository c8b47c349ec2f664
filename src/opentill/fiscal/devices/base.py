"""The fiscal-device boundary: one interface for certified hardware or a cloud signer (a
German TSE, an Italian RT, a Belgian FDM, an Austrian signature unit). Pure: no Django.

A driver registers a till on its device, starts, updates and finishes a transaction
(finishing returns the :class:`SignatureBundle`), makes the device's daily close, exports
the device's log and reports its health. Two failures are told apart, because OpenTill
treats them differently (:mod:`opentill.fiscal.devices.services`):

* :class:`DeviceUnavailable` — the device is away (no answer, a timeout, a 5xx): the
  transaction stays ``pending`` and is tried again later; the sale is never blocked;
* :class:`DeviceRefused` — the device answered no: the transaction is ``failed`` and the
  refusal documented in the till's journal.

Every call names the transaction by OpenTill's id (``tx_id``), so calling again after a
worker died mid-call returns what the device already did instead of signing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class DeviceError(Exception):
    """A device call that did not succeed."""


class DeviceUnavailable(DeviceError):
    """The device did not answer (down, unreachable, timed out, busy): try again later."""


class DeviceRefused(DeviceError):
    """The device answered and refused: trying again gives the same answer."""


class DeviceUnregistered(DeviceRefused):
    """The device does not know the till (it was reset or replaced): register it again."""


@dataclass(frozen=True)
class Registration:
    """What a device says when a till is registered on it."""

    client_id: str
    serial: str
    algorithm: str
    public_key: str  # PEM, or the certificate's id
    response: str = ""  # the device's answer as returned


@dataclass(frozen=True)
class Started:
    """A transaction the device opened (or already had: same ``tx_id``)."""

    tx_id: str
    number: int
    started: str  # the device's time, RFC 3339
    revision: int = 1
    response: str = ""


@dataclass(frozen=True)
class SignatureBundle:
    """What the device returns when it finishes a transaction: the proof a receipt prints."""

    tx_id: str
    number: int  # the device's transaction number
    counter: int  # the device's signature counter
    started: str  # the device's times, RFC 3339
    finished: str
    signature: str  # base64
    algorithm: str
    serial: str
    public_key: str  # PEM, or the certificate's id
    signed_data: str  # the exact text the signature covers (UTF-8)
    response: str = ""


@dataclass(frozen=True)
class DailyClose:
    """The device's signed close of a till's day."""

    day: str  # YYYY-MM-DD
    counter: int
    signature: str
    signed_data: str
    response: str = ""


@dataclass(frozen=True)
class Health:
    ok: bool
    serial: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Transaction:
    """What OpenTill asks a device to sign for one sale."""

    tx_id: str
    client_id: str
    kind: str  # ticket or refund
    process_data: dict[str, Any]  # the sale's key data: order, number, total, taxes, record


class FiscalDeviceDriver(Protocol):
    """The one interface every device driver implements (docs/fiscal.md says how to add
    one). Every method may raise :class:`DeviceUnavailable` or :class:`DeviceRefused`."""

    def register_till(self, client_id: str) -> Registration: ...

    def start_transaction(self, tx: Transaction) -> Started: ...

    def update_transaction(self, tx: Transaction) -> Started: ...

    def finish_transaction(self, tx: Transaction) -> SignatureBundle: ...

    def daily_close(self, client_id: str, day: str) -> DailyClose: ...

    def export_log(self, client_id: str) -> bytes: ...

    def health(self) -> Health: ...
