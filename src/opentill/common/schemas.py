"""Wire types shared by every API: money and quantities are strings, parsed exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, WithJsonSchema

from opentill.common.text import check_text
from opentill.money import STORED_PLACES, normal, parse_decimal

# AmountError and TextError are ValueErrors: pydantic reports their message as the
# field's validation error, so the checks are used as validators as they are.


# The wire takes up to three decimals (the most any ISO 4217 currency has); the service that
# knows the company checks the currency's own (``opentill.money.check_places``).
def _money(value: Any) -> Decimal:
    return normal(parse_decimal(value, places=STORED_PLACES))


def _money_non_negative(value: Any) -> Decimal:
    return normal(parse_decimal(value, places=STORED_PLACES, allow_negative=False))


_MONEY_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "pattern": r"^-?\d{1,13}(\.\d{1,3})?$",
        "description": "at most the decimals of the company's currency (JPY 0, EUR 2, BHD 3)",
        "examples": ["12.30"],
    }
)

Money = Annotated[Decimal, BeforeValidator(_money), _MONEY_SCHEMA]
"""An amount as a string with at most the currency's decimals: "12.30", "-4.00"."""

MoneyNonNegative = Annotated[Decimal, BeforeValidator(_money_non_negative), _MONEY_SCHEMA]


def _multiline(value: str) -> str:
    return check_text(value, multiline=True)


Text = Annotated[str, AfterValidator(check_text)]
"""Free text on one line (a reason, a destination): no control characters."""

MultilineText = Annotated[str, AfterValidator(_multiline)]
"""Free text that may span lines (notes): no control characters but newline and tab."""


# --- problem responses in the OpenAPI document ---------------------------------------------


class ProblemError(Schema):
    loc: list[str | int] = Field(..., description='where: e.g. ["body", "counts", 0, "amount"]')
    msg: str


class ProblemOut(Schema):
    """An RFC 9457 problem document: every error the API answers is one."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(..., examples=["https://opentill.org/problems/not-found"])
    title: str
    status: int
    detail: str = Field(..., description="what is wrong, in plain words")
    code: str = Field(..., description="stable and machine-readable: see the status's codes")
    errors: list[ProblemError] | None = Field(
        None, description="validation errors (422 validation_error): where and why"
    )
    retry_after: int | None = Field(
        None, description="seconds to wait before trying again (429, 503), as in Retry-After"
    )


def problems(*statuses: int, public: bool = False) -> dict[int, type[ProblemOut]]:
    """The problem responses an operation can give, for its ``response=`` mapping: the
    statuses named, plus 503 (the database may be unavailable) and, unless ``public``,
    401 (no valid token)."""
    every = {*statuses, 503} | (set() if public else {401})
    return {status: ProblemOut for status in sorted(every)}
