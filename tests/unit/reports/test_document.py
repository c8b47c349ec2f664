"""The report as a document (``reports/document.py``), without a database: its sections,
formatters and what it shows or hides."""

from __future__ import annotations

from copy import deepcopy

from opentill.reports.document import build_document, quantity, rate, when
from opentill.reports.render_text import render_text
from tests.unit.reports.sample import REPORT


def test_small_formatters():
    assert when("2026-11-21T10:02:03+01:00") == "2026-11-21 10:02"
    assert when(None) == "—"
    assert rate("21.0000") == "21%" and rate("5.5000") == "5.5%"
    assert quantity("2.000") == "2" and quantity("0.350") == "0.35" and quantity("-1.000") == "-1"


def test_blind_close_dashes_instead_of_expected():
    blind = deepcopy(REPORT)
    for row in blind["closing"]:
        del row["expected"], row["difference"]
    blind["closing_total"] = {**blind["closing_total"], "expected": None, "difference": None}
    text = render_text(blind)
    assert "850.68" not in text and "3106.68" not in text
    assert "—" in text


def test_document_sections_in_reading_order():
    doc = build_document(REPORT)
    assert doc.title == "Z report BAR/2026/0007"
    assert [s.title for s in doc.sections] == [
        "Session",
        "Sales",
        "Sales per tax",
        "Sales per category",
        "Payments",
        "Cash moves",
        "Opening",
        "Closing",
        "Invoices",
        "Journal entries",
        "Grand total",
        "Notes",
    ]
    assert doc.signatures == [("Cashier", "zoë"), ("Manager", "manager")]


def test_payments_show_cash_tendered_change_and_kept():
    (payments,) = [s for s in build_document(REPORT).sections if s.title == "Payments"]
    per_method, cash = payments.blocks
    assert [c.title for c in cash.columns] == ["Cash", "Tendered", "Change", "Kept"]
    assert cash.rows == [["Cash", "1412.38", "211.70", "1200.68"]]  # the card gave no change
    for width in (80, 42, 32):
        assert "211.70" in render_text(REPORT, width=width)
    # A report of before issue #12 (no tendered in its rows) shows the payments alone.
    old = deepcopy(REPORT)
    for row in old["payments"]:
        del row["cash"], row["tendered"], row["change"]
    (payments,) = [s for s in build_document(old).sections if s.title == "Payments"]
    assert payments.blocks == [per_method]
