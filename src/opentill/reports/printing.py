"""Printing reports on a profile's network receipt printer, on close and on demand.

A :class:`~opentill.reports.models.PrintJob` is the business record; the background worker
(``opentill worker``, started by ``opentill serve``) runs it through a django-tasks task
stored in the same database:

* The close records the job and enqueues :func:`print_job_task` in one transaction, after
  the close has committed (``transaction.on_commit``): a printer that is off, unreachable or
  slow never blocks or undoes a close, and a web server restart loses nothing.
* An attempt first *claims* the job with one conditional UPDATE (``pending`` and due →
  ``printing``, with a token and a lease), so two workers never both print it, and a job
  already ``sent`` is never printed again. While the attempt runs a heartbeat renews the
  lease; a worker killed mid-job stops renewing, and once the lease has run out
  :func:`print_jobs_recover` (run by every worker at start and periodically) gives the job
  back to the queue.
* A network failure is retried with growing delays (``OPENTILL_PRINT_RETRY_SECONDS`` × 2ⁿ)
  up to ``OPENTILL_PRINT_ATTEMPTS`` attempts, then the job is ``failed``; a printer target
  the server may not connect to (:mod:`opentill.pos.printer_target`) fails at once.

The only window left: a worker killed after the printer took the bytes but before the job
was marked ``sent`` prints the report again on recovery (twice, never lost).

The Print button (:func:`print_session`) runs one attempt in the request, bounded by the
print timeout, and answers ``sent`` or ``failed``: the person who pressed it is there.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from opentill.common.worker import LeaseHeartbeat
from opentill.common.worker import job_lease_seconds as lease_seconds
from opentill.pos.models import PosProfile, Session
from opentill.pos.printer_target import PrinterTargetError, printer_target_check
from opentill.reports.models import PrintJob
from opentill.reports.selectors import session_report

logger = logging.getLogger("opentill.reports.printing")


def _number(name: str, default: str) -> float:  # float ok: seconds or counts
    """A setting of ``opentill.config.settings`` (from the environment, see config/env.py)."""
    value = getattr(settings, name, None)
    return float(default if value is None else value)  # float ok: seconds or counts


def print_timeout() -> float:  # float ok: seconds
    """Seconds allowed to connect to the printer and for the write (default 5)."""
    return _number("OPENTILL_PRINT_TIMEOUT", "5")


def print_attempts() -> int:
    """Attempts for a print on close before the job is failed (default 5)."""
    return max(1, int(_number("OPENTILL_PRINT_ATTEMPTS", "5")))


def retry_delay(attempt: int) -> timedelta:
    """Wait after the ``attempt``-th failed attempt: base × 2^(attempt-1) (base 10 s)."""
    return timedelta(seconds=_number("OPENTILL_PRINT_RETRY_SECONDS", "10") * 2 ** (attempt - 1))


def printer_configured(profile: PosProfile) -> bool:
    return bool(profile.printer_host.strip())


def _job_create(
    session: Session, *, trigger: str, user: Any = None, max_attempts: int = 1
) -> PrintJob:
    profile = session.profile
    return PrintJob.objects.create(
        session=session,
        kind="Z" if session.state == Session.State.CLOSED else "X",
        printer=f"{profile.printer_host.strip()}:{profile.printer_port}",
        width=profile.printer_width,
        trigger=trigger,
        created_by=user if user is not None and user.is_authenticated else None,
        max_attempts=max_attempts,
        next_attempt_at=timezone.now(),
    )


def _enqueue(job_id: int, *, run_after: Any = None) -> None:
    """Queue an attempt of the job (call inside the transaction that made it due)."""
    queued = print_job_task.using(run_after=run_after) if run_after else print_job_task
    result = queued.enqueue(job_id)
    PrintJob.objects.filter(pk=job_id).update(task_id=str(result.id))


# --- one attempt ---------------------------------------------------------------------------


def job_claim(job_id: int) -> str | None:
    """Take the job for one attempt: a token, or None when it is not due (already sent,
    failed, held by another worker, or its next attempt is later)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = PrintJob.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=job_id,
        status=PrintJob.Status.PENDING,
        attempts__lt=F("max_attempts"),
    ).update(
        status=PrintJob.Status.PRINTING,
        claim=token,
        lease_until=now + timedelta(seconds=lease_seconds()),
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=None,
    )
    return token if claimed else None


