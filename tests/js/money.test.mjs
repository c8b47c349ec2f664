// money.js: the terminal prices a ticket as the server does. Fed the worked cases of
// tests/cases/pricing.json, read as tests/unit/orders/test_pricing.py case_inputs reads them for the
// server: the lines under the case's fiscal position (mapLine), the company's conventions and
// what the other methods pay when cash pays the rest.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cases, js } from "./cases.mjs";

const money = await import(js("money.js"));
const {
  MoneyFormat,
  cashDue,
  conventionsOf,
  discountLine,
  divRoundHalfUp,
  mapLine,
  parseDecimal,
  parseUnits,
  priceOrder,
  quantityToString,
  rateToString,
  roundCash,
  roundToStep,
  unitsToString,
} = money;

/** A shared case as the terminal's inputs (the same semantics as case_inputs). */
function caseInputs(c) {
  const conventions = conventionsOf(c.conventions || {});
  const taxes = new Map(c.taxes.map((t) => [t.id, t]));
  const lines = c.lines.map((x) =>
    mapLine({ quantity: x.quantity, unit_price: x.unit_price, discount_percent: x.discount_percent || "0", taxes: x.taxes }, c.fiscal_position || null, taxes, conventions.places),
  );
  return { lines, conventions, taxes, cashAfter: c.cash_after };
}

// Compared as exact numbers (rationals cross-multiplied), as the server compares Decimals:
// "0.00" and "-0.00", "1100" and "1100.0" are the same amount.
const same = (a, b) => {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return x[0] * y[1] === y[0] * x[1];
};

function assertFigures(got, expected, where) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort(), `${where}: the figures`);
  for (const [key, value] of Object.entries(expected)) {
    if (key === "lines" || key === "taxes") {
      assert.equal(got[key].length, value.length, `${where}.${key}: how many`);
      value.forEach((row, i) => assertFigures(got[key][i], row, `${where}.${key}[${i}]`));
    } else if (key === "tax" && typeof value === "number") {
      assert.equal(got[key], value, `${where}.${key}`);
    } else {
      assert.ok(same(got[key], value), `${where}.${key}: got ${got[key]}, expected ${value}`);
    }
  }
}

describe("priceOrder on the shared worked cases", () => {
  for (const c of cases("pricing.json").cases) {
    test(c.name, () => {
      const { lines, conventions, taxes, cashAfter } = caseInputs(c);
      const places = conventions.places;
      const priced = priceOrder(lines, conventions, { taxes, cashAfter });
      const text = (units) => unitsToString(units, places);
      const withPrice = c.expected.lines.some((x) => "unit_price" in x);
      const got = {
        lines: priced.lines.map((l, i) => ({
          ...(withPrice ? { unit_price: lines[i].unit_price } : {}),
          amount: text(l.amount),
          discount: text(l.discount),
          net: text(l.net),
          tax: text(l.tax),
          total: text(l.total),
          taxes: l.taxes.map((t) => ({ tax: t.tax, base: text(t.base), amount: text(t.amount) })),
        })),
        net: text(priced.net),
        tax: text(priced.tax),
        total: text(priced.total),
        due: text(priced.due),
        rounding: text(priced.rounding),
      };
      assertFigures(got, c.expected, c.why || c.name);
      // Every total has the currency's places, as the server's exponent check says.
      for (const l of got.lines) assert.equal(l.total.split(".")[1]?.length ?? 0, places);
    });
  }
});

