"""The pure rules of the fiscal journal: the canonical form and the grand totals, with the
figures worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from opentill.fiscal import canonical, totals


def test_canonical_text_sorts_keys_keeps_utf8_and_has_no_whitespace():
    text = canonical.dumps({"b": [1, None, True], "a": "Café", "c": {"z": "1.20", "y": False}})
    assert text == '{"a":"Café","b":[1,null,true],"c":{"y":false,"z":"1.20"}}'
    assert canonical.loads(text) == {
        "a": "Café",
        "b": [1, None, True],
        "c": {"y": False, "z": "1.20"},
    }
    assert canonical.message(text, "") == text.encode("utf-8") + b"\n"


@pytest.mark.parametrize(
    "text",
    ['{"a": 1}', '{"b":1,"a":2}', '{"a":1.5}', "[1]", '{"a":"\\u00e9"}', "not json"],
)
def test_a_text_not_in_the_canonical_form_is_refused(text):
    with pytest.raises(canonical.CanonicalError):
        canonical.loads(text)


def test_a_float_has_no_canonical_form():
    with pytest.raises(canonical.CanonicalError):
        canonical.dumps({"amount": 1.5})


def test_amounts_rates_and_times():
    assert canonical.amount(Decimal("12.3"), 2) == "12.30"
    assert canonical.amount(Decimal("-0.00"), 2) == "0.00"
    assert canonical.amount(Decimal("1200"), 0) == "1200"
    assert canonical.amount(Decimal("1.25"), 3) == "1.250"
    assert canonical.amount(Decimal("0.125"), 2) == "0.125"  # finer than EUR: kept exact
    assert canonical.rate(Decimal("21")) == "21.0000"
    brussels = timezone(timedelta(hours=1))
    at = datetime(2026, 11, 21, 10, 2, 3, tzinfo=brussels)
    assert canonical.time(at) == "2026-11-21T09:02:03.000000Z"
    assert canonical.parse_time("2026-11-21T09:02:03.000000Z") == at.astimezone(UTC)
    with pytest.raises(canonical.CanonicalError):
        canonical.time(datetime(2026, 11, 21))


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
