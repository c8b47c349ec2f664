"""Order pricing: line amounts, discounts, taxes and cash rounding, under the company's
conventions. Pure: no Django, no I/O.

The server recomputes every order with these functions and never trusts a client total; the
terminal's ``money.js`` mirrors them, and both read the same worked cases
(``tests/cases/pricing.json``).

**Taxes.** A line carries zero or more taxes, applied in their ``sequence``. A tax is a
*percent* of its base or a *fixed* amount per unit (a bottle deposit, a per-unit levy). Each
tax says whether the price already includes it (``price_include``) and whether its amount
joins the base of the taxes after it (``include_base_amount``, e.g. VAT charged on an
excise). Every tax amount is affine in the line's net base ``B`` (the price without any
tax): a percent tax on a base that includes earlier taxes is ``r·(B + earlier)``, a fixed one
``quantity × amount``. The line's price after discount ``G`` equals ``B`` plus its included
taxes, which gives ``B`` exactly; the excluded taxes come on top.

**Conventions** (:class:`Conventions`, chosen per company), each a named pure function:

- *tax rounding* (:func:`round_taxes`): ``per_line`` rounds each tax of each line;
  ``global`` sums each tax's unrounded amounts over the order — sale lines and refund lines
  apart — rounds the sum once and spreads it over the lines by largest remainder.
- *discount rounding* (:func:`discount_line`): ``discount`` rounds the amount taken off
  (``round(amount × d)``); ``line`` rounds the discounted line once
  (``round(quantity × price × (1 − d))``, Odoo's convention). They differ by a cent on some
  lines.
- *cash rounding* (:func:`cash_due`): a step (0.05), a mode (``half_up``; ``up``, away from
  zero; ``down``, towards zero) and a scope: ``cash`` rounds what is left to pay in cash
  after the other methods (only when cash pays part of the order); ``all`` rounds every
  order's total whatever pays it. The difference is booked on the rounding account.

Amounts have ``places`` decimals (the currency's: 0, 2 or 3); quantities three; rates four.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from math import lcm

from opentill.money import MONEY_PLACES, ZERO, quantize

HUNDRED = Decimal(100)


def _round(value: Fraction | Decimal, places: int) -> Decimal:
    """An exact value rounded to ``places`` decimals, half away from zero (ROUND_HALF_UP)."""
    scaled = Fraction(value) * 10**places
    units = (2 * abs(scaled.numerator) + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(units if scaled >= 0 else -units).scaleb(-places)


TAX_ROUNDINGS = ("per_line", "global")
DISCOUNT_ROUNDINGS = ("discount", "line")
CASH_ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}
CASH_ROUNDING_SCOPES = ("cash", "all")


@dataclass(frozen=True)
class TaxSpec:
    """A tax as pricing needs it (``catalog.Tax``, as the catalog API sends it)."""

    id: int
    kind: str = "percent"  # "percent" or "fixed"
    rate: Decimal = ZERO  # percent, for kind "percent"
    amount: Decimal = ZERO  # per unit, for kind "fixed"
    price_include: bool = True
    include_base_amount: bool = False
    sequence: int = 10


@dataclass(frozen=True)
class Conventions:
    """The company's rounding conventions (see the module docstring)."""

    tax_rounding: str = "per_line"
    discount_rounding: str = "discount"
    cash_rounding_step: Decimal = Decimal("0.01")
    cash_rounding_mode: str = "half_up"
    cash_rounding_scope: str = "cash"
    places: int = MONEY_PLACES

    def __post_init__(self) -> None:
        if self.tax_rounding not in TAX_ROUNDINGS:
            raise ValueError(f"unknown tax rounding {self.tax_rounding!r}")
        if self.discount_rounding not in DISCOUNT_ROUNDINGS:
            raise ValueError(f"unknown discount rounding {self.discount_rounding!r}")
        if self.cash_rounding_mode not in CASH_ROUNDING_MODES:
            raise ValueError(f"unknown cash rounding mode {self.cash_rounding_mode!r}")
        if self.cash_rounding_scope not in CASH_ROUNDING_SCOPES:
            raise ValueError(f"unknown cash rounding scope {self.cash_rounding_scope!r}")
        if self.cash_rounding_step <= 0:
            raise ValueError("the cash rounding step must be positive")


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    taxes: tuple[TaxSpec, ...] = ()


@dataclass(frozen=True)
class TaxAmount:
    """One tax of one line: the base it was computed on and its amount."""

    tax_id: int
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class LinePrice:
    amount: Decimal  # quantity × unit price, before discount
    discount: Decimal
    net: Decimal  # without any tax
    tax: Decimal  # all taxes of the line
    total: Decimal  # net + tax
    taxes: tuple[TaxAmount, ...] = ()


