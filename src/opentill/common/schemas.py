"""Wire types shared by every API: money and quantities are strings, parsed exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from opentill.common.text import check_text
from opentill.money import parse_decimal

# AmountError and TextError are ValueErrors: pydantic reports their message as the
# field's validation error, so the checks are used as validators as they are.


def _money(value: Any) -> Decimal:
    return parse_decimal(value)


def _money_non_negative(value: Any) -> Decimal:
    return parse_decimal(value, allow_negative=False)


_MONEY_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^-?\d{1,13}(\.\d{1,2})?$", "examples": ["12.30"]}
)

Money = Annotated[Decimal, BeforeValidator(_money), _MONEY_SCHEMA]
"""An amount as a string with at most two decimals: "12.30", "-4.00"."""

MoneyNonNegative = Annotated[Decimal, BeforeValidator(_money_non_negative), _MONEY_SCHEMA]


def _multiline(value: str) -> str:
    return check_text(value, multiline=True)


Text = Annotated[str, AfterValidator(check_text)]
"""Free text on one line (a reason, a destination): no control characters."""

MultilineText = Annotated[str, AfterValidator(_multiline)]
"""Free text that may span lines (notes): no control characters but newline and tab."""
