"""Signing each sale on the till's device through the durable job queue, so that a sale is
never blocked by a device that is away.

* The sync stores the ticket and, in the same database transaction (a receiver of
  ``orders.signals.orders_synced``, after the journal's), a ``pending``
  :class:`~.models.DeviceTransaction` per sale of a till that has a device, and enqueues
  :func:`device_drain_task` for the till.
* The worker drains the till's pending transactions in order: each is *claimed* (one
  conditional UPDATE: ``pending`` → ``signing`` with a token and a lease, renewed by a
  heartbeat while the device call runs), then started and finished on the device under
  OpenTill's transaction id (the device answers a repeated call with what it already did,
  so a worker killed mid-call never gets a sale signed twice), and stored ``signed`` with
  the device's bundle.
* A device that does not answer leaves the transaction ``pending``: the till's outage is
  recorded (a ``device`` record ``outage`` in its journal, once), the drain is tried again
  after ``OPENTILL_DEVICE_RETRY_SECONDS`` × 2ⁿ (at most ``OPENTILL_DEVICE_RETRY_MAX_SECONDS``)
  and, once the device answers, a ``recovered`` record ends the outage and every waiting
  transaction is signed.
* A device that refuses a transaction makes it ``failed`` and a ``refused`` record
  documents it in the till's journal.
* :func:`device_jobs_recover` (every worker, at start and every half lease) gives back the
  transactions whose worker died and drains tills nobody drains.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from hashlib import sha256
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from opentill.common.worker import LeaseHeartbeat
from opentill.common.worker import job_lease_seconds as lease_seconds
from opentill.fiscal import canonical
from opentill.fiscal.devices import facts
from opentill.fiscal.devices.base import (
    DeviceRefused,
    DeviceUnavailable,
    DeviceUnregistered,
    FiscalDeviceDriver,
    SignatureBundle,
    Transaction,
)
from opentill.fiscal.devices.models import DeviceTransaction, FiscalDevice, TillDevice
from opentill.fiscal.models import FiscalHead, FiscalRecord
from opentill.fiscal.services import till_journal
from opentill.fiscal.totals import SALE_KINDS
from opentill.money import currency_places
from opentill.orders.domain import SOLD_STATES, StoredOrder
from opentill.pos.models import PosProfile, Session

logger = logging.getLogger("opentill.fiscal.devices")

TASK_PATH = "opentill.fiscal.devices.services.device_drain_task"
Status = DeviceTransaction.Status


def _seconds(name: str, default: str) -> float:  # float ok: seconds
    value = getattr(settings, name, None)
    return float(default if value is None else value)  # float ok: seconds


def retry_delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th failed attempt in a row: base × 2^(n-1), capped."""
    base = _seconds("OPENTILL_DEVICE_RETRY_SECONDS", "10")
    cap = _seconds("OPENTILL_DEVICE_RETRY_MAX_SECONDS", "300")
    return timedelta(seconds=min(cap, base * 2 ** min(max(failures, 1) - 1, 30)))


def client_id_of(profile: PosProfile) -> str:
    """The till's id on its device."""
    return f"opentill-{profile.pk}"


def driver_for(device: FiscalDevice, profile: PosProfile) -> FiscalDeviceDriver:
    """The driver of ``device`` speaking for ``profile``."""
    if device.driver == FiscalDevice.Driver.SOFTWARE:
        from opentill.fiscal.devices.software import SoftwareSigner

        return SoftwareSigner(profile)
    if device.driver == FiscalDevice.Driver.SIMULATOR:
        from opentill.fiscal.devices.network import NetworkDevice

        return NetworkDevice(device.url, timeout=device.timeout_seconds)
    raise DeviceRefused(f"no driver {device.driver!r}")


# --- enqueued by the sync ---------------------------------------------------------------------


def _enqueue(profile_id: int, *, run_after: Any = None) -> None:
    queued = device_drain_task.using(run_after=run_after) if run_after else device_drain_task
    queued.enqueue(profile_id)