@dataclass(frozen=True)
class OrderPrice:
    lines: tuple[LinePrice, ...]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    rounding: Decimal  # amount due − total
    amount_due: Decimal


# --- fiscal positions --------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalMap:
    """A fiscal position as pricing needs it: each mapped tax id → the tax ids that replace
    it (an empty tuple exempts it); each mapped income account → its replacement."""

    taxes: Mapping[int, tuple[int, ...]]
    accounts: Mapping[int, int]


def ordered(taxes: Iterable[TaxSpec]) -> tuple[TaxSpec, ...]:
    """Taxes in the order they apply: by sequence, then id."""
    return tuple(sorted(taxes, key=lambda t: (t.sequence, t.id)))


@lru_cache(maxsize=1024)
def _ordered(taxes: tuple[TaxSpec, ...]) -> tuple[TaxSpec, ...]:
    """:func:`ordered` of a line's taxes, once per set of taxes."""
    return ordered(taxes)


def map_taxes(
    taxes: Iterable[TaxSpec], position: FiscalMap | None, known: Mapping[int, TaxSpec]
) -> tuple[TaxSpec, ...]:
    """The taxes of a line under a fiscal position (none: unchanged), in the order they
    apply, each at most once."""
    result: dict[int, TaxSpec] = {}
    for tax in taxes:
        if position is not None and tax.id in position.taxes:
            for dest in position.taxes[tax.id]:
                result[dest] = known[dest]
        else:
            result[tax.id] = tax
    return ordered(result.values())


def map_line(
    line: LineInput, position: FiscalMap | None, known: Mapping[int, TaxSpec], places: int
) -> LineInput:
    """A line as the order's fiscal position charges it: its taxes replaced and, when the
    price-included taxes change, its unit price stripped of the old ones and given the new
    ones, so that the price without tax stays the same (an export customer exempted from an
    included VAT pays the net price; 5.30 with 12 % included becomes 5.02 with 6 %)."""
    if position is None:
        return line
    taxes = map_taxes(line.taxes, position, known)
    before = [t.id for t in line.taxes if t.price_include]
    after = [t.id for t in taxes if t.price_include]
    price = line.unit_price
    if before != after:
        net, _ = _net_and_taxes(price, Decimal(1), line.taxes)
        included = _included(taxes, _coefficients(taxes, Decimal(1)))
        price = _round(net * (1 + included[0]) + included[1], places)
    return LineInput(line.quantity, price, line.discount_percent, taxes)


def map_account(account_id: int, position: FiscalMap | None) -> int:
    """The income account of a line under a fiscal position."""
    if position is None:
        return account_id
    return position.accounts.get(account_id, account_id)


# --- the conventions ---------------------------------------------------------------------


def discount_line(
    amount: Decimal,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    *,
    convention: str,
    places: int,
) -> tuple[Decimal, Decimal]:
    """(discount, line amount after discount) under the discount rounding convention."""
    if discount_percent == 0:
        return quantize(ZERO, places), amount
    if convention == "line":
        after = quantize(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED, places)
        return amount - after, after
    discount = quantize(amount * discount_percent / HUNDRED, places)
    return discount, amount - discount


@lru_cache(maxsize=256)
def _rate(tax: TaxSpec) -> Fraction:
    return Fraction(tax.rate)


def _coefficients(taxes: Sequence[TaxSpec], quantity: Decimal) -> list[tuple[Fraction, Fraction]]:
    """Each tax amount as ``a·B + b``, B being the line's net base (its price without any
    tax): a percent tax on a base that includes earlier taxes, or a fixed one. Exact."""
    coefficients: list[tuple[Fraction, Fraction]] = []
    carried_a, carried_b = Fraction(0), Fraction(0)  # earlier amounts that join the base
    for tax in taxes:
        if tax.kind == "fixed":
            a, b = Fraction(0), Fraction(quantity) * Fraction(tax.amount)
        else:
            a = (1 + carried_a) * Fraction(tax.rate) / 100
            b = carried_b * Fraction(tax.rate) / 100
        coefficients.append((a, b))
        if tax.include_base_amount:
            carried_a, carried_b = carried_a + a, carried_b + b
    return coefficients


def _included(
    taxes: Sequence[TaxSpec], coefficients: Sequence[tuple[Fraction, Fraction]]
) -> tuple[Fraction, Fraction]:
    """The price-included taxes together, as ``a·B + b``."""
    pairs = [c for c, t in zip(coefficients, taxes, strict=True) if t.price_include]
    return sum((a for a, _ in pairs), Fraction(0)), sum((b for _, b in pairs), Fraction(0))


