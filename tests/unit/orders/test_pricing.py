"""opentill.orders.pricing: line totals, discounts, taxes, cash rounding. Pure: no database."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentill.orders.pricing import (
    Conventions,
    FiscalMap,
    LineInput,
    OrderPrice,
    TaxSpec,
    allocate,
    map_line,
    price_order,
)
from tests.conftest import examples

D = Decimal
STEP = D("0.05")
CENT = D("0.01")


def vat(rate: Decimal | str) -> TaxSpec:
    """A percent tax of ``rate``; its id is the rate in hundredths (21 % → 2100)."""
    return TaxSpec(id=int(D(rate) * 100), rate=D(rate))


def line(quantity: str, price: str, rate: str, discount: str = "0") -> LineInput:
    return LineInput(D(quantity), D(price), D(discount), (vat(rate),))


def rate_of(given: LineInput) -> Decimal:
    return given.taxes[0].rate


def priced(
    lines: list[LineInput],
    *,
    prices_include_tax: bool,
    tax_per_line: bool,
    cash_rounding_step: Decimal | None = None,
) -> OrderPrice:
    """One percent tax per line, every tax included or every tax on top (what a company
    with one switch had), paid all in cash when a cash rounding step is given."""
    flagged = [
        LineInput(
            x.quantity,
            x.unit_price,
            x.discount_percent,
            tuple(TaxSpec(t.id, rate=t.rate, price_include=prices_include_tax) for t in x.taxes),
        )
        for x in lines
    ]
    return price_order(
        flagged,
        conventions=Conventions(
            tax_rounding="per_line" if tax_per_line else "global",
            cash_rounding_step=cash_rounding_step or CENT,
        ),
        cash_after=D("0.00") if cash_rounding_step else None,
    )


def taxes_by_rate(price: OrderPrice, rates: list[Any]) -> dict[Any, tuple[Decimal, Decimal]]:
    result: dict[Any, tuple[Decimal, Decimal]] = {}
    for rate, p in zip(rates, price.lines, strict=True):
        net, tax = result.get(rate, (D("0.00"), D("0.00")))
        result[rate] = (net + p.net, tax + p.tax)
    return result


def amounts_of(price: OrderPrice) -> list[Decimal]:
    values = [price.net_total, price.tax_total, price.total, price.rounding, price.amount_due]
    for p in price.lines:
        values += [p.amount, p.discount, p.net, p.tax, p.total]
    return values


def assert_consistent(price: OrderPrice) -> None:
    for value in amounts_of(price):
        assert value.as_tuple().exponent == -2, value
    assert price.net_total + price.tax_total == price.total
    assert sum((p.total for p in price.lines), D("0.00")) == price.total
    for p in price.lines:
        assert p.net + p.tax == p.total
    assert price.total + price.rounding == price.amount_due


# --- a worked example, by hand -------------------------------------------------------------

# Prices include tax (the demo shop's setting):
#   2     × espresso 2.20 at  6 %          amount 4.40, no discount
#                                          tax 4.40 × 6/106  = 0.24905… → 0.25, net 4.15
#   1     × mug 9.90 at 21 %, 10 % off     amount 9.90, discount 0.99, after 8.91
#                                          tax 8.91 × 21/121 = 1.54636… → 1.55, net 7.36
#   0.350 × cheese 12.99/kg at 6 %         amount 4.5465 → 4.55
#                                          tax 4.55 × 6/106  = 0.25754… → 0.26, net 4.29
#   net 4.15 + 7.36 + 4.29 = 15.80; tax 0.25 + 1.55 + 0.26 = 2.06; total 17.86
#   paid in cash, 0.05 steps: 17.86 / 0.05 = 357.2 → 357 × 0.05 = 17.85; rounding −0.01
WORKED = [line("2", "2.20", "6"), line("1", "9.90", "21", "10"), line("0.350", "12.99", "6")]


def test_worked_example_prices_include_tax_per_line():
    price = priced(WORKED, prices_include_tax=True, tax_per_line=True)
    assert [(p.amount, p.discount, p.net, p.tax, p.total) for p in price.lines] == [
        (D("4.40"), D("0.00"), D("4.15"), D("0.25"), D("4.40")),
        (D("9.90"), D("0.99"), D("7.36"), D("1.55"), D("8.91")),
        (D("4.55"), D("0.00"), D("4.29"), D("0.26"), D("4.55")),
    ]
    assert price.net_total == D("15.80")
    assert price.tax_total == D("2.06")
    assert price.total == D("17.86")
    # Not paid in cash: no rounding.
    assert price.rounding == D("0.00")
    assert price.amount_due == D("17.86")
    assert taxes_by_rate(price, [D("6"), D("21"), D("6")]) == {
        D("6"): (D("8.44"), D("0.51")),
        D("21"): (D("7.36"), D("1.55")),
    }
    assert_consistent(price)


def test_worked_example_paid_in_cash_rounds_to_005():
    price = priced(WORKED, prices_include_tax=True, tax_per_line=True, cash_rounding_step=STEP)
    assert price.total == D("17.86")
    assert price.amount_due == D("17.85")
    assert price.rounding == D("-0.01")
    assert_consistent(price)


def test_worked_example_per_total_matches_here():
    # Per total: 6 % base 4.40 + 4.55 = 8.95, tax 8.95 × 6/106 = 0.50660… → 0.51 (as per line).
    price = priced(WORKED, prices_include_tax=True, tax_per_line=False)
    assert price.tax_total == D("2.06")
    assert price.total == D("17.86")
    assert_consistent(price)


def test_tax_per_line_and_per_total_differ():
    # Three 1.00 items at 21 %, tax included.
    # Per line: 1.00 × 21/121 = 0.17355… → 0.17 each, 0.51 in all.
    # Per total: 3.00 × 21/121 = 0.52066… → 0.52, the missing cent going to one line.
    lines = [line("1", "1.00", "21")] * 3
    per_line = priced(lines, prices_include_tax=True, tax_per_line=True)
    assert [p.tax for p in per_line.lines] == [D("0.17")] * 3
    assert per_line.tax_total == D("0.51")
    assert per_line.net_total == D("2.49")
    assert per_line.total == D("3.00")
    per_total = priced(lines, prices_include_tax=True, tax_per_line=False)
    assert sorted(p.tax for p in per_total.lines) == [D("0.17"), D("0.17"), D("0.18")]
    assert per_total.tax_total == D("0.52")
    assert per_total.net_total == D("2.48")
    assert per_total.total == D("3.00")  # tax included: the total does not move
    assert_consistent(per_line)
    assert_consistent(per_total)


def test_prices_exclude_tax():
    # Three 0.50 items at 21 % on top: per line 0.105 → 0.11 each (half up) = 0.33;
    # per total 1.50 × 0.21 = 0.315 → 0.32. The total includes the tax: 1.83 vs 1.82.
    lines = [line("1", "0.50", "21")] * 3
    per_line = priced(lines, prices_include_tax=False, tax_per_line=True)
    assert [(p.net, p.tax, p.total) for p in per_line.lines] == [
        (D("0.50"), D("0.11"), D("0.61"))
    ] * 3
    assert (per_line.net_total, per_line.tax_total, per_line.total) == (
        D("1.50"),
        D("0.33"),
        D("1.83"),
    )
    per_total = priced(lines, prices_include_tax=False, tax_per_line=False)
    assert (per_total.net_total, per_total.tax_total, per_total.total) == (
        D("1.50"),
        D("0.32"),
        D("1.82"),
    )
    assert_consistent(per_line)
    assert_consistent(per_total)


def test_prices_exclude_tax_mixed_rates_and_zero_rate():
    # 2 × 10.00 at 6 % → tax 1.20; 1 × 4.99 at 21 % → 1.0479 → 1.05; 1 × 3.00 at 0 % → 0.
    lines = [line("2", "10.00", "6"), line("1", "4.99", "21"), line("1", "3.00", "0")]
    price = priced(lines, prices_include_tax=False, tax_per_line=True)
    assert [p.tax for p in price.lines] == [D("1.20"), D("1.05"), D("0.00")]
    assert price.net_total == D("27.99")
    assert price.tax_total == D("2.25")
    assert price.total == D("30.24")
    assert_consistent(price)


def test_discounts():
    # 3 × 3.33 = 9.99, 15 % off: 1.4985 → 1.50, after 8.49; tax included at 6 %:
    # 8.49 × 6/106 = 0.48056… → 0.48, net 8.01.
    price = priced([line("3", "3.33", "6", "15")], prices_include_tax=True, tax_per_line=True)
    (p,) = price.lines
    assert (p.amount, p.discount, p.net, p.tax, p.total) == (
        D("9.99"),
        D("1.50"),
        D("8.01"),
        D("0.48"),
        D("8.49"),
    )
    # 100 % off: nothing to pay, no tax.
    free = priced([line("2", "9.90", "21", "100")], prices_include_tax=True, tax_per_line=True)
    assert (free.total, free.tax_total, free.amount_due) == (D("0.00"), D("0.00"), D("0.00"))
    # A fractional discount (12.5 %) on prices without tax: 19.99 × 0.125 = 2.49875 → 2.50,
    # after 17.49, 21 % tax 3.6729 → 3.67, total 21.16.
    frac = priced([line("1", "19.99", "21", "12.5")], prices_include_tax=False, tax_per_line=True)
    assert (frac.lines[0].discount, frac.net_total, frac.tax_total, frac.total) == (
        D("2.50"),
        D("17.49"),
        D("3.67"),
        D("21.16"),
    )
    assert_consistent(price)
    assert_consistent(free)
    assert_consistent(frac)


def test_refunds_with_negative_quantities_mirror_sales():
    # Refund of 2 espressos: −4.40, tax −0.25, net −4.15.
    refund = priced([line("-2", "2.20", "6")], prices_include_tax=True, tax_per_line=True)
    (p,) = refund.lines
    assert (p.amount, p.net, p.tax, p.total) == (D("-4.40"), D("-4.15"), D("-0.25"), D("-4.40"))
    assert refund.total == D("-4.40")
    # Refund of a 9.99 item at 21 % paid back in cash: −9.99 → −10.00 (half a step away
    # from zero would be −9.975; −9.99 is nearer −10.00), rounding −0.01.
    cash = priced(
        [line("-1", "9.99", "21")],
        prices_include_tax=True,
        tax_per_line=True,
        cash_rounding_step=STEP,
    )
    assert cash.total == D("-9.99")
    assert cash.tax_total == D("-1.73")  # 9.99 × 21/121 = 1.73380… → 1.73
    assert cash.net_total == D("-8.26")
    assert cash.amount_due == D("-10.00")
    assert cash.rounding == D("-0.01")
    # A sale and its refund in one order cancel exactly.
    both = priced(
        [line("3", "2.95", "6", "10"), line("-3", "2.95", "6", "10")],
        prices_include_tax=True,
        tax_per_line=False,
    )
    assert (both.net_total, both.tax_total, both.total) == (D("0.00"), D("0.00"), D("0.00"))
    for value in (refund, cash, both):
        assert_consistent(value)


@pytest.mark.parametrize(
    ("total", "due", "rounding"),
    [
        ("1.00", "1.00", "0.00"),
        ("1.01", "1.00", "-0.01"),
        ("1.02", "1.00", "-0.02"),
        ("1.03", "1.05", "0.02"),
        ("1.04", "1.05", "0.01"),
        ("1.06", "1.05", "-0.01"),
        ("1.08", "1.10", "0.02"),
        ("-1.02", "-1.00", "0.02"),
        ("-1.03", "-1.05", "-0.02"),
        ("0.02", "0.00", "-0.02"),
    ],
)
def test_cash_rounding_of_the_amount_due(total, due, rounding):
    price = priced(
        [line("1" if D(total) > 0 else "-1", str(abs(D(total))), "0")],
        prices_include_tax=True,
        tax_per_line=True,
        cash_rounding_step=STEP,
    )
    assert price.total == D(total)
    assert price.amount_due == D(due)
    assert price.rounding == D(rounding)
    assert_consistent(price)


def test_no_cash_rounding_with_a_one_cent_step_or_none():
    for step in (None, CENT):
        price = priced(
            [line("1", "1.02", "21")],
            prices_include_tax=True,
            tax_per_line=True,
            cash_rounding_step=step,
        )
        assert (price.amount_due, price.rounding) == (D("1.02"), D("0.00"))


def test_fractional_quantities_round_the_line_amount_half_up():
    # 0.125 × 0.20 = 0.025 → 0.03; −0.125 × 0.20 = −0.025 → −0.03.
    up = priced([line("0.125", "0.20", "0")], prices_include_tax=True, tax_per_line=True)
    down = priced([line("-0.125", "0.20", "0")], prices_include_tax=True, tax_per_line=True)
    assert up.total == D("0.03")
    assert down.total == D("-0.03")


def test_empty_order():
    price = priced([], prices_include_tax=True, tax_per_line=False, cash_rounding_step=STEP)
    assert (price.net_total, price.tax_total, price.total, price.amount_due) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert price.lines == ()


def test_allocate_distributes_the_missing_cents():
    assert allocate(D("0.52"), [D("0.1735"), D("0.1735"), D("0.1735")]) == [
        D("0.18"),
        D("0.17"),
        D("0.17"),
    ]
    # Too many cents after rounding (0.005 → 0.01 twice): one of the values that gained
    # most gives its cent back.
    assert sorted(allocate(D("0.01"), [D("0.005"), D("0.005"), D("0.0")])) == [
        D("0.00"),
        D("0.00"),
        D("0.01"),
    ]
    assert sum(allocate(D("-0.52"), [D("-0.1735")] * 3)) == D("-0.52")
    assert allocate(D("0.00"), []) == []


# --- properties over random orders -------------------------------------------------------

RATES = [D("0"), D("6"), D("21")]

quantities = (
    st.integers(min_value=-99_999, max_value=99_999)
    .filter(bool)
    .map(
        lambda n: D(n).scaleb(-3)  # up to 3 decimals, negative for refunds
    )
)
prices = st.integers(min_value=0, max_value=999_999).map(lambda n: D(n).scaleb(-2))
discounts = st.one_of(
    st.just(D("0")),
    st.sampled_from([D("5"), D("10"), D("12.5"), D("33.3333"), D("50"), D("100")]),
    st.integers(min_value=0, max_value=1_000_000).map(lambda n: D(n).scaleb(-4)),
)
lines_strategy = st.lists(
    st.builds(
        lambda quantity, price, discount, rate: LineInput(quantity, price, discount, (vat(rate),)),
        quantities,
        prices,
        discounts,
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=12,
)


def _expected_rate_tax(base: Decimal, rate: Decimal, included: bool) -> Decimal:
    raw = base * rate / (100 + rate) if included else base * rate / 100
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=examples(200), deadline=None)
@given(
    lines=lines_strategy,
    included=st.booleans(),
    per_line=st.booleans(),
    step=st.sampled_from([None, STEP]),
    data=st.data(),
)
def test_price_order_properties(lines, included, per_line, step, data):
    price = priced(
        lines, prices_include_tax=included, tax_per_line=per_line, cash_rounding_step=step
    )
    assert len(price.lines) == len(lines)

    # Every amount has exactly two decimals, and the totals add up exactly.
    for value in amounts_of(price):
        assert value.as_tuple().exponent == -2, value
    assert price.net_total + price.tax_total == price.total
    assert sum((p.total for p in price.lines), D("0.00")) == price.total
    assert sum((p.net for p in price.lines), D("0.00")) == price.net_total
    assert sum((p.tax for p in price.lines), D("0.00")) == price.tax_total

    # Each line: amount = quantity × price rounded half up; discount of that amount.
    for given_line, p in zip(lines, price.lines, strict=True):
        amount = (given_line.quantity * given_line.unit_price).quantize(CENT, ROUND_HALF_UP)
        discount = (amount * given_line.discount_percent / 100).quantize(CENT, ROUND_HALF_UP)
        assert p.amount == amount
        assert p.discount == discount
        assert p.net + p.tax == p.total
        # Included: the tax is inside the discounted amount; excluded: it comes on top.
        assert (p.total if included else p.net) == amount - discount
        if rate_of(given_line) == 0:
            assert p.tax == 0
        if per_line:
            assert p.tax == _expected_rate_tax(amount - discount, rate_of(given_line), included)

    # Global: the tax of each rate, sale lines and refund lines apart, is the rounded tax of
    # the group's base.
    rates = [(rate_of(ln), ln.quantity < 0) for ln in lines]
    by_rate = taxes_by_rate(price, rates)
    bases: dict[tuple[Decimal, bool], Decimal] = defaultdict(lambda: D("0.00"))
    for key, p in zip(rates, price.lines, strict=True):
        bases[key] += p.amount - p.discount
    assert set(by_rate) == set(bases)
    for rate, (net, tax) in by_rate.items():
        assert (net + tax if included else net) == bases[rate]
        if not per_line:
            assert tax == _expected_rate_tax(bases[rate], rate[0], included)

    # Cash rounding: a multiple of the step, never more than half a step away.
    if step is None:
        assert price.rounding == 0
        assert price.amount_due == price.total
    else:
        assert price.amount_due % step == 0
        assert abs(price.rounding) <= step / 2
        assert price.amount_due - price.rounding == price.total

    # The same lines in another order give the same sums (in both tax modes).
    permuted = data.draw(st.permutations(lines))
    again = priced(
        permuted, prices_include_tax=included, tax_per_line=per_line, cash_rounding_step=step
    )
    assert (again.net_total, again.tax_total, again.total, again.rounding, again.amount_due) == (
        price.net_total,
        price.tax_total,
        price.total,
        price.rounding,
        price.amount_due,
    )
    assert taxes_by_rate(again, [(rate_of(ln), ln.quantity < 0) for ln in permuted]) == by_rate


@settings(max_examples=examples(200), deadline=None)
@given(
    lines=lines_strategy,
    included=st.booleans(),
    per_line=st.booleans(),
    step=st.sampled_from([None, STEP]),
)
def test_a_refund_is_the_exact_mirror_of_the_sale(lines, included, per_line, step):
    sale = priced(
        lines, prices_include_tax=included, tax_per_line=per_line, cash_rounding_step=step
    )
    mirrored = [
        LineInput(-ln.quantity, ln.unit_price, ln.discount_percent, ln.taxes) for ln in lines
    ]
    refund = priced(
        mirrored, prices_include_tax=included, tax_per_line=per_line, cash_rounding_step=step
    )
    assert refund.total == -sale.total
    assert refund.net_total == -sale.net_total
    assert refund.tax_total == -sale.tax_total
    assert refund.amount_due == -sale.amount_due
    assert refund.rounding == -sale.rounding


# --- the cases the terminal is tested on too -----------------------------------------------

# tests/cases/pricing.json: worked cases, numbers by hand, that tests/js/money.test.mjs feeds
# to the terminal's priceOrder. The server and the till must give every figure.
SHARED = json.loads((Path(__file__).parents[2] / "cases" / "pricing.json").read_text())["cases"]


def case_inputs(case: dict[str, Any]) -> tuple[list[LineInput], Conventions, Decimal | None]:
    """A shared case as pricing inputs: its lines (under its fiscal position, if any), the
    company's conventions and what the other methods pay when cash pays the rest."""
    conv = case.get("conventions", {})
    conventions = Conventions(
        tax_rounding=conv.get("tax_rounding", "per_line"),
        discount_rounding=conv.get("discount_rounding", "discount"),
        cash_rounding_step=D(conv.get("cash_rounding", "0.01")),
        cash_rounding_mode=conv.get("cash_rounding_mode", "half_up"),
        cash_rounding_scope=conv.get("cash_rounding_scope", "cash"),
        places=conv.get("places", 2),
    )
    known = {
        t["id"]: TaxSpec(
            id=t["id"],
            kind=t.get("kind", "percent"),
            rate=D(t.get("rate", "0")),
            amount=D(t.get("amount", "0")),
            price_include=t.get("price_include", True),
            include_base_amount=t.get("include_base_amount", False),
            sequence=t.get("sequence", 10),
        )
        for t in case["taxes"]
    }
    position = None
    if "fiscal_position" in case:
        position = FiscalMap(
            taxes={int(k): tuple(v) for k, v in case["fiscal_position"]["taxes"].items()},
            accounts={},
        )
    lines = [
        map_line(
            LineInput(
                D(x["quantity"]),
                D(x["unit_price"]),
                D(x.get("discount_percent", "0")),
                tuple(known[t] for t in x["taxes"]),
            ),
            position,
            known,
            conventions.places,
        )
        for x in case["lines"]
    ]
    cash_after = None if case["cash_after"] is None else D(case["cash_after"])
    return lines, conventions, cash_after


