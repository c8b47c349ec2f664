"""Wire types shared by every API: money and quantities are strings, parsed exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from opentill.common.text import TextError, check_text
from opentill.money import AmountError, parse_decimal


def _money(value: Any) -> Decimal:
    try:
        return parse_decimal(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from None


def _money_non_negative(value: Any) -> Decimal:
    try:
        return parse_decimal(value, allow_negative=False)
    except AmountError as exc:
        raise ValueError(str(exc)) from None


_MONEY_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^-?\d{1,13}(\.\d{1,2})?$", "examples": ["12.30"]}
)

Money = Annotated[Decimal, BeforeValidator(_money), _MONEY_SCHEMA]
"""An amount as a string with at most two decimals: "12.30", "-4.00"."""

MoneyNonNegative = Annotated[Decimal, BeforeValidator(_money_non_negative), _MONEY_SCHEMA]


def _one_line(value: str) -> str:
    try:
        return check_text(value)
    except TextError as exc:
        raise ValueError(str(exc)) from None


def _multiline(value: str) -> str:
    try:
        return check_text(value, multiline=True)
    except TextError as exc:
        raise ValueError(str(exc)) from None


Text = Annotated[str, AfterValidator(_one_line)]
"""Free text on one line (a reason, a destination): no control characters."""

MultilineText = Annotated[str, AfterValidator(_multiline)]
"""Free text that may span lines (notes): no control characters but newline and tab."""
