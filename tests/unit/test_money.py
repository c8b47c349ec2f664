"""opentill.money: exact parsing, rounding and minor units. Pure: no database."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentill.money import (
    QUANTITY_PLACES,
    RATE_PLACES,
    STORED_PLACES,
    AmountError,
    check_places,
    currency_places,
    fmt,
    from_minor,
    from_stored,
    normal,
    not_in_places,
    parse_decimal,
    quantize,
    round_to_step,
    to_minor,
    to_stored,
    total,
    unit,
)
from tests.conftest import examples

D = Decimal
STEP = D("0.05")


# --- parse_decimal ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.30", "12.30"),
        ("12.3", "12.30"),
        ("12", "12.00"),
        ("0", "0.00"),
        ("0.00", "0.00"),
        ("-4.00", "-4.00"),
        ("-0.01", "-0.01"),
        ("007.50", "7.50"),
        ("9999999999999.99", "9999999999999.99"),
    ],
)
def test_parse_decimal_accepts_plain_decimals(text, expected):
    value = parse_decimal(text)
    assert value == D(expected)
    assert str(value) == expected  # always exactly two decimals
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "",
        " ",
        "1e999",
        "1E2",
        "1e-2",
        "-0",
        "-0.00",
        "-0.0",
        "NaN",
        "nan",
        "-NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "1,50",
        "1.234",  # too many decimals for money
        "0.001",
        "1.",
        ".5",
        "+1.00",
        "1 000.00",
        "1_000",
        "0x10",
        "12.30€",
        "--1",
        "1-",
        "99999999999999.00",  # 14 integer digits
        "١٢.٣٠",  # Arabic-Indic digits: Decimal() would read them, the wire must not
        "１２.３０",  # fullwidth digits
    ],
)
def test_parse_decimal_refuses(text):
    with pytest.raises(AmountError):
        parse_decimal(text)


@pytest.mark.parametrize(
    "value", [1.5, 0.1, 2, 0, -1, True, None, D("1.50"), [], {"amount": "1.00"}, b"1.00"]
)
def test_parse_decimal_refuses_non_strings(value):
    with pytest.raises(AmountError, match="must be a string"):
        parse_decimal(value)


def test_parse_decimal_error_is_a_value_error_and_names_the_field():
    with pytest.raises(ValueError, match="quantity"):
        parse_decimal("x", what="quantity")


def test_parse_decimal_places():
    assert str(parse_decimal("0.350", places=QUANTITY_PLACES)) == "0.350"
    assert str(parse_decimal("2", places=QUANTITY_PLACES)) == "2.000"
    assert str(parse_decimal("12.5", places=RATE_PLACES)) == "12.5000"
    with pytest.raises(AmountError, match="more than 3 decimals"):
        parse_decimal("0.3501", places=QUANTITY_PLACES)
    with pytest.raises(AmountError, match="more than 2 decimals"):
        parse_decimal("1.234")
    # Trailing zeros beyond the allowed places are refused too: the form is strict.
    with pytest.raises(AmountError):
        parse_decimal("1.000")


def test_parse_decimal_sign_and_zero_options():
    assert parse_decimal("-1.00") == D("-1.00")
    with pytest.raises(AmountError, match="negative"):
        parse_decimal("-1.00", allow_negative=False)
    assert parse_decimal("0.00", allow_negative=False) == 0
    with pytest.raises(AmountError, match="zero"):
        parse_decimal("0.00", allow_zero=False)
    with pytest.raises(AmountError, match="zero"):
        parse_decimal("0", allow_zero=False, places=QUANTITY_PLACES)
    # Negative zero is refused whatever the options: it is not an amount.
    with pytest.raises(AmountError, match="negative zero"):
        parse_decimal("-0.000", places=QUANTITY_PLACES)


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_parse_decimal_round_trips_every_cent_amount(cents):
    value = D(cents).scaleb(-2)
    text = fmt(value)
    assert text is not None
    assert parse_decimal(text) == value
    assert to_minor(parse_decimal(text)) == cents


@settings(max_examples=examples(200), deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_parse_decimal_never_takes_a_float(value):
    with pytest.raises(AmountError):
        parse_decimal(value)
    # ... nor the float's text when it is not plain notation with at most two decimals.
    text = repr(value)
    try:
        parsed = parse_decimal(text)
    except AmountError:
        return
    assert parsed == D(text)


# --- quantize ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", "1.01"),  # half up...
        ("-1.005", "-1.01"),  # ... away from zero, symmetric for refunds
        ("1.0049", "1.00"),
        ("-1.0049", "-1.00"),
        ("2.675", "2.68"),  # a float would say 2.67
        ("0.125", "0.13"),
        ("-0.125", "-0.13"),
        ("7", "7.00"),
    ],
)
def test_quantize_half_up(value, expected):
    result = quantize(D(value))
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


def test_quantize_other_modes_and_places():
    assert quantize(D("0.125"), rounding=ROUND_HALF_EVEN) == D("0.12")
    assert quantize(D("1.999"), rounding=ROUND_DOWN) == D("1.99")
    assert str(quantize(D("0.3505"), 3)) == "0.351"
    assert str(quantize(5)) == "5.00"


# --- round_to_step (cash rounding) ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.00", "0.00"),
        ("0.01", "0.00"),
        ("0.02", "0.00"),
        ("0.025", "0.05"),  # exactly half a step: away from zero
        ("0.03", "0.05"),
        ("0.07", "0.05"),
        ("0.08", "0.10"),
        ("1.12", "1.10"),
        ("1.13", "1.15"),
        ("17.86", "17.85"),
        ("17.88", "17.90"),
        ("-0.03", "-0.05"),
        ("-1.12", "-1.10"),
        ("-1.13", "-1.15"),
        ("-0.025", "-0.05"),
        ("-17.88", "-17.90"),
    ],
)
def test_round_to_step_005(value, expected):
    result = round_to_step(D(value), STEP)
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


def test_round_to_step_small_negative_rounds_to_zero():
    result = round_to_step(D("-0.02"), STEP)
    assert result == 0
    assert fmt(result) == "0.00"  # never "-0.00" on the wire


def test_round_to_step_other_steps():
    assert round_to_step(D("1.24"), D("0.10")) == D("1.20")
    assert round_to_step(D("1.25"), D("0.10")) == D("1.30")
    assert round_to_step(D("1.49"), D("1")) == D("1.00")
    assert round_to_step(D("-1.50"), D("1")) == D("-2.00")
    assert round_to_step(D("1.23"), D("0.01")) == D("1.23")
    assert str(round_to_step(D("1.2345"), D("0.005"))) == "1.235"
    with pytest.raises(ValueError):
        round_to_step(D("1.00"), D("0"))
    with pytest.raises(ValueError):
        round_to_step(D("1.00"), D("-0.05"))


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_round_to_step_is_the_nearest_multiple_and_symmetric(cents):
    value = D(cents).scaleb(-2)
    result = round_to_step(value, STEP)
    assert result % STEP == 0
    assert abs(result - value) <= STEP / 2
    assert result.as_tuple().exponent == -2
    assert round_to_step(-value, STEP) == -result


# --- minor units and formatting ---------------------------------------------------------


def test_minor_units():
    assert to_minor(D("12.30")) == 1230
    assert to_minor(D("-0.05")) == -5
    assert to_minor(D("0.350"), QUANTITY_PLACES) == 350
    assert from_minor(1230) == D("12.30")
    assert str(from_minor(-5)) == "-0.05"
    assert str(from_minor(350, QUANTITY_PLACES)) == "0.350"
    with pytest.raises(AmountError):
        to_minor(D("0.001"))


def test_total_and_fmt():
    assert total([]) == D("0.00")
    assert str(total([])) == "0.00"
    assert total([D("0.10")] * 10) == D("1.00")  # 0.1 × 10 is exactly 1 here
    assert total([D("1.10"), D("-2.20")]) == D("-1.10")
    assert fmt(D("12.3")) == "12.30"
    assert fmt(D("-0.00")) == "0.00"
    assert fmt(D("-0.001")) == "0.00"
    assert fmt(D("1.005")) == "1.01"
    assert fmt(None) is None
    assert fmt(D("0.35"), QUANTITY_PLACES) == "0.350"


# --- currencies: ISO 4217 decimals and the stored scale -----------------------------------


@pytest.mark.parametrize(
    ("code", "places"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("CHF", 2),
        ("GBP", 2),
        *[(c, 0) for c in "JPY KRW ISK CLP VND XAF XOF UGX PYG".split()],
        *[(c, 3) for c in "BHD KWD OMR JOD TND LYD IQD".split()],
        ("jpy", 0),  # as typed in a form
    ],
)
def test_currency_places(code, places):
    assert currency_places(code) == places


def test_unit_of_a_currency():
    assert unit(0) == D("1")
    assert unit(2) == D("0.01")
    assert unit(3) == D("0.001")


def test_parse_with_the_currency_places():
    assert str(parse_decimal("480", places=currency_places("JPY"))) == "480"
    with pytest.raises(AmountError, match="more than 0 decimals"):
        parse_decimal("100.50", places=currency_places("JPY"))
    assert str(parse_decimal("1.099", places=currency_places("BHD"))) == "1.099"
    assert str(parse_decimal("1.1", places=3)) == "1.100"
    with pytest.raises(AmountError, match="more than 3 decimals"):
        parse_decimal("1.0995", places=3)


def test_fmt_with_the_currency_places():
    assert fmt(D("1440.00"), 0) == "1440"
    assert fmt(D("-0.4"), 0) == "0"  # rounds to zero: never "-0"
    assert fmt(D("1.1"), 3) == "1.100"
    assert fmt(D("1.099"), 3) == "1.099"


def test_stored_scale():
    assert STORED_PLACES == 3
    assert to_stored(D("12.30")) == 12300
    assert to_stored(D("480")) == 480000
    assert to_stored(D("1.099")) == 1099
    assert to_stored(D("-0.05")) == -50
    # read back with two decimals when exact: a two-decimal amount reads as it always has
    assert str(from_stored(12300)) == "12.30"
    assert str(from_stored(480000)) == "480.00"
    assert str(from_stored(1099)) == "1.099"
    assert str(from_stored(-50)) == "-0.05"
    with pytest.raises(AmountError):
        to_stored(D("0.0001"))


@given(
    st.decimals(
        min_value=D("-100000000000"),
        max_value=D("100000000000"),
        places=3,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_stored_round_trip(value):
    """Any amount with at most three decimals is stored as an exact integer and read back
    equal; with two decimals or fewer it reads with two."""
    stored = to_stored(value)
    assert isinstance(stored, int)
    back = from_stored(stored)
    assert back == value
    assert back.as_tuple().exponent in (-2, -3)
    assert fmt(back, 3) == fmt(value, 3)


def test_amounts_in_a_currencys_places():
    assert not_in_places(D("100.50"), 0)
    assert not not_in_places(D("100.00"), 0)
    assert not_in_places(D("1.099"), 2)
    assert not not_in_places(D("1.099"), 3)
    assert check_places(D("480"), 0) == D("480")
    with pytest.raises(AmountError, match=r"amount '100.50' has more than 0 decimals"):
        check_places(D("100.50"), 0)
    assert str(normal(D("480.000"))) == "480.00"
    assert str(normal(D("1.0990"))) == "1.099"
    assert str(normal(D("12.3"))) == "12.30"
