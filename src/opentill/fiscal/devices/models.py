"""The fiscal-device boundary's tables: the devices, which till uses which, and one device
transaction per sale with its state and the signature bundle the device returned.

Loaded with the fiscal app's models (``opentill.fiscal.models`` imports this module)."""

from __future__ import annotations

import uuid

from django.db import models


class FiscalDevice(models.Model):
    """A signing device: the software signer, the simulator, or (a driver added later) a
    certified TSE, RT, FDM or signature unit reached over the network."""

    class Driver(models.TextChoices):
        SOFTWARE = "software", "Software signer (the till's fiscal journal)"
        SIMULATOR = "simulator", "TSE simulator (network)"

    name = models.CharField(max_length=100, unique=True)
    driver = models.CharField(max_length=32, choices=Driver.choices)
    url = models.CharField(
        max_length=255,
        blank=True,
        help_text="Network devices: the device's address, e.g. http://127.0.0.1:8765",
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        default=5, help_text="Seconds to wait for the device's answer before the attempt fails"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(timeout_seconds__gte=1), name="fiscal_device_timeout_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.driver})"


class TillDevice(models.Model):
    """The device a till (POS profile) signs its sales with, what the device said when the
    till was registered on it, and the till's outage state (set by the worker)."""

    profile = models.OneToOneField(
        "pos.PosProfile", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    device = models.ForeignKey(FiscalDevice, on_delete=models.PROTECT, related_name="tills")
    assigned_at = models.DateTimeField(auto_now_add=True)
    # Registration: the device the till is registered on and what that device answered.
    registered_device = models.ForeignKey(
        FiscalDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True)
    serial = models.CharField(max_length=200, blank=True)
    algorithm = models.CharField(max_length=64, blank=True)
    public_key = models.TextField(blank=True, help_text="PEM, or the certificate's id")
    registered_at = models.DateTimeField(null=True, blank=True)
    # Outage: since when the device has not answered, consecutive failures, next try.
    outage_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "till's fiscal device"

    def __str__(self) -> str:
        return f"{self.profile_id} → {self.device_id}"


class DeviceTransaction(models.Model):
    """One sale (a ticket or refund record of the journal) to be signed by the till's
    device: ``pending`` → ``signing`` (claimed by one worker until ``lease_until``) →
    ``signed`` (with the device's bundle), or ``failed`` when the device refused it (the
    refusal is documented by a ``device`` record in the till's journal). A device that is
    away leaves it ``pending``: it is signed once the device answers again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SIGNING = "signing", "Signing"
        SIGNED = "signed", "Signed"
        FAILED = "failed", "Failed (documented)"

    uuid = models.UUIDField(
        default=uuid.uuid4, unique=True, help_text="The transaction's id on the device"
    )
    profile = models.ForeignKey("pos.PosProfile", on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(FiscalDevice, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(
        "fiscal.FiscalRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, help_text="ticket or refund")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The signature bundle, as the device returned it.
    signed_at = models.DateTimeField(null=True, blank=True, help_text="When OpenTill stored it")
    device_serial = models.CharField(max_length=200, blank=True)
    transaction_number = models.PositiveBigIntegerField(null=True, blank=True)
    counter = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The device's signature counter"
    )
    started = models.CharField(max_length=40, blank=True, help_text="Device time (RFC 3339)")
    finished = models.CharField(max_length=40, blank=True, help_text="Device time (RFC 3339)")
    signature = models.TextField(blank=True)
    algorithm = models.CharField(max_length=64, blank=True)
    public_key = models.TextField(blank=True, help_text="PEM, or the certificate's id")
    signed_data = models.TextField(blank=True, help_text="The exact text the device signed")
    response = models.TextField(blank=True, help_text="The device's answer, as returned")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "order"], name="device_tx_once_per_order"),
        ]
        indexes = [
            models.Index(fields=["profile", "status", "id"], name="device_tx_till_status"),
            models.Index(fields=["status", "lease_until"], name="device_tx_status_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id} on {self.device_id}: {self.status}"
