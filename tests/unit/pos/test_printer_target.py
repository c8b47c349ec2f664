"""Which printer targets the server may connect to: private networks and port 9100 by
default, both configurable."""

from __future__ import annotations

import pytest

from opentill.pos.printer_target import PrinterTargetError, allowed_ports, printer_target_check


@pytest.mark.parametrize(
    "host",
    [
        "192.168.1.50",
        "10.1.2.3",
        "172.16.0.9",
        "127.0.0.1",
        "169.254.10.20",
        "::1",
        "fd00::7",
        "fe80::1",
        "localhost",
    ],
)
def test_private_addresses_on_port_9100_are_accepted(host):
    target = printer_target_check(host, 9100)
    assert target.port == 9100 and target.addresses


@pytest.mark.parametrize(
    "host",
    ["8.8.8.8", "172.32.0.1", "100.64.0.1", "0.0.0.0", "2001:4860:4860::8888", "::ffff:8.8.8.8"],
)
def test_public_or_unspecified_addresses_are_refused(host):
    with pytest.raises(PrinterTargetError, match="not in an allowed network"):
        printer_target_check(host, 9100)


def test_an_ipv4_mapped_private_address_counts_as_the_private_address():
    assert printer_target_check("::ffff:192.168.1.5", 9100).addresses == ("::ffff:c0a8:105",)


@pytest.mark.parametrize("port", [22, 80, 443, 5432, 9101])
def test_other_ports_are_refused(port):
    with pytest.raises(PrinterTargetError, match=f"Port {port} is not an allowed printer port"):
        printer_target_check("192.168.1.50", port)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(PrinterTargetError, match="cannot be resolved"):
        printer_target_check("printer.invalid", 9100)


def test_networks_and_ports_are_configurable(settings):
    settings.OPENTILL_PRINTER_NETWORKS = "203.0.113.0/24"
    settings.OPENTILL_PRINTER_PORTS = "9100-9102, 515"
    assert allowed_ports() == {9100, 9101, 9102, 515}
    assert printer_target_check("203.0.113.7", 515).addresses == ("203.0.113.7",)
    with pytest.raises(PrinterTargetError, match="not in an allowed network"):
        printer_target_check("192.168.1.50", 9101)  # no longer in the list


def test_a_blank_host_is_refused():
    with pytest.raises(PrinterTargetError, match="No printer host"):
        printer_target_check("  ", 9100)
