"""The report's layout without a database: the document, plain text at every width, the
ESC/POS bytes and their decoding, the SVG charts."""

from __future__ import annotations

import re
from copy import deepcopy
from decimal import Decimal
from typing import Any

import pytest

from opentill.reports import charts
from opentill.reports.document import RIGHT, Column, Table, build_document, quantity, rate, when
from opentill.reports.render_escpos import (
    EscposDecodeError,
    decode_escpos,
    paper_columns,
    printable,
    render_escpos,
)
from opentill.reports.render_text import render_text, table_lines

MONEY = re.compile(r"(?<![\d.])-?\d+\.\d{2}(?![\d.])")

REPORT: dict[str, Any] = {
    "kind": "Z",
    "company": "Brasserie Zoë",
    "currency": "EUR",
    "store": "Grand-Place",
    "profile": "Bar",
    "session": {
        "id": 7,
        "name": "BAR/2026/0007",
        "sequence": 7,
        "state": "closed",
        "rescue": False,
    },
    "cashier": "zoë",
    "opened_at": "2026-11-21T08:00:00+01:00",
    "closed_at": "2026-11-21T20:15:00+01:00",
    "closed_by": "manager",
    "generated_at": "2026-11-21T20:16:00+01:00",
    "orders": {
        "count": 212,
        "drafts": 0,
        "voided": 3,
        "voided_total": "17.40",
        "refunds": 2,
        "refunds_total": "-8.80",
        "sales_total": "3456.70",
        "average_ticket": "16.31",
        "rounding": "-0.02",
        "amount_due_total": "3456.68",
        "discounts": "12.00",
    },
    "sales_by_taxes": [
        {"taxes": "6%", "net": "1200.00", "tax": "72.00", "gross": "1272.00"},
        {"taxes": "21%", "net": "1805.54", "tax": "379.16", "gross": "2184.70"},
    ],
    "sales_by_taxes_total": {"net": "3005.54", "tax": "451.16", "gross": "3456.70"},
    "sales_by_category": [
        {
            "category": "Bières belges et spéciales de saison",
            "quantity": "180.000",
            "net": "1805.54",
            "tax": "379.16",
            "gross": "2184.70",
            "discount": "0.00",
        },
        {
            "category": "Food",
            "quantity": "12.500",
            "net": "1200.00",
            "tax": "72.00",
            "gross": "1272.00",
            "discount": "12.00",
        },
    ],
    "payments": [
        # Cash: 1412.38 tendered − 211.70 change = 1200.68 kept.
        {
            "payment_method": 1,
            "name": "Cash",
            "count": 90,
            "amount": "1200.68",
            "cash": True,
            "tendered": "1412.38",
            "change": "211.70",
        },
        {
            "payment_method": 2,
            "name": "Card",
            "count": 124,
            "amount": "2256.00",
            "cash": False,
            "tendered": "2256.00",
            "change": "0.00",
        },
    ],
    "payments_total": "3456.68",
    "cash_moves": [
        {
            "kind": "drop",
            "payment_method": "Cash",
            "amount": "500.00",
            "destination": "Safe",
            "reason": "Too much cash in the drawer after the lunch rush — counted twice",
            "at": "2026-11-21T14:00:00+01:00",
            "by": "zoë",
        }
    ],
    "cash_moves_total": {"drop": "500.00", "deposit": "0.00"},
    "opening": [{"name": "Cash", "expected": "150.00", "counted": "150.00", "difference": "0.00"}],
    "opening_total": {"expected": "150.00", "counted": "150.00", "difference": "0.00"},
    "partial_counts": [],
    "expected_now": [],
    "closing": [
        {
            "name": "Cash",
            "expected": "850.68",
            "counted": "849.48",
            "difference": "-1.20",
            "keep": "150.00",
            "transferred": "699.48",
        },
        {
            "name": "Card",
            "expected": "2256.00",
            "counted": "2256.00",
            "difference": "0.00",
            "keep": "0.00",
            "transferred": "2256.00",
        },
    ],
    "closing_total": {
        "expected": "3106.68",
        "counted": "3105.48",
        "difference": "-1.20",
        "keep": "150.00",
        "transferred": "2955.48",
    },
    "invoices": [
        {
            "number": "INV/2026/000101",
            "kind": "invoice",
            "consolidated": True,
            "customer": "Walk-in customer",
            "net_total": "3011.95",
            "tax_total": "453.55",
            "total": "3465.50",
        }
    ],
    "invoices_summary": {"consolidated": 1, "individual": 0, "credit_notes": 0},
    "journal": {
        "entries": 1,
        "lines": 3,
        "debit": "3456.68",
        "credit": "3456.68",
        "accounts": [
            {"code": "1000", "name": "Cash", "debit": "1200.68", "credit": "0.00"},
            {"code": "7000", "name": "Sales", "debit": "0.00", "credit": "3456.68"},
        ],
        "entry_list": [{"id": 1, "date": "2026-11-21", "reference": "BAR/2026/0007 close"}],
    },
    "grand_total": {
        "sessions": 7,
        "since": "2026-01-02T08:00:00+01:00",
        "previous": "20000.00",
        "session": "3456.70",
        "perpetual": "23456.70",
        "perpetual_absolute": "23500.10",
    },
    "notes": {"opening": "", "closing": "Short 1.20", "force_close_reason": ""},
    "signatures": [{"role": "Cashier", "name": "zoë"}, {"role": "Manager", "name": "manager"}],
}