def on_orders_synced(
    sender: Any, *, orders: Sequence[StoredOrder], session: Session, **kwargs: Any
) -> None:
    """In the sync's transaction, after the journal wrote its records: a pending device
    transaction per sale of a till that has a device, and a drain of the till queued."""
    sold = [o for o in orders if o.state in SOLD_STATES and o.pk is not None]
    if not sold or getattr(session, "training", False):  # a training ticket is not a sale
        return
    device_id = (
        TillDevice.objects.filter(profile_id=session.profile_id)
        .values_list("device_id", flat=True)
        .first()
    )
    if device_id is None:
        return
    # The sale records this sync just wrote: the last ones of the till's journal (its head is
    # locked until commit), read by sequence from the head back (a window the size of the
    # batch, with room for the other records a sync may write), never the whole session.
    head = FiscalHead.objects.filter(pk=session.profile_id).values_list("sequence", flat=True)
    last = head.first() or 0
    sales = FiscalRecord.objects.filter(profile_id=session.profile_id, kind__in=SALE_KINDS)
    window = sales.filter(sequence__gt=max(0, last - 2 * len(sold) - 16))
    records = {
        json.loads(data)["order"]: (pk, kind)
        for pk, kind, data in window.values_list("pk", "kind", "data")
    }
    rows = []
    for order in sold:
        assert order.pk is not None
        record_id, kind = records.get(
            str(order.uuid), (None, "refund" if order.total < 0 else "ticket")
        )
        rows.append(
            DeviceTransaction(
                profile_id=session.profile_id,
                device_id=device_id,
                order_id=order.pk,
                record_id=record_id,
                kind=kind,
            )
        )
    DeviceTransaction.objects.bulk_create(rows)
    _enqueue(session.profile_id)


# --- one attempt ------------------------------------------------------------------------------


def tx_claim(tx_id: int, task_id: str = "") -> str | None:
    """Take a pending transaction for one attempt: a token (naming the drain task that
    holds it, so recovery can mark that task failed), or ``None`` when it is not pending
    (signed, failed, or held by another worker)."""
    token = f"{uuid.uuid4().hex[:16]}:{task_id.replace('-', '')[:40]}"
    now = timezone.now()
    from django.db.models import F

    claimed = DeviceTransaction.objects.filter(pk=tx_id, status=Status.PENDING).update(
        status=Status.SIGNING,
        claim=token,
        lease_until=now + timedelta(seconds=lease_seconds()),
        attempts=F("attempts") + 1,
        last_attempt_at=now,
    )
    return token if claimed else None


def process_data(tx: DeviceTransaction) -> dict[str, Any]:
    """What the device signs for a sale: the till, the order and its number, the total and
    the taxes per rate (real: sales and refunds together), and the journal record it
    binds to (its sequence and the SHA-256 of its data)."""
    record = tx.record
    if record is None:
        raise DeviceRefused("the sale has no record in the till's journal")
    data = canonical.loads(record.data)
    places = currency_places(data["currency"])
    taxes = []
    for t in data.get("taxes", []):
        base = Decimal(t["sales"]["base"]) + Decimal(t["refunds"]["base"])
        tax = Decimal(t["sales"]["tax"]) + Decimal(t["refunds"]["tax"])
        taxes.append(
            {
                "name": t["name"],
                "rate": t["rate"],
                "base": canonical.amount(base, places),
                "tax": canonical.amount(tax, places),
            }
        )
    return {
        "till": data["till_code"],
        "order": data["order"],
        "number": data.get("number"),
        "kind": record.kind,
        "total": data["total"],
        "currency": data["currency"],
        "taxes": taxes,
        "payments": [{"method": p["method"], "amount": p["amount"]} for p in data["payments"]],
        "record": record.sequence,
        "record_sha256": sha256(record.data.encode("utf-8")).hexdigest(),
    }


def _finish(tx_id: int, token: str, **changes: Any) -> bool:
    return bool(
        DeviceTransaction.objects.filter(pk=tx_id, claim=token, status=Status.SIGNING).update(
            claim="", lease_until=None, **changes
        )
    )


def _device_record(
    profile: PosProfile, event: str, device: FiscalDevice, session_id: int | None, **fields: Any
) -> None:
    with till_journal(profile) as journal:
        journal.append(
            "device",
            session_id,
            facts.body(event, device=device.name, driver=device.driver, **fields),
        )


def _answered(profile: PosProfile, till: TillDevice, device: FiscalDevice) -> None:
    """The device answered: end the till's outage, if one is open (inside a transaction,
    the till's device row locked)."""
    if till.outage_since is None:
        return
    now = timezone.now()
    _device_record(
        profile,
        "recovered",
        device,
        None,
        serial=till.serial,
        since=canonical.time(till.outage_since),
        until=canonical.time(now),
        failures=till.failures,
        error=till.last_error,
    )
    till.outage_since, till.failures, till.retry_at, till.last_error = None, 0, None, ""
    till.save(update_fields=["outage_since", "failures", "retry_at", "last_error"])


