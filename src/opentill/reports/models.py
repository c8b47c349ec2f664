"""Print jobs: every report sent to a receipt printer, with its attempts and outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PrintJob(models.Model):
    """One X/Z report sent (or being sent) to a profile's network printer.

    A failed print never undoes a close: the job records the error so that the back office
    and the API show it, and the report can be printed again. The background worker runs it
    (see :mod:`opentill.reports.printing`): ``pending`` (waiting for its next attempt) →
    ``printing`` (claimed by one worker until ``lease_until``) → ``sent``, or back to
    ``pending`` with a later ``next_attempt_at`` after a failure, until ``max_attempts``
    have failed (``failed``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PRINTING = "printing", "Printing"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        CLOSE = "close", "Automatic, on close"
        MANUAL = "manual", "Print button"

    session = models.ForeignKey("pos.Session", on_delete=models.CASCADE, related_name="print_jobs")
    kind = models.CharField(max_length=1, help_text="X or Z report, R: a ticket's receipt")
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The ticket whose receipt is printed (kind R)",
    )
    reprint = models.BooleanField(
        default=False, help_text="The receipt was printed before: it says REPRINT"
    )
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
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts started so far")
    max_attempts = models.PositiveSmallIntegerField(default=1)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="Pending: when the next attempt is due"
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The attempt that holds the job: a token and how long it may hold it without renewing
    # (a worker that dies lets the lease run out; the job is then given to another worker).
    claim = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(
        max_length=64, blank=True, help_text="The background task of the current attempt"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["session", "-id"], name="printjob_session"),
            models.Index(fields=["status", "lease_until"], name="printjob_status_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} report of {self.session_id} to {self.printer}: {self.status}"
