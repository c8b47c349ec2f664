"""Exact money and quantity arithmetic: pure functions on ``Decimal``, no Django.

Amounts travel as strings ("12.30"), live as ``Decimal`` and are stored as integers in
minor units, so sums are exact on every database. Every rounding goes through
:func:`quantize` or :func:`round_to_step` with an explicit mode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_PLACES = 2
QUANTITY_PLACES = 3
RATE_PLACES = 4
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# Plain decimal notation only: no exponent, no sign on zero, no thousands separators, ASCII
# digits only (``\d`` would also accept e.g. Arabic-Indic digits, which ``Decimal`` reads).
_NUMBER = re.compile(r"^(?P<sign>-)?(?P<int>[0-9]{1,13})(?:\.(?P<frac>[0-9]+))?$")


class AmountError(ValueError):
    """A money or quantity string that is not an exact decimal of the allowed form."""


def parse_decimal(
    text: object,
    *,
    places: int = MONEY_PLACES,
    allow_negative: bool = True,
    allow_zero: bool = True,
    what: str = "amount",
) -> Decimal:
    """Parse a wire string into a ``Decimal`` with exactly ``places`` decimals.

    Refuses floats and other non-strings, exponents, NaN/Infinity, more than ``places``
    decimals, negative zero and (optionally) negatives or zero.
    """
    if not isinstance(text, str):
        raise AmountError(f'{what} must be a string such as "12.30"')
    match = _NUMBER.match(text.strip())
    if not match:
        raise AmountError(f'{what} {text!r} is not a decimal number such as "12.30"')
    frac = match.group("frac") or ""
    if len(frac) > places:
        raise AmountError(f"{what} {text!r} has more than {places} decimals")
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules these out
        raise AmountError(f"{what} {text!r} is not a number") from exc
    if match.group("sign") and value == 0:
        raise AmountError(f"{what} {text!r}: negative zero is not an amount")
    if value < 0 and not allow_negative:
        raise AmountError(f"{what} {text!r} must not be negative")
    if value == 0 and not allow_zero:
        raise AmountError(f"{what} must not be zero")
    return quantize(value, places)


def quantize(
    value: Decimal | int, places: int = MONEY_PLACES, rounding: str = ROUND_HALF_UP
) -> Decimal:
    """Round ``value`` to ``places`` decimals with ``rounding`` (half up by default)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=rounding)


def round_to_step(value: Decimal, step: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to a multiple of ``step`` (e.g. 0.05 for CHF cash), half up away from zero."""
    if step <= 0:
        raise ValueError("rounding step must be positive")
    places = max(-step.as_tuple().exponent, MONEY_PLACES)  # type: ignore[operator]
    units = (value / step).quantize(Decimal(1), rounding=rounding)
    return quantize(units * step, places)


def to_minor(value: Decimal, places: int = MONEY_PLACES) -> int:
    """``Decimal('12.30')`` → ``1230``; refuses values that are not exact at ``places``."""
    scaled = Decimal(value).scaleb(places)
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{value} is not exact to {places} decimals")
    return int(scaled)


def from_minor(value: int, places: int = MONEY_PLACES) -> Decimal:
    """``1230`` → ``Decimal('12.30')``."""
    return quantize(Decimal(int(value)).scaleb(-places), places)


def total(values: Iterable[Decimal]) -> Decimal:
    """Exact sum of amounts, ``0.00`` when empty."""
    return quantize(sum(values, ZERO))


def fmt(value: Decimal | None, places: int = MONEY_PLACES) -> str | None:
    """Render an amount for the wire: ``Decimal('12.3')`` → ``"12.30"``; ``-0`` → ``"0.00"``."""
    if value is None:
        return None
    result = quantize(value, places)
    if result == 0:
        result = abs(result)
    return f"{result:f}"