def _send(job: PrintJob) -> int:
    from opentill.reports.render_escpos import render_escpos, send_to_printer

    host, _, port = job.printer.rpartition(":")
    target = printer_target_check(host, int(port))  # again: the profile may predate the rule
    if job.kind == "R":  # a ticket's receipt (reports/receipt.py)
        from opentill.reports.receipt import receipt_escpos

        data = receipt_escpos(job)
    else:
        report = session_report(session=job.session)
        data = render_escpos(report, paper=job.width)
    # To the address that was checked, not the name (which could resolve elsewhere now).
    return send_to_printer(target.addresses[0], target.port, data, timeout=print_timeout())


def _finish(job_id: int, token: str, **changes: Any) -> bool:
    return bool(
        PrintJob.objects.filter(pk=job_id, claim=token, status=PrintJob.Status.PRINTING).update(
            claim="", lease_until=None, **changes
        )
    )


def job_attempt(job_id: int) -> PrintJob:
    """Claim the job and make one attempt: ``sent``; or, after a network failure,
    ``pending`` with the next attempt queued, or ``failed`` when none is left. A job that is
    not due is left as it is. Never raises for a printer problem."""
    token = job_claim(job_id)
    if token is None:
        return PrintJob.objects.get(pk=job_id)
    job = PrintJob.objects.select_related("session__profile__store__company", "session__user").get(
        pk=job_id
    )
    error = ""
    retry = False
    sent = 0
    renew = PrintJob.objects.filter(pk=job_id, claim=token, status=PrintJob.Status.PRINTING)
    with LeaseHeartbeat(
        f"print job {job_id}",
        lambda: renew.update(lease_until=timezone.now() + timedelta(seconds=lease_seconds())),
    ):
        try:
            sent = _send(job)
        except PrinterTargetError as exc:
            error = f"Refused: {exc}"
        except OSError as exc:  # unreachable, refused, timed out: worth another attempt
            error = f"{type(exc).__name__}: {exc}".strip()
            retry = True
        except Exception as exc:  # a printer problem must never escape into the caller
            error = f"{type(exc).__name__}: {exc}".strip()
    now = timezone.now()
    if not error:
        done = _finish(
            job_id, token, status=PrintJob.Status.SENT, error="", bytes_sent=sent, finished_at=now
        )
    elif retry and job.attempts < job.max_attempts:
        with transaction.atomic():
            due = now + retry_delay(job.attempts)
            done = _finish(
                job_id,
                token,
                status=PrintJob.Status.PENDING,
                error=error[:2000],
                next_attempt_at=due,
            )
            if done:
                _enqueue(job_id, run_after=due)
    else:
        done = _finish(
            job_id, token, status=PrintJob.Status.FAILED, error=error[:2000], finished_at=now
        )
    if error:
        logger.warning("printing %s on %s failed: %s", job.session, job.printer, error)
    if not done:  # the lease ran out and another worker has the job now
        logger.warning("print job %s: lost its lease during attempt %s", job_id, job.attempts)
    return PrintJob.objects.get(pk=job_id)


@task()
def print_job_task(job_id: int) -> str:
    """The background task: one attempt of the print job; returns its status."""
    return job_attempt(job_id).status


# --- recovery -------------------------------------------------------------------------------


