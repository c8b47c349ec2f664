"""Printing reports on a profile's network receipt printer, on close and on demand.

The close schedules :func:`print_on_close` with ``transaction.on_commit``: once the close is
committed, a :class:`~opentill.reports.models.PrintJob` is recorded and a background thread
renders the Z report as ESC/POS and sends it (raw TCP, port 9100) with a short timeout. A
printer that is off, unreachable or slow therefore never blocks or undoes a close; the job
records the failure, which the back-office session page and
``GET /api/v1/sessions/{id}/print-jobs`` show, and the report can be printed again.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from opentill.pos.models import PosProfile, Session
from opentill.reports.models import PrintJob
from opentill.reports.selectors import session_report

logger = logging.getLogger("opentill.reports.printing")

_threads: set[threading.Thread] = set()
_lock = threading.Lock()


def print_timeout() -> float:  # float ok: seconds
    """Seconds allowed to connect to the printer and for each write (default 5)."""
    value = getattr(settings, "OPENTILL_PRINT_TIMEOUT", None)
    if value is None:
        value = os.environ.get("OPENTILL_PRINT_TIMEOUT", "5")
    return float(value)  # float ok: seconds


def printer_configured(profile: PosProfile) -> bool:
    return bool(profile.printer_host.strip())


def _job_create(session: Session, *, trigger: str, user: Any = None) -> PrintJob:
    profile = session.profile
    return PrintJob.objects.create(
        session=session,
        kind="Z" if session.state == Session.State.CLOSED else "X",
        printer=f"{profile.printer_host.strip()}:{profile.printer_port}",
        width=profile.printer_width,
        trigger=trigger,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def run_job(job_id: int) -> PrintJob:
    """Render the job's report and send it; record ``sent`` or ``failed`` (never raises)."""
    job = PrintJob.objects.select_related("session__profile__store__company", "session__user").get(
        pk=job_id
    )
    try:
        from opentill.reports.render_escpos import render_escpos, send_to_printer

        report = session_report(session=job.session)
        data = render_escpos(report, paper=job.width)
        host, _, port = job.printer.rpartition(":")
        job.bytes_sent = send_to_printer(host, int(port), data, timeout=print_timeout())
        job.status = PrintJob.Status.SENT
        job.error = ""
    except Exception as exc:  # a printer problem must never escape into the caller
        job.status = PrintJob.Status.FAILED
        job.error = f"{type(exc).__name__}: {exc}".strip()[:2000]
        logger.warning("printing %s on %s failed: %s", job.session, job.printer, job.error)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "bytes_sent", "finished_at"])
    return job


def _run_in_thread(job_id: int) -> None:
    try:
        run_job(job_id)
    except Exception:  # pragma: no cover - the database itself failed
        logger.exception("print job %s could not be recorded", job_id)
    finally:
        connection.close()
        with _lock:
            _threads.discard(threading.current_thread())


def start_job(job: PrintJob) -> threading.Thread:
    """Run the job in a background (daemon) thread."""
    thread = threading.Thread(
        target=_run_in_thread, args=(job.pk,), name=f"opentill-print-{job.pk}", daemon=True
    )
    with _lock:
        _threads.add(thread)
    thread.start()
    return thread


def print_on_close(session_id: int) -> PrintJob | None:
    """After a close is committed: print its Z report on the profile's printer, if it has
    one, in the background. Returns the pending job (``None``: no printer)."""
    session = Session.objects.select_related("profile").filter(pk=session_id).first()
    if session is None or not printer_configured(session.profile):
        return None
    job = _job_create(session, trigger=PrintJob.Trigger.CLOSE, user=session.closed_by)
    start_job(job)
    return job


def print_session(*, session: Session, user: Any, background: bool = False) -> PrintJob:
    """The Print button: print the session's report (X or Z) on its profile's printer.
    Runs in the caller's thread unless ``background`` (bounded by the print timeout)."""
    if not printer_configured(session.profile):
        raise ValueError(f"The profile {session.profile.name!r} has no printer.")
    job = _job_create(session, trigger=PrintJob.Trigger.MANUAL, user=user)
    if background:
        start_job(job)
        return job
    return run_job(job.pk)


def wait_for_print_jobs(timeout: float = 30.0) -> bool:  # float ok: seconds
    """Wait for the background print threads (tests, command-line tools). True when all
    have finished."""
    with _lock:
        threads = list(_threads)
    deadline = timezone.now().timestamp() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - timezone.now().timestamp()))
    with _lock:
        return not any(t.is_alive() for t in _threads)


def print_job_out(job: PrintJob) -> dict[str, Any]:
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
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
