"""``opentill report`` and ``opentill export``: a session's X/Z report to a file, and the
exports for accountants with a progress bar on standard error.

Wired into ``opentill.cli`` with :func:`add_commands` (builds the sub-commands, no Django
needed) and :func:`run` (returns ``None`` for a command that is not one of these).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from typing import IO, Any

COMMANDS = ("report", "export")
REPORT_FORMATS = ("pdf", "html", "json", "text", "escpos")
EXPORT_DATASETS = ("sessions", "orders", "payments", "taxes", "journal")
EXPORT_FORMATS = ("csv", "xlsx", "beancount")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_commands(subparsers: Any) -> None:
    """Add ``report`` and ``export`` to the ``opentill`` command's sub-parsers."""
    report = subparsers.add_parser(
        "report",
        help="write a session's X/Z report (PDF, HTML, JSON, text, ESC/POS)",
        description="Write the X report of an open session or the Z report of a closed one.",
    )
    report.add_argument("session", help="session id or name, e.g. 12 or TILL1/2026/0002")
    report.add_argument("--format", choices=REPORT_FORMATS, default="pdf")
    report.add_argument(
        "--paper",
        choices=("a4", "80", "58"),
        help="HTML and text: a4 (default), 80 or 58 mm; ESC/POS: 80 or 58 (default: the profile's)",
    )
    report.add_argument("-o", "--output", help="file to write; default or '-': standard output")

    export = subparsers.add_parser(
        "export",
        help="export sessions, orders, payments, taxes (VAT detail) or journal entries for accountants",
        description="Sessions (by creation time), orders and payments (by order time) or "
        "journal entries (by date) of a range of days, inclusive, as CSV, XLSX or beancount.",
    )
    export.add_argument("dataset", choices=EXPORT_DATASETS)
    export.add_argument("--from", dest="start", type=_date, required=True, help="YYYY-MM-DD")
    export.add_argument("--to", dest="end", type=_date, required=True, help="YYYY-MM-DD")
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, default="csv", help="beancount: journal only"
    )
    export.add_argument(
        "-o", "--output", help="file to write; default or '-': standard output (not for xlsx)"
    )
    export.add_argument("--quiet", action="store_true", help="no progress bar")


class ProgressBar:
    """``orders  [########------------]  40%  40000/100000`` on standard error: redrawn in
    place on a terminal, a line every 10 % otherwise (logs, CI)."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None) -> None:
        self.label = label
        self.total = max(total, 0)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last_tenth = -1

    def _bar(self, done: int) -> str:
        fraction = min(done / self.total, 1.0) if self.total else 1.0
        width = 30
        full = int(fraction * width)
        return (
            f"{self.label}  [{'#' * full}{'-' * (width - full)}] {int(fraction * 100):3d}%  "
            f"{done}/{self.total}"
        )

    def update(self, done: int) -> None:
        if self.tty:
            self.stream.write("\r" + self._bar(done))
            self.stream.flush()
            return
        tenth = int(done * 10 / self.total) if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self._bar(done) + "\n")
            self.stream.flush()

    def finish(self, done: int) -> None:
        self.update(done)
        if self.tty:
            self.stream.write("\n")
        seconds = time.monotonic() - self.started
        self.stream.write(f"{self.label}: {done} rows in {seconds:.1f} s\n")
        self.stream.flush()


def _setup() -> None:
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentill.settings")
        import django

        django.setup()


def _report(args: argparse.Namespace) -> int:
    from django.db.models import Q

    from opentill.pos.models import Session
    from opentill.reports.responses import render_report
    from opentill.reports.selectors import session_report

    key = str(args.session)
    lookup = Q(name=key) | Q(pk=int(key)) if key.isdigit() else Q(name=key)
    session = (
        Session.objects.select_related("profile__store__company", "user").filter(lookup).first()
    )
    if session is None:
        print(f"opentill: no session {key!r}", file=sys.stderr)
        return 2
    report = session_report(session=session)
    if args.format == "json":
        body: bytes | str = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        if args.format == "escpos" and args.paper == "a4":
            print("opentill: ESC/POS paper is 80 or 58 (mm)", file=sys.stderr)
            return 2
        body, _, _ = render_report(
            report,
            format=args.format,
            paper=args.paper,
            default_paper=session.profile.printer_width,
        )
    data = body.encode() if isinstance(body, str) else body
    if not args.output or args.output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with open(args.output, "wb") as out:
            out.write(data)
        print(f"{report['kind']} report {session.name} written to {args.output}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from opentill.reports import exports

    if args.format == "beancount" and args.dataset != "journal":
        print("opentill: the beancount format is for journal entries only", file=sys.stderr)
        return 2
    to_stdout = not args.output or args.output == "-"
    if args.format == "xlsx" and to_stdout:
        print("opentill: an XLSX export needs -o FILE", file=sys.stderr)
        return 2
    try:
        data = exports.dataset(args.dataset, args.start, args.end)
    except exports.ExportError as exc:
        print(f"opentill: {exc}", file=sys.stderr)
        return 2
    bar = None
    if not args.quiet:
        bar = ProgressBar(args.dataset, data.count())
    progress = bar.update if bar else None
    done = 0

    def counting(n: int) -> None:
        nonlocal done
        done = n
        if progress:
            progress(n)

    if args.format == "xlsx":
        exports.write_xlsx(data, args.output, progress=counting)
    elif to_stdout:
        exports.write_export(data, args.format, sys.stdout, progress=counting)
        sys.stdout.flush()
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            exports.write_export(data, args.format, out, progress=counting)
    if bar:
        bar.finish(done)
    return 0


def run(args: argparse.Namespace) -> int | None:
    """Run ``report`` or ``export``; ``None`` when ``args.command`` is another command."""
    command = getattr(args, "command", None)
    if command not in COMMANDS:
        return None
    _setup()
    if command == "report":
        return _report(args)
    return _export(args)
