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
