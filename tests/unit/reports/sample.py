"""A Z report as the report model gives it (``reports/model.py``), with figures written by
hand: the unit tests of the document and of each format lay it out."""

from __future__ import annotations

import re
from typing import Any

#: An amount with two decimals, as printed.
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
