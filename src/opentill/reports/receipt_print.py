"""A ticket's receipt sent to its till's receipt printer: a print job of the durable queue
(:mod:`opentill.reports.printing` runs it; :mod:`opentill.reports.receipt` renders it)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from opentill.orders.models import Order
from opentill.reports import printing
from opentill.reports.models import PrintJob
from opentill.reports.receipt import receipt_reprint


def receipt_print(*, order: Order, user: Any) -> Any:
    """Queue the ticket's receipt for its till's printer (the durable queue: retried while
    the printer is away, never lost). The first print of a ticket is its original receipt;
    every later one is a reprint (a ``reprint`` record, REPRINT on the paper)."""
    session = order.session
    profile = session.profile
    if not printing.printer_configured(profile):
        raise ValueError(f"The profile {profile.name!r} has no printer.")
    with transaction.atomic():
        # Two prints asked at once take turns: one of them is the reprint.
        Order.objects.select_for_update().filter(pk=order.pk).values_list("pk").first()
        again = PrintJob.objects.filter(order=order, kind="R").exists()
        if again:
            receipt_reprint(order=order, user=user, format="print")
        job = PrintJob.objects.create(
            session=session,
            order=order,
            kind="R",
            reprint=again,
            printer=f"{profile.printer_host.strip()}:{profile.printer_port}",
            width=profile.printer_width,
            trigger=PrintJob.Trigger.MANUAL,
            created_by=user if user is not None and user.is_authenticated else None,
            max_attempts=printing.print_attempts(),
            next_attempt_at=timezone.now(),
        )
        printing._enqueue(job.pk)
    return job
