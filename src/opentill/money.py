"""Exact money and quantity arithmetic: pure functions on ``Decimal``, no Django.

Amounts travel as strings ("12.30"), live as ``Decimal`` and are stored as integers of
thousandths (:data:`STORED_PLACES`), so every ISO 4217 currency (0, 2 or 3 decimals) fits one
exact scale and sums are exact on every database. A currency's decimals come from
:func:`currency_places`; amounts are parsed and shown with them. Every rounding goes through
:func:`quantize` or :func:`round_to_step` with an explicit mode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_PLACES = 2  # the decimals of most currencies (EUR, USD, GBP...): the default
STORED_PLACES = 3  # every stored amount is an integer of thousandths of the currency's unit
QUANTITY_PLACES = 3
RATE_PLACES = 4
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# Plain decimal notation only: no exponent, no sign on zero, no thousands separators, ASCII
# digits only (``\d`` would also accept e.g. Arabic-Indic digits, which ``Decimal`` reads).
_NUMBER = re.compile(r"^(?P<sign>-)?(?P<int>[0-9]{1,13})(?:\.(?P<frac>[0-9]+))?$")


# ISO 4217 minor units of the currencies whose amounts do not have two decimals (the list
# of ISO 4217 as published by SIX, amendment 176). Every other code has two.
_ZERO_DECIMALS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
CURRENCY_PLACES: dict[str, int] = {
    **{code: 0 for code in _ZERO_DECIMALS},
    **{code: 3 for code in _THREE_DECIMALS},
}


def currency_places(code: str) -> int:
    """The decimals of a currency's amounts (ISO 4217 minor unit): ``"JPY"`` → 0,
    ``"EUR"`` → 2, ``"BHD"`` → 3. A code not listed has two."""
    return CURRENCY_PLACES.get(code.strip().upper(), MONEY_PLACES)


def unit(places: int) -> Decimal:
    """The smallest amount of a currency with ``places`` decimals: 1, 0.01, 0.001."""
    return Decimal(1).scaleb(-places)


def not_in_places(value: Decimal, places: int) -> bool:
    """Whether ``value`` has more decimals than ``places`` (1.099 with 2; 100.5 with 0):
    it is not an amount of a currency with ``places`` decimals."""
    return Decimal(value) % unit(places) != 0


def check_places(value: Decimal, places: int, what: str = "amount") -> Decimal:
    """``value`` when it has at most ``places`` decimals (the currency's), else
    :class:`AmountError` in the words of :func:`parse_decimal`."""
    if not_in_places(value, places):
        raise AmountError(f"{what} '{value}' has more than {places} decimals")
    return value


def normal(value: Decimal) -> Decimal:
    """An amount of any currency as OpenTill holds it: two decimals when that is exact, else
    three (``Decimal('480.000')`` → ``480.00``, ``1.0990`` → ``1.099``)."""
    exact = quantize(value, MONEY_PLACES)
    return exact if exact == value else quantize(value, STORED_PLACES)


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


def to_stored(value: Decimal) -> int:
    """An amount as stored: ``Decimal('12.30')`` → ``12300`` (thousandths); refuses an
    amount with more than :data:`STORED_PLACES` decimals."""
    return to_minor(value, STORED_PLACES)


def from_stored(value: int) -> Decimal:
    """A stored amount back: ``12300`` → ``Decimal('12.30')``, ``1099`` → ``Decimal('1.099')``.

    Read with two decimals when that is exact, else three, so an amount of a two-decimal
    currency reads as it always has; show it with :func:`fmt` and the currency's places."""
    return normal(from_minor(value, STORED_PLACES))


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