@pytest.mark.parametrize("case", SHARED, ids=[c["name"] for c in SHARED])
def test_shared_worked_case(case):
    lines, conventions, cash_after = case_inputs(case)
    price = price_order(lines, conventions=conventions, cash_after=cash_after)
    fields = ("amount", "discount", "net", "tax", "total")
    got = {
        "lines": [
            {
                **{k: getattr(p, k) for k in fields},
                "taxes": [{"tax": t.tax_id, "base": t.base, "amount": t.amount} for t in p.taxes],
            }
            for p in price.lines
        ],
        "net": price.net_total,
        "tax": price.tax_total,
        "total": price.total,
        "due": price.amount_due,
        "rounding": price.rounding,
    }
    if any("unit_price" in x for x in case["expected"]["lines"]):
        for row, x in zip(got["lines"], lines, strict=True):
            row["unit_price"] = x.unit_price
    expected = case["expected"]
    # Compared as numbers: Decimal keeps a sign on a zero (−0.00) that the wire never shows.
    assert got == {
        **{k: D(v) for k, v in expected.items() if k != "lines"},
        "lines": [
            {
                **{k: D(v) for k, v in x.items() if k != "taxes"},
                "taxes": [
                    {"tax": t["tax"], "base": D(t["base"]), "amount": D(t["amount"])}
                    for t in x["taxes"]
                ],
            }
            for x in expected["lines"]
        ],
    }
    places = conventions.places
    for value in (price.total, price.amount_due, *(p.total for p in price.lines)):
        assert value.as_tuple().exponent == -places, value


