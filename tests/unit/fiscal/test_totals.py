"""The grand totals of the fiscal journal (``fiscal/totals.py``), with the figures worked by
hand."""

from __future__ import annotations

from decimal import Decimal

from opentill.fiscal import totals


def _ticket(sales: tuple[str, str, str], refunds: tuple[str, str, str], vat: dict) -> dict:
    return {
        "sales": dict(zip(("net", "tax", "total"), sales, strict=True)),
        "refunds": dict(zip(("net", "tax", "total"), refunds, strict=True)),
        "taxes": [{"name": "VAT 21%", "kind": "percent", "rate": "21.0000", **vat}],
        "rounding": "0.00",
        "amount_due": str(Decimal(sales[2]) + Decimal(refunds[2])),
    }


def test_period_and_perpetual_totals_keep_sales_and_refunds_apart():
    # A mug sold (9.90 = 8.18 + 1.72), then one refunded on its own ticket.
    sold = _ticket(
        ("8.18", "1.72", "9.90"),
        ("0.00", "0.00", "0.00"),
        {"sales": {"base": "8.18", "tax": "1.72"}, "refunds": {"base": "0.00", "tax": "0.00"}},
    )
    refunded = _ticket(
        ("0.00", "0.00", "0.00"),
        ("-8.18", "-1.72", "-9.90"),
        {"sales": {"base": "0.00", "tax": "0.00"}, "refunds": {"base": "-8.18", "tax": "-1.72"}},
    )
    period = totals.period([("ticket", sold), ("refund", refunded)], 2)
    assert period["count"] == {"tickets": 1, "refunds": 1}
    assert period["real"] == {"net": "0.00", "tax": "0.00", "total": "0.00"}
    assert period["absolute"] == {"net": "16.36", "tax": "3.44", "total": "19.80"}
    (vat,) = period["taxes"]
    assert (vat["real"], vat["absolute"]) == (
        {"base": "0.00", "tax": "0.00"},
        {"base": "16.36", "tax": "3.44"},
    )
    # The next period sells two mugs: the perpetual adds up.
    second = totals.period([("ticket", sold), ("ticket", sold)], 2)
    perpetual = totals.perpetual(period, second, 2)
    assert perpetual["count"] == {"tickets": 3, "refunds": 1}
    assert perpetual["sales"]["total"] == "29.70"
    assert perpetual["refunds"]["total"] == "-9.90"
    assert perpetual["real"]["total"] == "19.80"
    assert perpetual["absolute"]["total"] == "39.60"
    assert totals.perpetual(None, period, 2) == period
