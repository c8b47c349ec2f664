"""opentill.limits: the bounds on amounts and quantities, as the server applies them when it
reads an order (opentill.orders.parsing) and as the catalog publishes them to terminals.

The edge cases live in tests/cases/limits.json, which tests/js/limits.test.mjs feeds to the
terminal's limits.js: the server and the till accept and refuse the same values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opentill.limits import published
from opentill.orders.parsing import OrderContentError, parse_order

CASES = json.loads((Path(__file__).parents[1] / "cases" / "limits.json").read_text())
UUID = "6f1c8a52-3d4b-4c1e-9f2a-7b8c9d0e1f23"


def accepted(payload: dict[str, Any]) -> bool:
    try:
        parse_order({"uuid": UUID, **payload})
    except OrderContentError:
        return False
    return True


def test_the_shared_file_holds_the_published_limits():
    assert CASES["published"] == published()


def cases(kind: str) -> Any:
    return pytest.mark.parametrize(
        ("value", "ok"), [(c["value"], c["ok"]) for c in CASES[kind]], ids=str
    )


@cases("quantity")
def test_quantity(value, ok):
    assert accepted({"lines": [{"product": 1, "quantity": value}]}) is ok


@cases("unit_price")
def test_unit_price(value, ok):
    assert accepted({"lines": [{"product": 1, "quantity": "1", "unit_price": value}]}) is ok


@cases("amount")
def test_payment_amount(value, ok):
    payload = {
        "lines": [{"product": 1, "quantity": "1"}],
        "payments": [{"payment_method": 1, "amount": value}],
    }
    assert accepted(payload) is ok


@cases("lines")
def test_number_of_lines(value, ok):
    assert accepted({"lines": [{"product": 1, "quantity": "1"}] * value}) is ok