# --- properties of the tax model: random taxes, positions and conventions ------------------

tax_specs = st.builds(
    lambda pk, kind, rate, amount, included, in_base, seq: TaxSpec(
        id=pk,
        kind=kind,
        rate=rate if kind == "percent" else D("0"),
        amount=amount if kind == "fixed" else D("0"),
        price_include=included,
        include_base_amount=in_base,
        sequence=seq,
    ),
    st.integers(min_value=1, max_value=6),
    st.sampled_from(["percent", "percent", "fixed"]),
    st.sampled_from([D("0"), D("5.5"), D("6"), D("12"), D("21"), D("25.5")]),
    st.integers(min_value=0, max_value=300).map(lambda n: D(n).scaleb(-2)),
    st.booleans(),
    st.booleans(),
    st.integers(min_value=0, max_value=3),
)
conventions_strategy = st.builds(
    Conventions,
    tax_rounding=st.sampled_from(["per_line", "global"]),
    discount_rounding=st.sampled_from(["discount", "line"]),
    cash_rounding_step=st.sampled_from([D("0.01"), D("0.05"), D("0.10")]),
    cash_rounding_mode=st.sampled_from(["half_up", "up", "down"]),
    cash_rounding_scope=st.sampled_from(["cash", "all"]),
)


def _line_with(taxes: list[TaxSpec]) -> st.SearchStrategy[LineInput]:
    unique = tuple({t.id: t for t in taxes}.values())
    return st.builds(
        lambda q, p, d, n: LineInput(q, p, d, unique[:n]),
        quantities,
        prices,
        discounts,
        st.integers(min_value=0, max_value=len(unique)),
    )


