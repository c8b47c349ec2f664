"""Print jobs: every report sent to a receipt printer, with its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PrintJob(models.Model):
    """One X/Z report sent (or being sent) to a profile's network printer.

    A failed print never undoes a close: the job records the error so that the back office
    and the API show it, and the report can be printed again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        CLOSE = "close", "Automatic, on close"
        MANUAL = "manual", "Print button"

    session = models.ForeignKey("pos.Session", on_delete=models.CASCADE, related_name="print_jobs")
    kind = models.CharField(max_length=1, help_text="X or Z")
    printer = models.CharField(max_length=300, help_text="host:port")
    width = models.PositiveSmallIntegerField(default=80, help_text="Paper width in mm")
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    bytes_sent = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["session", "-id"], name="printjob_session")]

    def __str__(self) -> str:
        return f"{self.kind} report of {self.session_id} to {self.printer}: {self.status}"
