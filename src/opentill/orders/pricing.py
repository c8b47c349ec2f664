"""Order pricing: line totals, discounts, taxes and cash rounding. Pure: no Django, no I/O.

The server recomputes every order with these functions and never trusts a client total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from opentill.money import CENT, ZERO, quantize, round_to_step

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal  # percent, e.g. Decimal("21")


@dataclass(frozen=True)
class LinePrice:
    amount: Decimal  # quantity × unit price, before discount
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class OrderPrice:
    lines: tuple[LinePrice, ...]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    rounding: Decimal
    amount_due: Decimal

    def taxes_by_rate(self, rates: Sequence[Decimal]) -> dict[Decimal, tuple[Decimal, Decimal]]:
        """(net, tax) per tax rate, given the rate of each line in order."""
        result: dict[Decimal, tuple[Decimal, Decimal]] = {}
        for rate, line in zip(rates, self.lines, strict=True):
            net, tax = result.get(rate, (ZERO, ZERO))
            result[rate] = (net + line.net, tax + line.tax)
        return result


def _raw_tax(amount: Decimal, rate: Decimal, *, included: bool) -> Decimal:
    """Unrounded tax contained in (included) or owed on (excluded) ``amount``."""
    if included:
        return amount * rate / (HUNDRED + rate)
    return amount * rate / HUNDRED


def allocate(target: Decimal, raw: Sequence[Decimal]) -> list[Decimal]:
    """Round each of ``raw`` to cents so that they add up exactly to ``target``.

    Largest remainder: the cents missing (or in excess) after rounding each value go to the
    values whose rounding lost (or gained) the most.
    """
    rounded = [quantize(value) for value in raw]
    missing = int((target - sum(rounded, ZERO)) / CENT)
    if missing:
        step = CENT if missing > 0 else -CENT
        residual_order = sorted(
            range(len(raw)),
            key=lambda i: (raw[i] - rounded[i]) * (1 if missing > 0 else -1),
            reverse=True,
        )
        for i in residual_order[: abs(missing)]:
            rounded[i] += step
    return rounded


def price_order(
    lines: Sequence[LineInput],
    *,
    prices_include_tax: bool,
    tax_per_line: bool,
    cash_rounding_step: Decimal | None = None,
) -> OrderPrice:
    """Price an order. ``cash_rounding_step`` is given when the amount due is paid (at least
    partly) in cash and the currency's cash is rounded (e.g. 0.05)."""
    amounts = [quantize(line.quantity * line.unit_price, rounding=ROUND_HALF_UP) for line in lines]
    discounts = [
        quantize(amount * line.discount_percent / HUNDRED)
        for amount, line in zip(amounts, lines, strict=True)
    ]
    after = [amount - discount for amount, discount in zip(amounts, discounts, strict=True)]
    raw = [
        _raw_tax(value, line.tax_rate, included=prices_include_tax)
        for value, line in zip(after, lines, strict=True)
    ]
    if tax_per_line:
        taxes = [quantize(value) for value in raw]
    else:
        taxes = [ZERO] * len(lines)
        groups: dict[Decimal, list[int]] = defaultdict(list)
        for index, line in enumerate(lines):
            groups[line.tax_rate].append(index)
        for rate, indexes in groups.items():
            base = sum((after[i] for i in indexes), ZERO)
            group_tax = quantize(_raw_tax(base, rate, included=prices_include_tax))
            for i, value in zip(
                indexes, allocate(group_tax, [raw[i] for i in indexes]), strict=True
            ):
                taxes[i] = value

    priced: list[LinePrice] = []
    for amount, discount, value, tax in zip(amounts, discounts, after, taxes, strict=True):
        net = value - tax if prices_include_tax else value
        priced.append(
            LinePrice(amount=amount, discount=discount, net=net, tax=tax, total=net + tax)
        )

    net_total = quantize(sum((p.net for p in priced), ZERO))
    tax_total = quantize(sum((p.tax for p in priced), ZERO))
    order_total = net_total + tax_total
    due = order_total
    if cash_rounding_step is not None and cash_rounding_step > CENT:
        due = round_to_step(order_total, cash_rounding_step)
    return OrderPrice(
        lines=tuple(priced),
        net_total=net_total,
        tax_total=tax_total,
        total=order_total,
        rounding=due - order_total,
        amount_due=due,
    )