@settings(max_examples=examples(300), deadline=None)
@given(data=st.data(), taxes=st.lists(tax_specs, min_size=1, max_size=4), conv=conventions_strategy)
def test_the_tax_model_adds_up_under_every_convention(data, taxes, conv):
    lines = data.draw(st.lists(_line_with(taxes), min_size=1, max_size=8))
    cash_after = data.draw(st.sampled_from([None, D("0.00"), D("1.37")]))
    price = price_order(lines, conventions=conv, cash_after=cash_after)
    for given_line, p in zip(lines, price.lines, strict=True):
        assert p.net + p.tax == p.total
        assert sum((t.amount for t in p.taxes), D("0.00")) == p.tax
        included = {t.id for t in given_line.taxes if t.price_include}
        # The price after discount holds the net and the included taxes, exactly.
        assert p.net + sum((t.amount for t in p.taxes if t.tax_id in included), D("0.00")) == (
            p.amount - p.discount
        )
        for t in p.taxes:
            assert t.amount.as_tuple().exponent == -2
            # A sale's taxes are not negative, unless a fixed tax is in the price or in the
            # base of an included tax (a deposit inside a price of 0.00 leaves a negative net).
            fixed = any(x.kind == "fixed" for x in given_line.taxes)
            if given_line.quantity > 0 and not fixed:
                assert t.amount >= 0
    assert price.net_total + price.tax_total == price.total
    assert price.total + price.rounding == price.amount_due
    step = conv.cash_rounding_step
    if step > CENT and (conv.cash_rounding_scope == "all" or cash_after is not None):
        paid_in_cash = price.amount_due - (cash_after or D("0"))
        if conv.cash_rounding_scope == "all":
            paid_in_cash = price.amount_due
        assert paid_in_cash % step == 0
        assert abs(price.rounding) < step
        if conv.cash_rounding_mode == "half_up":
            assert abs(price.rounding) <= step / 2
    else:
        assert price.rounding == 0

    # A refund of the same lines is the exact mirror, under every convention.
    mirrored = [LineInput(-x.quantity, x.unit_price, x.discount_percent, x.taxes) for x in lines]
    refund = price_order(
        mirrored, conventions=conv, cash_after=None if cash_after is None else -cash_after
    )
    assert (refund.net_total, refund.tax_total, refund.total, refund.amount_due) == (
        -price.net_total,
        -price.tax_total,
        -price.total,
        -price.amount_due,
    )


