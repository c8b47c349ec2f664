"""The fiscal journal: signed records per till, the public keys that verify them, and each
till's head (its last sequence and signature). Records and keys are append-only, refused
UPDATE, DELETE and TRUNCATE by the database (``common.protection.RULES``)."""

from __future__ import annotations

from django.db import models

from opentill.fiscal.totals import EMPTY_HEAD


class FiscalKey(models.Model):
    """A public key that signed records (the private key is a file, never in the database)."""

    key_id = models.CharField(
        max_length=16, unique=True, help_text="First 16 hex digits of sha256(raw public key)"
    )
    public_key = models.TextField(help_text="PEM (SubjectPublicKeyInfo)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.key_id


class FiscalRecord(models.Model):
    """One signed record of a till's journal: a ticket, a refund, a void, a Z or a technical
    event. ``data`` is the canonical text (``fiscal.canonical``) exactly as signed; it holds
    the record's sequence, kind, till, session, time and key id too, so every column but the
    row id is covered by the signature."""

    class Kind(models.TextChoices):
        TICKET = "ticket", "Ticket (sale)"
        REFUND = "refund", "Refund"
        VOID = "void", "Void of a pending ticket"
        Z = "z", "Z (session close)"
        FORCE_CLOSE = "force_close", "Force close"
        RESCUE = "rescue", "Orders stored in a rescue session"
        KEY_ROTATION = "key_rotation", "Key rotation"
        DAY_CLOSE = "day_close", "Daily close"
        MONTH_CLOSE = "month_close", "Monthly close"
        YEAR_CLOSE = "year_close", "Yearly close"
        ARCHIVE = "archive", "Archive of a closed period"
        TRAINING = "training", "Training ticket (not a sale)"
        REPRINT = "reprint", "Reprint of a receipt or report"
        APPROVAL = "approval", "Manager approval of a difference"
        SETTINGS = "settings", "Change of taxes, prices or fiscal settings"
        VERSION = "version", "Software version change"
        DEVICE = "device", "Fiscal device event"

    profile = models.ForeignKey("pos.PosProfile", on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField(help_text="1, 2, 3… per till, without gaps")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField()
    session = models.ForeignKey(
        "pos.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.TextField(help_text="Canonical JSON, exactly as signed")
    previous = models.CharField(
        max_length=100, blank=True, help_text="The previous record's signature (base64)"
    )
    signature = models.CharField(
        max_length=100, help_text="Ed25519 over data + newline + previous (base64)"
    )
    key_id = models.CharField(max_length=16)

    class Meta:
        ordering = ["profile", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "sequence"], name="fiscal_record_sequence_per_till"
            )
        ]
        indexes = [
            models.Index(fields=["profile", "session", "kind"], name="fiscal_record_session"),
            models.Index(fields=["profile", "created_at"], name="fiscal_record_time"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id}#{self.sequence} {self.kind}"


class FiscalHead(models.Model):
    """A till's last sequence and signature: the row an append locks (so two appends to one
    till take turns on SQLite and PostgreSQL alike), and the end the verifier checks the
    journal against (records removed from the end are found). The one fiscal row that
    changes, and only forward (``common.protection``). It keeps the till's grand totals
    running (``fiscal.totals.Running``), so a Z reads them in O(1); the verifier checks them
    against the records."""

    profile = models.OneToOneField(
        "pos.PosProfile", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField(default=0)
    signature = models.CharField(max_length=100, blank=True)
    totals = models.TextField(
        default=EMPTY_HEAD,
        help_text="Canonical JSON: the period totals of each session not closed by a Z yet "
        "and the perpetual totals of the last Z",
    )

    def __str__(self) -> str:
        return f"{self.profile_id} at {self.sequence}"


# The fiscal-device boundary's tables (issue #13 item 8) have a module of their own.
from opentill.fiscal.devices.models import (  # noqa: E402, F401
    DeviceTransaction,
    FiscalDevice,
    TillDevice,
)