def _net_and_taxes(
    gross: Decimal, quantity: Decimal, taxes: Sequence[TaxSpec]
) -> tuple[Fraction, list[Fraction]]:
    """The exact net base and amount of each tax of a line whose price after discount is
    ``gross`` (which holds its price-included taxes), as rationals: rounded only where an
    amount is quantized (at 50 digits an exact half cent can fall a hair below the half)."""
    if not taxes:
        return Fraction(gross), []
    if all(t.kind == "percent" and not t.include_base_amount for t in taxes):
        # The usual case, in fewer rational operations: every tax is rate × net, and the
        # net is gross / (1 + the included rates).
        net = Fraction(gross) * 100 / (100 + sum(_rate(t) for t in taxes if t.price_include))
        return net, [net * _rate(t) / 100 for t in taxes]
    coefficients = _coefficients(taxes, quantity)
    a, b = _included(taxes, coefficients)
    net = (Fraction(gross) - b) / (1 + a)
    return net, [ta * net + tb for ta, tb in coefficients]


@lru_cache(maxsize=1024)
def _percent_plan(taxes: tuple[TaxSpec, ...]) -> tuple[int, tuple[int, ...]] | None:
    """The integer plan of a line whose taxes are all percent taxes outside each other's
    base (the usual case), or ``None``: each tax amount is ``gross × r / (100 + R)`` (``R``
    the included rates together), so with every rate scaled to a common integer ``rᵢ·s``
    the amounts are ``gross × ints[i] / denominator``, exactly."""
    if not taxes or not all(t.kind == "percent" and not t.include_base_amount for t in taxes):
        return None
    ratios = [t.rate.as_integer_ratio() for t in taxes]
    scale = lcm(*(d for _, d in ratios))
    ints = tuple(n * (scale // d) for n, d in ratios)
    denominator = 100 * scale + sum(i for i, t in zip(ints, taxes, strict=True) if t.price_include)
    if denominator <= 0:  # no net base: the exact path says why (division by zero)
        return None
    return denominator, ints


def _percent_taxes(gross: Decimal, plan: tuple[int, tuple[int, ...]], places: int) -> list[Decimal]:
    """Each tax of a line priced by :func:`_percent_plan`, rounded half away from zero to
    ``places``: integers only, the same figures as :func:`_round` of the exact rationals
    (``(2·|n| + d) // (2·d)`` is the rounding of ``n/d`` whatever the fraction's terms)."""
    denominator, ints = plan
    numerator, den = gross.as_integer_ratio()
    d = den * denominator
    twice = 2 * d
    numerator *= 10**places
    out = []
    for rate in ints:
        n = numerator * rate
        units = (2 * n + d) // twice if n >= 0 else -((d - 2 * n) // twice)
        out.append(Decimal(units).scaleb(-places))
    return out


def allocate(
    target: Decimal, raw: Sequence[Fraction | Decimal], places: int = MONEY_PLACES
) -> list[Decimal]:
    """Round each of ``raw`` to ``places`` so that they add up exactly to ``target``.

    Largest remainder: the units missing (or in excess) after rounding each value go to the
    values whose rounding lost (or gained) the most; ties to the earlier value.
    """
    unit = Decimal(1).scaleb(-places)
    rounded = [_round(value, places) for value in raw]
    missing = int((target - sum(rounded, ZERO)) / unit)
    if missing:
        step = unit if missing > 0 else -unit
        sign = 1 if missing > 0 else -1
        residual_order = sorted(
            range(len(raw)), key=lambda i: (-(Fraction(raw[i]) - Fraction(rounded[i])) * sign, i)
        )
        for i in residual_order[: abs(missing)]:
            rounded[i] += step
    return rounded


def round_taxes(
    raw: Sequence[Sequence[tuple[int, Fraction | Decimal]]],
    refund: Sequence[bool],
    *,
    convention: str,
    places: int,
) -> list[list[Decimal]]:
    """Round the unrounded tax amounts of each line (``raw[line] = [(tax id, amount)]``)
    under the tax rounding convention; ``refund[line]`` says which lines are refunds."""
    rounded = [[_round(amount, places) for _, amount in line] for line in raw]
    if convention == "per_line":
        return rounded
    groups: dict[tuple[int, bool], list[tuple[int, int]]] = defaultdict(list)
    for i, line in enumerate(raw):
        for k, (tax_id, _) in enumerate(line):
            groups[(tax_id, refund[i])].append((i, k))
    for members in groups.values():
        values = [raw[i][k][1] for i, k in members]
        target = _round(sum((Fraction(v) for v in values), Fraction(0)), places)
        for (i, k), value in zip(members, allocate(target, values, places), strict=True):
            rounded[i][k] = value
    return rounded


def round_cash(value: Decimal, step: Decimal, mode: str, places: int) -> Decimal:
    """``value`` to a multiple of ``step`` in the mode: ``half_up`` (half away from zero),
    ``up`` (away from zero) or ``down`` (towards zero)."""
    units = (value / step).quantize(Decimal(1), rounding=CASH_ROUNDING_MODES[mode])
    return quantize(units * step, places)


def cash_due(total: Decimal, *, conventions: Conventions, cash_after: Decimal | None) -> Decimal:
    """The amount due of an order of ``total`` under the cash rounding convention.

    ``cash_after`` is what the other methods pay when cash pays the rest (``None``: no
    cash). Scope ``cash``: the cash remainder is rounded (15.72 with 0.68 by card: 15.04 in
    cash → 15.05, due 15.73). Scope ``all``: the total is rounded whatever pays it.
    """
    c = conventions
    unit = Decimal(1).scaleb(-c.places)
    if c.cash_rounding_step <= unit:
        return total
    if c.cash_rounding_scope == "all":
        return round_cash(total, c.cash_rounding_step, c.cash_rounding_mode, c.places)
    if cash_after is None:
        return total
    remainder = total - cash_after
    return cash_after + round_cash(remainder, c.cash_rounding_step, c.cash_rounding_mode, c.places)


# --- the order ---------------------------------------------------------------------------


def price_order(
    lines: Sequence[LineInput],
    *,
    conventions: Conventions = Conventions(),
    cash_after: Decimal | None = None,
    fast: bool = True,
) -> OrderPrice:
    """Price an order under the company's conventions.

    ``cash_after``: when cash pays (part of) the order, what the other methods pay (``ZERO``
    when cash pays all of it); ``None`` when no cash is involved. ``fast`` (the default):
    lines whose taxes are all percent taxes outside each other's base, rounded per line, are
    priced in integers (:func:`_percent_taxes`) — the same figures as the exact rationals,
    which ``fast=False`` uses for every line (the tests compare both).
    """
    places = conventions.places
    zero = quantize(ZERO, places)
    lines = [
        LineInput(x.quantity, x.unit_price, x.discount_percent, _ordered(tuple(x.taxes)))
        for x in lines
    ]
    per_line = fast and conventions.tax_rounding == "per_line"
    raws: list[list[tuple[int, Fraction]]] = []
    quick: dict[int, list[Decimal]] = {}  # line index → its rounded taxes (the fast path)
    afters: list[Decimal] = []
    head: list[tuple[Decimal, Decimal]] = []
    for index, line in enumerate(lines):
        amount = quantize(line.quantity * line.unit_price, places)
        discount, after = discount_line(
            amount,
            line.quantity,
            line.unit_price,
            line.discount_percent,
            convention=conventions.discount_rounding,
            places=places,
        )
        head.append((amount, discount))
        afters.append(after)
        plan = _percent_plan(line.taxes) if per_line else None
        if plan is not None:
            quick[index] = _percent_taxes(after, plan, places)
            raws.append([])
            continue
        _, raw_amounts = _net_and_taxes(after, line.quantity, line.taxes)
        raws.append([(t.id, a) for t, a in zip(line.taxes, raw_amounts, strict=True)])
    refund = [line.quantity < 0 for line in lines]
    rounded = round_taxes(raws, refund, convention=conventions.tax_rounding, places=places)
    for index, taxes in quick.items():
        rounded[index] = taxes

    priced: list[LinePrice] = []
    for line, (amount, discount), after, taxes in zip(lines, head, afters, rounded, strict=True):
        included = sum((a for a, t in zip(taxes, line.taxes, strict=True) if t.price_include), zero)
        net = after - included
        tax = sum(taxes, zero)
        # Each tax's base: the net plus the earlier amounts that join the base, as rounded.
        amounts: list[TaxAmount] = []
        carried = zero
        for spec, value in zip(line.taxes, taxes, strict=True):
            amounts.append(TaxAmount(spec.id, net + carried, value))
            if spec.include_base_amount:
                carried += value
        priced.append(
            LinePrice(
                amount=amount,
                discount=discount,
                net=net,
                tax=tax,
                total=net + tax,
                taxes=tuple(amounts),
            )
        )
    net_total = sum((p.net for p in priced), zero)
    tax_total = sum((p.tax for p in priced), zero)
    order_total = net_total + tax_total
    due = cash_due(order_total, conventions=conventions, cash_after=cash_after)
    return OrderPrice(
        lines=tuple(priced),
        net_total=net_total,
        tax_total=tax_total,
        total=order_total,
        rounding=due - order_total,
        amount_due=due,
    )