@settings(max_examples=examples(200), deadline=None)
@given(
    price=st.integers(min_value=1, max_value=99_999).map(lambda n: D(n).scaleb(-2)),
    src=st.sampled_from([D("6"), D("12"), D("21")]),
    dest=st.sampled_from([D("0"), D("6"), D("12"), D("21")]),
)
def test_a_position_keeps_the_net_price_of_an_included_tax(price, src, dest):
    known = {1: TaxSpec(1, rate=src), 2: TaxSpec(2, rate=dest)}
    position = FiscalMap(taxes={1: (2,)}, accounts={})
    mapped = map_line(LineInput(D("1"), price, D("0"), (known[1],)), position, known, 2)
    # The net before and after differ by less than the rounding of the new price.
    net_before = price * 100 / (100 + src)
    net_after = mapped.unit_price * 100 / (100 + dest)
    assert abs(net_before - net_after) <= D("0.005")
    assert mapped.taxes == (known[2],)
    # A position that does not map the line's tax leaves it as it was.
    untouched = map_line(LineInput(D("1"), price, D("0"), (known[2],)), position, known, 2)
    assert untouched == LineInput(D("1"), price, D("0"), (known[2],))


# --- the integer fast path gives the exact path's figures ------------------------------------

percent_specs = st.builds(
    lambda pk, rate, included, seq: TaxSpec(id=pk, rate=rate, price_include=included, sequence=seq),
    st.integers(min_value=1, max_value=8),
    st.one_of(
        st.sampled_from([D("0"), D("5.5"), D("6"), D("9"), D("12"), D("21"), D("25.5")]),
        st.integers(min_value=0, max_value=1_000_000).map(lambda n: D(n).scaleb(-4)),
    ),
    st.booleans(),
    st.integers(min_value=0, max_value=3),
)