def test_small_formatters():
    assert when("2026-11-21T10:02:03+01:00") == "2026-11-21 10:02"
    assert when(None) == "—"
    assert rate("21.0000") == "21%" and rate("5.5000") == "5.5%"
    assert quantity("2.000") == "2" and quantity("0.350") == "0.35" and quantity("-1.000") == "-1"


@pytest.mark.parametrize("width", [80, 42, 32])
def test_text_fits_the_width_and_keeps_every_amount(width):
    text = render_text(REPORT, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert MONEY.findall(text) == MONEY.findall(render_text(REPORT))
    assert "3456.70" in text and "23456.70" in text and "-1.20" in text


def test_narrow_tables_become_one_block_per_row():
    table = Table(
        [Column("Method"), *(Column(t, RIGHT) for t in ("Expected", "Counted", "Diff.", "Kept"))],
        [["Cash", "12345.67", "12344.47", "-1.20", "150.00"]],
    )
    wide = [line.text for line in table_lines(table, 60)]
    assert wide[2].split() == ["Cash", "12345.67", "12344.47", "-1.20", "150.00"]
    narrow = [line.text for line in table_lines(table, 32)]
    assert narrow[0] == "Cash"
    assert narrow[1] == "  Expected" + " " * 14 + "12345.67"
    assert all(len(line) <= 32 for line in narrow)


def test_long_text_wraps_and_never_cuts_a_number():
    text = render_text(REPORT, width=32)
    words = text.split()
    assert "Bières" in words and "saison" in words
    assert "twice" in words
    assert all(len(line) <= 32 for line in text.splitlines())


@pytest.mark.parametrize("paper", [80, 58])
def test_escpos_decodes_to_the_printed_text(paper):
    data = render_escpos(REPORT, paper=paper)
    assert data.startswith(b"\x1b@\x1bt\x13")  # initialise, code page 858
    assert data.endswith(b"\x1dV\x00")  # cut
    assert "ë".encode("cp858") in data  # accents in the printer's code page
    printed = decode_escpos(data)
    columns = paper_columns(paper)
    assert max(len(line) for line in printed.splitlines()) <= columns
    assert MONEY.findall(printed) == MONEY.findall(render_text(REPORT))
    assert "Brasserie Zoë" in printed and "Cashier: zoë" in printed
    assert "—" not in printed  # not in the code page: printed as "-"


def test_escpos_paper_and_decoding_errors():
    with pytest.raises(ValueError):
        paper_columns(76)
    with pytest.raises(EscposDecodeError):
        decode_escpos(b"\x1b\x99")
    with pytest.raises(EscposDecodeError):
        decode_escpos(b"\x1bt\x63")
    assert printable("a — b ‘c’ ő ł") == "a - b 'c' o ?"


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


def test_charts_are_plain_svg():
    bar = charts.bar_chart(
        ["11-01", "11-02"], [Decimal("12.30"), Decimal("-4.00")], title="Sales & <more>"
    )
    assert bar.startswith("<svg") and bar.endswith("</svg>")
    assert "Sales &amp; &lt;more&gt;" in bar
    assert charts.NEGATIVE in bar  # the negative bar in red
    line = charts.line_chart(
        ["a", "b", "c"], {"alice": [Decimal("-1.20"), None, Decimal("0.50")]}, title="Diff"
    )
    assert line.count("<circle") == 2 and "<polyline" in line
    states = charts.hbar_chart(["Closed", "In progress"], [12, 1], title="States")
    assert ">12<" in states and ">1<" in states
    assert "<script" not in bar + line + states
    empty = charts.line_chart([], {}, title="Nothing")
    assert empty.startswith("<svg")


def test_chart_axis_steps_are_round():
    assert charts._nice_step(Decimal("97")) == Decimal("20")
    assert charts._nice_step(Decimal("4.3")) == Decimal("1")
    assert charts._scale([Decimal("-1.20"), Decimal("3.50")])[0] == Decimal("-2")


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
