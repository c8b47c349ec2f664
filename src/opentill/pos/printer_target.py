"""Which receipt printers the server may connect to.

A manager types the printer's host and port on a POS profile, and the server then opens a
raw TCP connection there. Without a limit that is a way to make the server talk to any
host and port (a database, a cloud metadata service). A printer target is accepted only
when the port is in an allowed set (default 9100) and every address the host stands for is
in an allowed network (default: private ranges — RFC 1918, loopback, link-local, IPv6
unique-local and link-local). The check runs when the profile is saved and again right
before each connection, which then goes to the address that was checked (a name that
resolves elsewhere later cannot redirect it).

Settings (from the environment, see :mod:`opentill.config.env`): ``OPENTILL_PRINTER_NETWORKS`` (comma-separated CIDRs) and
``OPENTILL_PRINTER_PORTS`` (comma-separated ports or ranges such as ``9100-9109``).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_NETWORKS = (
    "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,169.254.0.0/16,::1/128,fc00::/7,fe80::/10"
)
DEFAULT_PORTS = "9100"


class PrinterTargetError(ValueError):
    """The printer's host or port is not one the server may connect to."""


@dataclass(frozen=True)
class PrinterTarget:
    host: str
    port: int
    addresses: tuple[str, ...]  # every address checked, in resolution order


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)  # from the environment, see config/env.py
    if value is None:
        value = default
    if isinstance(value, list | tuple | set | frozenset):
        value = ",".join(str(v) for v in value)
    return str(value)


def allowed_networks() -> list[IPNetwork]:
    text = _setting("OPENTILL_PRINTER_NETWORKS", DEFAULT_NETWORKS)
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    ]


def allowed_ports() -> set[int]:
    ports: set[int] = set()
    for part in _setting("OPENTILL_PRINTER_PORTS", DEFAULT_PORTS).split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        ports.update(range(int(low), int(high or low) + 1))
    return ports


def _describe_ports(ports: set[int]) -> str:
    shown = sorted(ports)
    return ", ".join(str(p) for p in shown[:10]) + (" …" if len(shown) > 10 else "")


def _resolve(host: str) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise PrinterTargetError(f"The printer host {host!r} cannot be resolved ({exc}).") from exc
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise PrinterTargetError(f"The printer host {host!r} has no address.")
    return tuple(addresses)


def printer_target_check(host: str, port: int) -> PrinterTarget:
    """The checked target for ``host:port``; raises :class:`PrinterTargetError` saying why
    the server may not connect there."""
    host = host.strip()
    if not host:
        raise PrinterTargetError("No printer host.")
    ports = allowed_ports()
    if port not in ports:
        raise PrinterTargetError(
            f"Port {port} is not an allowed printer port (allowed: {_describe_ports(ports)}; "
            "setting OPENTILL_PRINTER_PORTS)."
        )
    networks = allowed_networks()
    addresses = _resolve(host)
    for address in addresses:
        ip: IPAddress = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not any(ip.version == net.version and ip in net for net in networks):
            shown = "" if address == host else f" ({address})"
            raise PrinterTargetError(
                f"The printer host {host}{shown} is not in an allowed network (allowed: "
                f"{', '.join(str(n) for n in networks)}; setting OPENTILL_PRINTER_NETWORKS)."
            )
    return PrinterTarget(host=host, port=port, addresses=addresses)
