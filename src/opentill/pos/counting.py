"""Counted amounts, by total or by denomination. Pure: no Django."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from opentill.money import MONEY_PLACES, ZERO, fmt, quantize


class CountError(ValueError):
    """A count whose total and denomination rows disagree, or that uses an unknown coin."""


@dataclass(frozen=True)
class DenominationRow:
    value: Decimal
    quantity: int


@dataclass(frozen=True)
class CountInput:
    payment_method_id: int
    counted: Decimal | None
    denominations: tuple[DenominationRow, ...] = field(default_factory=tuple)
    keep: Decimal | None = None


def denominations_total(rows: Iterable[DenominationRow]) -> Decimal:
    return quantize(sum((row.value * row.quantity for row in rows), ZERO))


def resolve_counted(
    count: CountInput, *, allowed_values: Sequence[Decimal] = (), places: int = MONEY_PLACES
) -> Decimal:
    """The counted amount: the given total, or the sum of the denomination rows; both must
    agree when both are given. ``allowed_values`` (when not empty) are the method's coins and
    notes; ``places``: the currency's decimals, for the amounts in messages."""
    if allowed_values:
        allowed = set(allowed_values)
        for row in count.denominations:
            if row.value not in allowed:
                raise CountError(
                    f"{fmt(row.value, places)} is not a denomination of this payment method"
                )
    if count.denominations:
        summed = denominations_total(count.denominations)
        if count.counted is not None and count.counted != summed:
            raise CountError(
                f"counted {fmt(count.counted, places)} differs from the denominations' sum "
                f"{fmt(summed, places)}"
            )
        return summed
    if count.counted is None:
        raise CountError("give the counted amount or the denomination rows")
    return count.counted


def opening_needs_approval(*, expected: Decimal, counted: Decimal, max_difference: Decimal) -> bool:
    """Whether an opening count differs from the float kept at the last close by more than
    the profile allows. When no float was kept (``expected`` 0.00) the count is the drawer's
    first float, not a difference to approve (the terminal says so)."""
    return expected != 0 and abs(counted - expected) > max_difference