def _register(
    profile: PosProfile, device: FiscalDevice, driver: FiscalDeviceDriver, *, again: bool = False
) -> TillDevice:
    """Register the till on ``device`` when it is not yet (``again``: the device forgot it):
    store what the device said and a ``registered`` record."""
    registration = driver.register_till(client_id_of(profile))
    with transaction.atomic():
        till = TillDevice.objects.select_for_update().get(pk=profile.pk)
        if again or till.registered_device_id != device.pk:
            till.registered_device = device
            till.client_id = registration.client_id
            till.serial = registration.serial
            till.algorithm = registration.algorithm
            till.public_key = registration.public_key
            till.registered_at = timezone.now()
            till.save()
            _device_record(
                profile,
                "registered",
                device,
                None,
                serial=registration.serial,
                algorithm=registration.algorithm,
                public_key=registration.public_key,
                client_id=registration.client_id,
            )
    return till


def _bundle_fields(bundle: SignatureBundle) -> dict[str, Any]:
    return {
        "device_serial": bundle.serial,
        "transaction_number": bundle.number,
        "counter": bundle.counter,
        "started": bundle.started,
        "finished": bundle.finished,
        "signature": bundle.signature,
        "algorithm": bundle.algorithm,
        "public_key": bundle.public_key,
        "signed_data": bundle.signed_data,
        "response": bundle.response,
    }


def tx_attempt(tx_id: int, token: str) -> str:
    """One attempt of a claimed transaction: ``signed``, ``failed`` (refused, documented) or
    ``pending`` (the device is away: tried again later). Never raises for a device problem."""
    tx = DeviceTransaction.objects.select_related(
        "device", "record", "profile__store__company"
    ).get(pk=tx_id)
    profile, device = tx.profile, tx.device
    bundle: SignatureBundle | None = None
    refused = unavailable = ""
    renew = DeviceTransaction.objects.filter(pk=tx_id, claim=token, status=Status.SIGNING)
    with LeaseHeartbeat(
        f"device transaction {tx_id}",
        lambda: renew.update(lease_until=timezone.now() + timedelta(seconds=lease_seconds())),
    ):
        try:
            driver = driver_for(device, profile)
            till = TillDevice.objects.get(pk=profile.pk)
            if till.registered_device_id != device.pk:
                till = _register(profile, device, driver)
            request = Transaction(
                tx_id=str(tx.uuid),
                client_id=till.client_id or client_id_of(profile),
                kind=tx.kind,
                process_data=process_data(tx),
            )
            try:
                driver.start_transaction(request)
            except DeviceUnregistered:  # the device was reset: register the till again
                till = _register(profile, device, driver, again=True)
                driver.start_transaction(request)
            bundle = driver.finish_transaction(request)
        except DeviceRefused as exc:
            refused = str(exc) or type(exc).__name__
        except DeviceUnavailable as exc:
            unavailable = str(exc) or type(exc).__name__
        except Exception as exc:  # a driver's bug must not stop the queue: tried again later
            logger.exception("device transaction %s: the driver failed", tx_id)
            unavailable = f"{type(exc).__name__}: {exc}".strip()
    now = timezone.now()
    with transaction.atomic():
        till = TillDevice.objects.select_for_update().get(pk=profile.pk)
        if bundle is not None:
            done = _finish(
                tx_id,
                token,
                status=Status.SIGNED,
                error="",
                signed_at=now,
                **_bundle_fields(bundle),
            )
            if done:
                _answered(profile, till, device)
            outcome = Status.SIGNED
        elif refused:
            done = _finish(tx_id, token, status=Status.FAILED, error=refused[:2000])
            if done:
                _answered(profile, till, device)
                order = canonical.loads(tx.record.data) if tx.record else {}
                _device_record(
                    profile,
                    "refused",
                    device,
                    tx.record.session_id if tx.record else None,
                    serial=till.serial,
                    order=str(order.get("order", "")),
                    number=order.get("number"),
                    reason=refused[:500],
                )
            outcome = Status.FAILED
        else:
            done = _finish(tx_id, token, status=Status.PENDING, error=unavailable[:2000])
            if done:
                till.failures += 1
                till.retry_at = now + retry_delay(till.failures)
                till.last_error = unavailable[:2000]
                if till.outage_since is None:
                    till.outage_since = now
                    order = canonical.loads(tx.record.data) if tx.record else {}
                    _device_record(
                        profile,
                        "outage",
                        device,
                        None,
                        serial=till.serial,
                        since=canonical.time(now),
                        error=unavailable[:500],
                        order=str(order.get("order", "")),
                    )
                till.save(update_fields=["failures", "retry_at", "last_error", "outage_since"])
                _enqueue(profile.pk, run_after=till.retry_at)
            outcome = Status.PENDING
    if not done:
        logger.warning("device transaction %s: lost its lease during its attempt", tx_id)
    elif unavailable:
        logger.warning("device %s for %s is unavailable: %s", device, profile, unavailable)
    return outcome