def _same(fast: OrderPrice, exact: OrderPrice) -> None:
    """Equal figures with equal representations (the exponent of every Decimal too)."""
    assert repr(fast) == repr(exact)


@settings(max_examples=examples(3000), deadline=None)
@given(
    data=st.data(),
    taxes=st.lists(percent_specs, min_size=1, max_size=4),
    places=st.sampled_from([0, 2, 3]),
    discount_rounding=st.sampled_from(["discount", "line"]),
)
def test_the_fast_path_prices_percent_taxes_as_the_exact_path(
    data, taxes, places, discount_rounding
):
    # Prices in the currency's decimals; several percent taxes per line, included or not.
    unit_prices = st.integers(min_value=0, max_value=99_999_999).map(lambda n: D(n).scaleb(-places))
    unique = tuple({t.id: t for t in taxes}.values())
    lines = data.draw(
        st.lists(
            st.builds(
                lambda q, p, d, n: LineInput(q, p, d, unique[:n]),
                quantities,
                unit_prices,
                discounts,
                st.integers(min_value=0, max_value=len(unique)),
            ),
            min_size=1,
            max_size=8,
        )
    )
    conv = Conventions(discount_rounding=discount_rounding, places=places)
    cash_after = data.draw(st.sampled_from([None, D("0")]))
    _same(
        price_order(lines, conventions=conv, cash_after=cash_after),
        price_order(lines, conventions=conv, cash_after=cash_after, fast=False),
    )