describe("fiscal positions: mapLine", () => {
  const taxes = new Map([
    [1, { id: 1, rate: "12" }],
    [2, { id: 2, rate: "6" }],
    [3, { id: 3, rate: "21", price_include: false }],
    [4, { id: 4, kind: "fixed", amount: "0.10", price_include: false, sequence: 20 }],
  ]);
  const sandwich = { quantity: "1", unit_price: "5.30", discount_percent: "0", taxes: [1] };

  test("no position: the line unchanged", () => {
    assert.equal(mapLine(sandwich, null, taxes), sandwich);
  });

  test("12 % included mapped to 6 % included: the net 4.73214… stays, 5.30 → 5.02", () => {
    // 5.30 / 1.12 = 4.732142857…; × 1.06 = 5.016071… → 5.02
    assert.deepEqual(mapLine(sandwich, { taxes: [{ tax: 1, to: [2] }] }, taxes), { ...sandwich, unit_price: "5.02", taxes: [2] });
  });

  test("the catalog's shape and the shared cases' shape of a position say the same", () => {
    assert.deepEqual(mapLine(sandwich, { taxes: { 1: [2] } }, taxes), mapLine(sandwich, { taxes: [{ tax: 1, to: [2] }] }, taxes));
  });

  test("exempted from an included tax: the net price", () => {
    // 5.30 / 1.12 = 4.7321… → 4.73
    assert.deepEqual(mapLine(sandwich, { taxes: [{ tax: 1, to: [] }] }, taxes), { ...sandwich, unit_price: "4.73", taxes: [] });
  });

  test("a tax on top replaced by an included one: the net stays, the new tax goes in", () => {
    // 10.00 net (21 % and the deposit on top); 6 % included: 10.00 × 1.06 = 10.60. The
    // deposit stays on top, outside the price.
    const line = { ...sandwich, unit_price: "10.00", taxes: [3, 4] };
    assert.deepEqual(mapLine(line, { taxes: [{ tax: 3, to: [2] }] }, taxes), { ...line, unit_price: "10.60", taxes: [2, 4] });
  });

  test("a position that does not touch the line's taxes leaves its price", () => {
    assert.deepEqual(mapLine(sandwich, { taxes: [{ tax: 3, to: [2] }] }, taxes), sandwich);
  });

  test("three decimals and none", () => {
    // 5.300 / 1.12 × 1.06 = 5.016071… → 5.016; 530 / 1.12 × 1.06 = 501.6… → 502
    assert.equal(mapLine({ ...sandwich, unit_price: "5.300" }, { taxes: [{ tax: 1, to: [2] }] }, taxes, 3).unit_price, "5.016");
    assert.equal(mapLine({ ...sandwich, unit_price: "530" }, { taxes: [{ tax: 1, to: [2] }] }, taxes, 0).unit_price, "502");
  });

  test("an exact half cent rounds up: 8 % included mapped to 17 %, 2.10 → 2.28", () => {
    // 2.10 / 1.08 × 1.17 = 2.275 exactly → 2.28 (half away from zero).
    const known = new Map([
      [1, { id: 1, rate: "8" }],
      [2, { id: 2, rate: "17" }],
    ]);
    assert.equal(mapLine({ ...sandwich, unit_price: "2.10" }, { taxes: [{ tax: 1, to: [2] }] }, known).unit_price, "2.28");
  });
});

describe("the conventions, one by one", () => {
  test("conventionsOf takes the catalog's company, with today's defaults", () => {
    assert.deepEqual(conventionsOf({}), {
      tax_rounding: "per_line",
      discount_rounding: "discount",
      cash_rounding: "0.01",
      cash_rounding_mode: "half_up",
      cash_rounding_scope: "cash",
      places: 2,
    });
    assert.equal(conventionsOf({ currency_places: 3 }).places, 3);
    assert.equal(conventionsOf({ decimals: 0 }).places, 0);
  });

  test("discountLine: the discount rounded, or the discounted line rounded once", () => {
    // 3 × 3.35 = 10.05, 15 % off: 1.5075 → 1.51 taken off, 8.54 left; or 8.5425 → 8.54, 1.51.
    assert.deepEqual(discountLine(1005n, "3", "3.35", "15", { convention: "discount" }), [151n, 854n]);
    // 0.333 × 2.99 = 0.99567 → 1.00; 50 % off: 0.50 off, 0.50 left; rounded once: 0.497835 → 0.50
    assert.deepEqual(discountLine(100n, "0.333", "2.99", "50", { convention: "discount" }), [50n, 50n]);
    // 0.333 × 1.01 = 0.33633 → 0.34; 25 % off 0.34 = 0.085 → 0.09 off, 0.25 left;
    // the line rounded once: 0.33633 × 0.75 = 0.2522475 → 0.25, so 0.09 off as well.
    assert.deepEqual(discountLine(34n, "0.333", "1.01", "25", { convention: "line" }), [9n, 25n]);
    // No discount: nothing taken off.
    assert.deepEqual(discountLine(70n, "1", "0.70", "0", { convention: "line" }), [0n, 70n]);
  });

  test("roundCash: half up, up (away from zero), down (towards zero)", () => {
    assert.equal(roundCash(1503n, "0.05", "half_up"), 1505n);
    assert.equal(roundCash(1502n, "0.05", "half_up"), 1500n);
    assert.equal(roundCash(1501n, "0.05", "up"), 1505n);
    assert.equal(roundCash(1504n, "0.05", "down"), 1500n);
    assert.equal(roundCash(-1501n, "0.05", "up"), -1505n);
    assert.equal(roundCash(-1504n, "0.05", "down"), -1500n);
    assert.equal(roundCash(-1025n, "0.05", "half_up"), -1025n);
    assert.equal(roundCash(1250n, "0.10", "half_up"), 1250n);
    assert.equal(roundCash(1255n, "0.10", "half_up"), 1260n);
    assert.equal(roundCash(149n, "10", "half_up", 0), 150n); // a currency without decimals
    assert.throws(() => roundCash(1n, "0.05", "even"));
  });

  test("cashDue: only the cash remainder is rounded, and only when cash pays", () => {
    const company = { cash_rounding: "0.05" };
    assert.equal(cashDue(1572n, company, null), 1572n); // all by card
    assert.equal(cashDue(1572n, company, 0n), 1570n); // all in cash
    assert.equal(cashDue(1572n, company, 68n), 1573n); // 0.68 by card, 15.04 → 15.05 in cash
    assert.equal(cashDue(1572n, company, "0.68"), 1573n);
    assert.equal(cashDue(1572n, { ...company, cash_rounding_mode: "down" }, 68n), 1568n);
    assert.equal(cashDue(1572n, { ...company, cash_rounding_scope: "all" }, null), 1570n);
    assert.equal(cashDue(1572n, { cash_rounding: "0.01" }, 0n), 1572n);
  });

  test("priceOrder: 15.72 with 0.68 by card asks 15.05 in cash", () => {
    // 15.72 at 21 % included: tax 15.72 × 21/121 = 2.7282… → 2.73, net 12.99.
    const taxes = { 1: { id: 1, rate: "21" } };
    const lines = [{ quantity: "1", unit_price: "15.72", taxes: [1] }];
    const priced = priceOrder(lines, { cash_rounding: "0.05" }, { taxes, cashAfter: 68n });
    assert.equal(priced.total, 1572n);
    assert.equal(priced.tax, 273n);
    assert.equal(priced.due - 68n, 1505n);
    assert.equal(priced.rounding, 1n);
  });

  test("a line names a tax the catalog does not have: an error, not a silent 0 %", () => {
    assert.throws(() => priceOrder([{ quantity: "1", unit_price: "1.00", taxes: [9] }], {}, { taxes: {} }), /unknown tax 9/);
  });
});