def print_jobs_recover() -> int:
    """Give back to the queue the jobs whose worker died: attempts whose lease has run out
    (another attempt if any is left, else ``failed``), and due jobs that no queued task
    will run. Returns how many jobs were recovered."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    recovered = 0
    stale = PrintJob.objects.filter(status=PrintJob.Status.PRINTING, lease_until__lt=now)
    for job in stale.only("pk", "claim", "attempts", "max_attempts", "task_id", "printer"):
        reason = (
            f"The worker stopped during attempt {job.attempts} (no news before its lease ran out)."
        )
        with transaction.atomic():
            if job.attempts < job.max_attempts:
                done = _finish(
                    job.pk,
                    job.claim,
                    status=PrintJob.Status.PENDING,
                    error=reason,
                    next_attempt_at=now,
                )
                if done:
                    _enqueue(job.pk)
            else:
                done = _finish(
                    job.pk, job.claim, status=PrintJob.Status.FAILED, error=reason, finished_at=now
                )
            if done and job.task_id:
                DBTaskResult.objects.filter(id=job.task_id, status="RUNNING").update(
                    status="FAILED",
                    finished_at=now,
                    exception_class_path="opentill.reports.printing.WorkerLost",
                    traceback=reason,
                )
        if done:
            recovered += 1
            logger.warning("print job %s on %s: %s", job.pk, job.printer, reason)
    # Due for a while, yet no task waiting or running for it (e.g. its task row was pruned).
    overdue = PrintJob.objects.filter(
        status=PrintJob.Status.PENDING,
        next_attempt_at__lt=now - timedelta(seconds=lease_seconds()),
    ).values_list("pk", "task_id")
    for job_id, task_id in overdue:
        live = (
            DBTaskResult.objects.filter(id=task_id, status__in=["READY", "RUNNING"]).exists()
            if task_id
            else False
        )
        if not live:
            with transaction.atomic():
                _enqueue(job_id)
            recovered += 1
    return recovered


# --- entry points ---------------------------------------------------------------------------


def print_on_close(session_id: int) -> PrintJob | None:
    """After a close is committed: queue its Z report for the profile's printer, if it has
    one. Returns the pending job (``None``: no printer)."""
    session = Session.objects.select_related("profile").filter(pk=session_id).first()
    if session is None or not printer_configured(session.profile):
        return None
    with transaction.atomic():
        job = _job_create(
            session,
            trigger=PrintJob.Trigger.CLOSE,
            user=session.closed_by,
            max_attempts=print_attempts(),
        )
        _enqueue(job.pk)
    return job


def print_on_session_closed(sender: Any, *, session_id: int, **kwargs: Any) -> None:
    """Receiver of ``pos.signals.session_closed`` (connected in ReportsConfig.ready)."""
    print_on_close(session_id)


def print_session(*, session: Session, user: Any) -> PrintJob:
    """The Print button: print the session's report (X or Z) on its profile's printer now,
    one attempt bounded by the print timeout; the answer is ``sent`` or ``failed``."""
    if not printer_configured(session.profile):
        raise ValueError(f"The profile {session.profile.name!r} has no printer.")
    with transaction.atomic():
        job = _job_create(session, trigger=PrintJob.Trigger.MANUAL, user=user)
        if session.state == Session.State.CLOSED:
            # The Z was printed at the close: printed again, it is a reprint record.
            from opentill.fiscal.events import reprint_record

            reprint_record(
                profile=session.profile,
                session=session,
                what="report",
                reference=f"Z {session.name}",
                medium="print",
                user=user,
            )
    return job_attempt(job.pk)


def print_job_out(job: PrintJob) -> dict[str, Any]:
    def at(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": job.pk,
        "session": job.session_id,
        "kind": job.kind,
        "printer": job.printer,
        "width": job.width,
        "trigger": job.trigger,
        "status": job.status,
        "error": job.error,
        "bytes_sent": job.bytes_sent,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "next_attempt_at": at(job.next_attempt_at) if job.status == "pending" else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": at(job.finished_at),
    }