@settings(max_examples=examples(1000), deadline=None)
@given(data=st.data(), taxes=st.lists(tax_specs, min_size=1, max_size=4), conv=conventions_strategy)
def test_the_fast_path_leaves_every_other_tax_model_to_the_exact_path(data, taxes, conv):
    # Fixed taxes, taxes in each other's base, global rounding: whatever the mix, the
    # default pricing gives what the exact path gives.
    lines = data.draw(st.lists(_line_with(taxes), min_size=1, max_size=8))
    cash_after = data.draw(st.sampled_from([None, D("0.00"), D("1.37")]))
    _same(
        price_order(lines, conventions=conv, cash_after=cash_after),
        price_order(lines, conventions=conv, cash_after=cash_after, fast=False),
    )


def test_the_fast_path_rounds_an_exact_half_cent_up():
    # 12.35 with 9 % and 5 % included: the 9 % tax is 12.35 × 9 / 114 = 0.975 exactly, a
    # half cent, up to 0.98 (the case that made pricing exact; tests/cases/pricing.json).
    # The 5 % tax is 12.35 × 5 / 114 = 0.54166… → 0.54; net 12.35 − 0.98 − 0.54 = 10.83.
    taxes = (TaxSpec(1, rate=D("9")), TaxSpec(2, rate=D("5")))
    price = price_order([LineInput(D("1"), D("12.35"), D("0"), taxes)])
    assert [t.amount for t in price.lines[0].taxes] == [D("0.98"), D("0.54")]
    assert price.lines[0].net == D("10.83")
    # A refund mirrors it: half away from zero.
    refund = price_order([LineInput(D("-1"), D("12.35"), D("0"), taxes)])
    assert [t.amount for t in refund.lines[0].taxes] == [D("-0.98"), D("-0.54")]