describe("reading and writing amounts", () => {
  test("parseUnits reads plain decimals into cents", () => {
    assert.equal(parseUnits("12.30"), 1230n);
    assert.equal(parseUnits("12.3"), 1230n);
    assert.equal(parseUnits("12,3"), 1230n); // a comma typed on a Belgian keypad
    assert.equal(parseUnits("-1"), -100n);
    assert.equal(parseUnits(".5"), 50n);
    assert.equal(parseUnits(" 7 "), 700n);
    assert.equal(parseUnits("0.350", 3), 350n);
    assert.equal(parseUnits("1100", 0), 1100n);
  });

  test("parseUnits refuses what is not an amount", () => {
    for (const bad of ["", " ", "abc", "1e2", "1.234", "12.30.1", "--1", null, undefined, "1 2"]) {
      assert.equal(parseUnits(bad), null, `${JSON.stringify(bad)}`);
    }
    assert.equal(parseUnits("1.5", 0), null);
  });

  test("unitsToString writes the wire form", () => {
    assert.equal(unitsToString(1230n), "12.30");
    assert.equal(unitsToString(5n), "0.05");
    assert.equal(unitsToString(-5n), "-0.05");
    assert.equal(unitsToString(0n), "0.00");
    assert.equal(unitsToString(350n, 3), "0.350");
    assert.equal(unitsToString(1100n, 0), "1100");
    assert.equal(unitsToString(-7n, 0), "-7");
    assert.equal(quantityToString(2000n), "2");
    assert.equal(quantityToString(350n), "0.35");
    assert.equal(rateToString(125000n), "12.5");
    assert.equal(rateToString(0n), "0");
  });

  test("parseDecimal reads any decimal exactly, as a rational", () => {
    assert.deepEqual(parseDecimal("21.0000"), [21n, 1n]);
    assert.deepEqual(parseDecimal("0.05"), [1n, 20n]);
    assert.deepEqual(parseDecimal("-0.350"), [-7n, 20n]);
    assert.equal(parseDecimal("x"), null);
  });

  test("rounding is half away from zero, like the server's ROUND_HALF_UP", () => {
    assert.equal(divRoundHalfUp(25n, 10n), 3n); // 2.5 → 3
    assert.equal(divRoundHalfUp(-25n, 10n), -3n); // −2.5 → −3
    assert.equal(divRoundHalfUp(24n, 10n), 2n);
    assert.equal(roundToStep(103n, 5n), 105n); // 1.03 → 1.05
    assert.equal(roundToStep(102n, 5n), 100n); // 1.02 → 1.00
    assert.equal(roundToStep(-103n, 5n), -105n);
    assert.equal(roundToStep(-1025n, 5n), -1025n);
  });

  test("MoneyFormat writes the currency's decimals", () => {
    assert.equal(new MoneyFormat("en-US", "EUR").money(1230n), "€12.30");
    assert.equal(new MoneyFormat("en-US", "JPY", 0).money(1100n), "¥1,100");
    assert.equal(new MoneyFormat("en-US", "BHD", 3).number(12345n), "12.345");
    assert.equal(new MoneyFormat("en-US", "BHD", 3).number("1.5"), "1.500");
  });
});
