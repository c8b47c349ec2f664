"""``opentill fiscal-device``: run the TSE simulator, ask a till's device for its health,
make its daily close, export its log; and ``opentill fiscal device-export`` (the same
export, beside the journal's other commands). Wired into ``opentill.cli``."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

COMMAND = "fiscal-device"


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--till", required=True, help="the till's code, e.g. TILL1")
    parser.add_argument(
        "-o", "--output", type=Path, help="the file to write (default: standard output)"
    )


def add_commands(subparsers: Any) -> None:
    from opentill.fiscal.devices import simulator

    device = subparsers.add_parser(
        COMMAND,
        help="the tills' signing devices: the TSE simulator, health, daily close, export",
        description="The fiscal-device boundary (docs/fiscal.md).",
    )
    sub = device.add_subparsers(dest="device_command", required=True)
    sim = sub.add_parser(
        "simulator",
        help="run the TSE simulator (a signing device on the network) until stopped",
        description="A TSE stand-in speaking JSON over HTTP, with its own Ed25519 key, "
        "serial and counters; POST /admin turns outages, refusals and delays on.",
    )
    simulator.add_arguments(sim)
    health = sub.add_parser("health", help="ask the till's device whether it answers")
    health.add_argument("--till", required=True, help="the till's code, e.g. TILL1")
    close = sub.add_parser(
        "close", help="the device's close of a till's day (recorded in the till's journal)"
    )
    close.add_argument("--till", required=True, help="the till's code, e.g. TILL1")
    close.add_argument("--day", required=True, type=_day, help="YYYY-MM-DD")
    add_export_arguments(
        sub.add_parser("export", help="write the device's log for a till, as the device gave it")
    )


def _till(code: str) -> Any:
    from opentill.pos.models import PosProfile

    till = PosProfile.objects.select_related("store__company").filter(code=code).first()
    if till is None:
        print(f"opentill: no till {code!r}", file=sys.stderr)
    return till


def export(args: argparse.Namespace) -> int:
    """Write the till's device log (exit 1 when the device does not answer)."""
    from opentill.fiscal.devices.base import DeviceError
    from opentill.fiscal.devices.models import TillDevice
    from opentill.fiscal.devices.services import till_device_export

    till = _till(args.till)
    if till is None:
        return 2
    if not TillDevice.objects.filter(pk=till.pk).exists():
        print(f"opentill: the till {till.code} has no signing device", file=sys.stderr)
        return 2
    try:
        data = till_device_export(profile=till)
    except DeviceError as exc:
        print(f"opentill: the device did not give its log: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.buffer.write(data)
    else:
        args.output.write_bytes(data)
        print(f"{till.code}: {len(data)} bytes of the device's log in {args.output}")
    return 0


def run(args: argparse.Namespace) -> int | None:
    if args.command != COMMAND:
        return None
    if args.device_command == "simulator":
        from opentill.fiscal.devices import simulator

        return simulator.serve(args)
    if args.device_command == "export":
        return export(args)
    from opentill.fiscal.devices.base import DeviceError
    from opentill.fiscal.devices.models import TillDevice

    till = _till(args.till)
    if till is None:
        return 2
    if not TillDevice.objects.filter(pk=till.pk).exists():
        print(f"opentill: the till {till.code} has no signing device", file=sys.stderr)
        return 2
    if args.device_command == "health":
        from opentill.fiscal.devices.selectors import till_device_view

        view = till_device_view(till)
        health = view["health"]
        state = "answers" if health["ok"] else f"does NOT answer ({health['detail']})"
        print(f"{till.code}: {view['device']['name']} {state}; transactions {view['transactions']}")
        if view["outage_since"]:
            print(f"{till.code}: outage since {view['outage_since']} ({view['last_error']})")
        return 0 if health["ok"] else 1
    if args.device_command == "close":
        from opentill.fiscal.devices.services import till_device_daily_close

        try:
            close = till_device_daily_close(profile=till, day=args.day)
        except DeviceError as exc:
            print(f"opentill: the device did not close the day: {exc}", file=sys.stderr)
            return 1
        print(f"{till.code}: {close['day']} closed by the device (counter {close['counter']})")
        return 0
    return 1
