"""opentill.pos.counting: the counted amount, by total or by coins and notes. Pure: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentill.pos.counting import (
    CountError,
    CountInput,
    DenominationRow,
    denominations_total,
    opening_needs_approval,
    resolve_counted,
)

D = Decimal
EUR = [D(v) for v in ("0.01", "0.02", "0.05", "0.10", "0.20", "0.50", "1.00", "2.00", "5.00")] + [
    D(v) for v in ("10.00", "20.00", "50.00", "100.00", "200.00", "500.00")
]


def rows(*pairs: tuple[str, int]) -> tuple[DenominationRow, ...]:
    return tuple(DenominationRow(D(value), quantity) for value, quantity in pairs)


# A drawer counted by hand: 3 × 20.00 + 2 × 10.00 + 7 × 2.00 + 4 × 0.50 + 13 × 0.05 + 1 × 0.01
#   = 60.00 + 20.00 + 14.00 + 2.00 + 0.65 + 0.01 = 96.66
DRAWER = rows(("20.00", 3), ("10.00", 2), ("2.00", 7), ("0.50", 4), ("0.05", 13), ("0.01", 1))


def test_denominations_total_worked_example():
    assert denominations_total(DRAWER) == D("96.66")
    assert str(denominations_total(DRAWER)) == "96.66"
    assert denominations_total(()) == D("0.00")
    assert denominations_total(rows(("0.05", 0))) == D("0.00")


def test_the_total_alone_is_the_count():
    assert resolve_counted(CountInput(1, D("150.35"))) == D("150.35")
    assert resolve_counted(CountInput(1, D("0.00"))) == D("0.00")


def test_the_rows_alone_are_summed():
    assert resolve_counted(CountInput(1, None, DRAWER), allowed_values=EUR) == D("96.66")


def test_total_and_rows_that_agree():
    assert resolve_counted(CountInput(1, D("96.66"), DRAWER), allowed_values=EUR) == D("96.66")


def test_total_and_rows_that_differ_by_one_cent():
    with pytest.raises(CountError) as caught:
        resolve_counted(CountInput(1, D("96.65"), DRAWER), allowed_values=EUR)
    assert str(caught.value) == "counted 96.65 differs from the denominations' sum 96.66"


def test_neither_total_nor_rows():
    with pytest.raises(CountError) as caught:
        resolve_counted(CountInput(1, None))
    assert str(caught.value) == "give the counted amount or the denomination rows"


def test_a_coin_the_method_does_not_have():
    with pytest.raises(CountError) as caught:
        resolve_counted(CountInput(1, None, rows(("20.00", 1), ("0.25", 4))), allowed_values=EUR)
    assert str(caught.value) == "0.25 is not a denomination of this payment method"


def test_any_value_when_the_method_lists_no_denominations():
    # 4 × 0.25 + 1 × 3.00 = 4.00: no list of coins, so any value counts.
    assert resolve_counted(CountInput(1, None, rows(("0.25", 4), ("3.00", 1)))) == D("4.00")


def test_an_unknown_coin_is_refused_even_when_the_total_agrees():
    with pytest.raises(CountError):
        resolve_counted(CountInput(1, D("1.00"), rows(("0.25", 4))), allowed_values=EUR)


@pytest.mark.parametrize(
    ("expected", "counted", "max_difference", "needs"),
    [
        ("100.00", "100.00", "5.00", False),
        ("100.00", "105.00", "5.00", False),  # exactly the allowed difference
        ("100.00", "94.99", "5.00", True),  # 5.01 short
        ("100.00", "105.01", "5.00", True),  # 5.01 over
        ("100.00", "100.01", "0.00", True),
        ("0.00", "250.00", "5.00", False),  # no float kept: the drawer's first float
        ("100.00", "0.00", "5.00", True),  # the kept float is missing
    ],
)
def test_opening_needs_approval(expected, counted, max_difference, needs):
    assert (
        opening_needs_approval(
            expected=D(expected), counted=D(counted), max_difference=D(max_difference)
        )
        is needs
    )
