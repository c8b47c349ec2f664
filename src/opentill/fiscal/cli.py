"""``opentill fiscal``: verify the fiscal journal, print the public keys, rotate the key.

Wired into ``opentill.cli`` with :func:`add_commands` (no Django needed) and :func:`run`
(``None`` for a command that is not this one).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

COMMAND = "fiscal"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_commands(subparsers: Any) -> None:
    fiscal = subparsers.add_parser(
        "fiscal",
        help="verify the fiscal journal, print its public keys, rotate its key",
        description="The signed journal of each till (docs/fiscal.md).",
    )
    sub = fiscal.add_subparsers(dest="fiscal_command", required=True)
    from opentill.fiscal.devices.cli import add_export_arguments

    add_export_arguments(
        sub.add_parser("device-export", help="write a till's signing-device log, as returned")
    )
    verify = sub.add_parser(
        "verify",
        help="check every signature, the chain, the sequence and the grand totals",
        description="Verify each till's journal (or one till's) and name the first record "
        "that fails and why. Exit status 1 when a journal is broken.",
    )
    verify.add_argument("--till", help="the till's code, e.g. TILL1 (default: every till)")
    verify.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD")
    verify.add_argument("--to", dest="end", type=_date, help="last day (inclusive), YYYY-MM-DD")
    close = sub.add_parser(
        "close",
        help="close a day, a month or a year of a till (or every period that is due)",
        description="Write the period close of a till: a signed record with the period's "
        "totals and the till's perpetual totals (docs/fiscal.md). A period closed before is "
        "left as it is. --due closes every period of every till that has ended, as the "
        "worker does.",
    )
    close.add_argument("--till", help="the till's code, e.g. TILL1")
    which = close.add_mutually_exclusive_group(required=True)
    which.add_argument("--day", help="YYYY-MM-DD")
    which.add_argument("--month", help="YYYY-MM")
    which.add_argument("--year", help="YYYY")
    which.add_argument("--due", action="store_true", help="every period that is due")
    archive = sub.add_parser(
        "archive",
        help="write the signed archive (ZIP) of a closed period of a till",
        description="A ZIP of the period's records, Z reports, grand totals, event log and "
        "public keys, with a manifest of their SHA-256 signed with Ed25519 (docs/fiscal.md). "
        "Making it is recorded in the till's journal.",
    )
    archive.add_argument("--till", required=True, help="the till's code, e.g. TILL1")
    archive.add_argument(
        "--period", required=True, help="a closed day, month or year: 2026-11-30, 2026-11, 2026"
    )
    archive.add_argument("--output", "-o", help="the file to write (default: its own name)")
    german = sub.add_parser(
        "dsfinvk",
        help="write the DSFinV-K export (Germany) of a till's period: CSV files and index.xml",
        description="One cash-point closing per Z dated in the period (docs/fiscal.md).",
    )
    german.add_argument("--till", required=True, help="the till's code, e.g. TILL1")
    german.add_argument("--period", required=True, help="a day, month or year: 2026-11")
    german.add_argument("--output", "-o", help="the file to write (default: its own name)")
    store = sub.add_parser(
        "store-report",
        help="a store's figures for a period: the sum of its tills' period closes",
        description="Prints JSON: each till's close (sequence, signature, totals), the tills "
        "whose period is not closed yet, and the sums (docs/fiscal.md, 'The store').",
    )
    store.add_argument("--store", required=True, type=int, help="the store's id")
    store.add_argument("--period", required=True, help="a day, month or year: 2026-11")
    checked = sub.add_parser(
        "verify-archive",
        help="verify an archive on its own: manifest signature, hashes, records, totals",
        description="Exit status 1 when the archive does not verify.",
    )
    checked.add_argument("file")
    sub.add_parser("public-key", help="print the public keys (PEM) with their key ids")
    sub.add_parser(
        "rotate-key",
        help="replace the signing key (each till records the rotation, signed with the old key)",
    )


def run(args: argparse.Namespace) -> int | None:
    if args.command != COMMAND:
        return None
    if args.fiscal_command == "device-export":
        from opentill.fiscal.devices.cli import export

        return export(args)
    if args.fiscal_command == "verify":
        return _verify(args)
    if args.fiscal_command == "close":
        return _close(args)
    if args.fiscal_command == "archive":
        return _archive(args)
    if args.fiscal_command == "verify-archive":
        return _verify_archive(args)
    if args.fiscal_command == "dsfinvk":
        return _dsfinvk(args)
    if args.fiscal_command == "store-report":
        return _store_report(args)
    if args.fiscal_command == "public-key":
        from opentill.fiscal.selectors import public_keys_list

        for key in public_keys_list():
            print(f"# key_id {key['key_id']} (since {key['created_at']:%Y-%m-%d %H:%M:%S %Z})")
            print(key["public_key"].rstrip())
        return 0
    if args.fiscal_command == "rotate-key":
        from opentill.fiscal.keys import key_path
        from opentill.fiscal.services import key_rotate

        signer = key_rotate()
        print(f"new key {signer.key_id} in {key_path()}: back it up")
        return 0
    return 1


def _verify(args: argparse.Namespace) -> int:
    from opentill.fiscal.models import FiscalHead
    from opentill.fiscal.selectors import till_verify
    from opentill.pos.models import PosProfile

    tills = PosProfile.objects.order_by("code")
    if args.till:
        tills = tills.filter(code=args.till)
        if not tills.exists():
            print(f"opentill: no till {args.till!r}", file=sys.stderr)
            return 2
    else:
        tills = tills.filter(pk__in=FiscalHead.objects.values("profile_id"))
    broken = 0
    for till in tills:
        result = till_verify(profile=till, start=args.start, end=args.end)
        if result.first_broken is None:
            keys = ", ".join(result.keys) or "none"
            print(f"{till.code}: {result.records} record(s) verified (keys: {keys})")
        else:
            b = result.first_broken
            broken += 1
            print(f"{till.code}: BROKEN at record {b.sequence} ({b.kind or 'missing'}): {b.reason}")
    return 1 if broken else 0


def _close(args: argparse.Namespace) -> int:
    from opentill.common.problems import Problem
    from opentill.fiscal.period_close import (
        period_close,
        period_closes_run,
        periods,
        till_time_zone,
    )
    from opentill.pos.models import PosProfile

    if args.due:
        print(f"{period_closes_run()} period close(s) written")
        return 0
    till = PosProfile.objects.select_related("store__company").filter(code=args.till or "").first()
    if till is None:
        print(f"opentill: no till {args.till!r} (--till is required)", file=sys.stderr)
        return 2
    span = "day" if args.day else "month" if args.month else "year"
    try:
        p = periods.period(span, args.day or args.month or args.year, till_time_zone(till))
        closed = period_close(profile=till, period=p)
    except periods.PeriodError as exc:
        print(f"opentill: {exc}", file=sys.stderr)
        return 2
    except Problem as exc:
        print(f"opentill: {exc.detail}", file=sys.stderr)
        return 1
    done = "closed" if closed["created"] else "was closed before"
    print(f"{till.code}: {p.name} {done} (record {closed['sequence']}, {closed['kind']})")
    return 0


def _archive(args: argparse.Namespace) -> int:
    from pathlib import Path

    from opentill.common.problems import Problem
    from opentill.fiscal.archive import archive_build
    from opentill.fiscal.period_close import period_of
    from opentill.pos.models import PosProfile

    till = PosProfile.objects.select_related("store__company").filter(code=args.till).first()
    if till is None:
        print(f"opentill: no till {args.till!r}", file=sys.stderr)
        return 2
    try:
        name, content = archive_build(profile=till, period=period_of(till, args.period))
    except Problem as exc:
        print(f"opentill: {exc.detail}", file=sys.stderr)
        return 2 if exc.code == "validation_error" else 1
    path = Path(args.output or name)
    path.write_bytes(content)
    print(f"{path}: {len(content)} bytes")
    return 0


def _verify_archive(args: argparse.Namespace) -> int:
    from opentill.fiscal.archive_verify import archive_verify

    result = archive_verify(args.file)
    if not result.ok:
        for problem in result.problems:
            print(f"BROKEN: {problem}")
        return 1
    m = result.manifest
    print(
        f"{m['till_code']} {m['calendar']['name']}: {result.records} record(s) and every "
        f"file verified (keys: {', '.join(result.key_ids)}; compare them with the ones you "
        "were given)"
    )
    return 0


def _dsfinvk(args: argparse.Namespace) -> int:
    from pathlib import Path

    from opentill.common.problems import Problem
    from opentill.fiscal.dsfinvk_export import dsfinvk_build
    from opentill.fiscal.period_close import period_of
    from opentill.pos.models import PosProfile

    till = PosProfile.objects.select_related("store__company").filter(code=args.till).first()
    if till is None:
        print(f"opentill: no till {args.till!r}", file=sys.stderr)
        return 2
    try:
        name, content = dsfinvk_build(profile=till, period=period_of(till, args.period))
    except Problem as exc:
        print(f"opentill: {exc.detail}", file=sys.stderr)
        return 2
    path = Path(args.output or name)
    path.write_bytes(content)
    print(f"{path}: {len(content)} bytes")
    return 0


def _store_report(args: argparse.Namespace) -> int:
    import json

    from opentill.common.problems import Problem
    from opentill.fiscal.period_close import store_period_report

    try:
        report = store_period_report(store_id=args.store, text=args.period)
    except Problem as exc:
        print(f"opentill: {exc.detail}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 1 if report["not_closed"] else 0
