"""The canonical form of the fiscal journal's records (``fiscal/canonical.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from opentill.fiscal import canonical


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