def till_drain(profile_id: int, *, task_id: str = "") -> int:
    """Sign the till's pending transactions in order until none is left or the device is
    away (then a later drain is queued). Returns how many were signed or failed."""
    handled = 0
    last_id = 0
    while True:
        till = TillDevice.objects.filter(pk=profile_id).first()
        if till is None:
            return handled
        if till.retry_at is not None and till.retry_at > timezone.now():
            return handled  # the device is away: the drain queued for retry_at tries again
        tx_id = (
            DeviceTransaction.objects.filter(
                profile_id=profile_id, status=Status.PENDING, pk__gt=last_id
            )
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if tx_id is None:
            return handled
        last_id = tx_id
        token = tx_claim(tx_id, task_id)
        if token is None:
            continue  # another worker took it
        outcome = tx_attempt(tx_id, token)
        if outcome == Status.PENDING:
            return handled
        handled += 1


@task(takes_context=True)
def device_drain_task(context: TaskContext, profile_id: int) -> int:
    """The background task: drain the till's pending device transactions."""
    return till_drain(profile_id, task_id=str(context.task_result.id))


# --- recovery ---------------------------------------------------------------------------------


def _waiting(profile_ids: set[int]) -> set[int]:
    """The tills among ``profile_ids`` with a drain task waiting to run (a running one may
    belong to a dead worker: one more drain is harmless, the claims keep it exact)."""
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").values_list(
        "args_kwargs", flat=True
    )
    return {a["args"][0] for a in ready if a.get("args") and a["args"][0] in profile_ids}


def _task_lost(token: str, reason: str) -> None:
    """Mark the drain task named by a claim's token failed: its worker died."""
    from django_tasks_db.models import DBTaskResult

    task_hex = token.partition(":")[2]
    try:
        task_id = uuid.UUID(task_hex)
    except ValueError:
        return
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="opentill.fiscal.devices.services.WorkerLost",
        traceback=reason,
    )


def device_jobs_recover() -> int:
    """Give back the transactions whose worker died (lease run out) and queue a drain for
    every till with due pending transactions that no task will drain. Returns how many
    transactions were given back plus tills queued."""
    now = timezone.now()
    recovered = 0
    stale = DeviceTransaction.objects.filter(status=Status.SIGNING, lease_until__lt=now)
    for tx_id, token, attempts in stale.values_list("pk", "claim", "attempts"):
        reason = f"The worker stopped during attempt {attempts} (no news before its lease ran out)."
        with transaction.atomic():
            done = _finish(tx_id, token, status=Status.PENDING, error=reason)
            if done:
                _task_lost(token, reason)
        if done:
            recovered += 1
            logger.warning("device transaction %s: %s", tx_id, reason)
    waiting = set(
        DeviceTransaction.objects.filter(status=Status.PENDING)
        .values_list("profile_id", flat=True)
        .distinct()
    )
    if waiting:
        due = set(
            TillDevice.objects.filter(pk__in=waiting)
            .exclude(retry_at__gt=now - timedelta(seconds=lease_seconds()))
            .values_list("pk", flat=True)
        )
        for profile_id in sorted(due - _waiting(due)):
            _enqueue(profile_id)
            recovered += 1
    return recovered


# --- assignment, close, export ----------------------------------------------------------------


def till_device_assign(*, profile: PosProfile, device: FiscalDevice | None) -> TillDevice | None:
    """Make ``device`` the till's signing device (``None``: none). The till is registered on
    it by the next attempt; pending transactions keep the device they were made for."""
    with transaction.atomic():
        if device is None:
            TillDevice.objects.filter(pk=profile.pk).delete()
            return None
        till, _ = TillDevice.objects.update_or_create(profile=profile, defaults={"device": device})
        return till


def till_device_daily_close(*, profile: PosProfile, day: str) -> dict[str, Any]:
    """The device's close of the till's ``day``, recorded as a ``daily_close`` record.
    Raises :class:`DeviceUnavailable` or :class:`DeviceRefused`."""
    till = TillDevice.objects.select_related("device").get(pk=profile.pk)
    driver = driver_for(till.device, profile)
    if till.registered_device_id != till.device_id:
        till = _register(profile, till.device, driver)
    close = driver.daily_close(till.client_id or client_id_of(profile), day)
    with transaction.atomic():
        _device_record(
            profile,
            "daily_close",
            till.device,
            None,
            serial=till.serial,
            day=close.day,
            counter=close.counter,
            signature=close.signature,
            signed_data=close.signed_data,
        )
    return {"day": close.day, "counter": close.counter, "signature": close.signature}


def till_device_export(*, profile: PosProfile) -> bytes:
    """The device's log for the till, exactly as the device returned it."""
    till = TillDevice.objects.select_related("device").get(pk=profile.pk)
    driver = driver_for(till.device, profile)
    return driver.export_log(till.client_id or client_id_of(profile))
