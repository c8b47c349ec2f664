// money.js: the terminal prices a ticket as the server does. Fed the worked cases of
// tests/cases/pricing.json, the same that tests/unit/test_pricing.py gives the server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cases, js } from "./cases.mjs";

const money = await import(js("money.js"));
const { centsToString, parseUnits, unitsToString, divRoundHalfUp, roundToStep, priceOrder, quantityToString, rateToString } = money;

describe("priceOrder on the shared worked cases", () => {
  for (const c of cases("pricing.json").cases) {
    test(c.name, () => {
      const priced = priceOrder(c.lines, c.company, { cash: c.cash });
      const text = (units) => centsToString(units);
      const got = {
        lines: priced.lines.map((l) => ({
          amount: text(l.amount),
          discount: text(l.discount),
          net: text(l.net),
          tax: text(l.tax),
          total: text(l.total),
        })),
        net: text(priced.net),
        tax: text(priced.tax),
        total: text(priced.total),
        due: text(priced.due),
        rounding: text(priced.rounding),
      };
      assert.deepEqual(got, c.expected, c.why);
    });
  }
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
  });

  test("parseUnits refuses what is not an amount", () => {
    for (const bad of ["", " ", "abc", "1e2", "1.234", "12.30.1", "--1", null, undefined, "1 2"]) {
      assert.equal(parseUnits(bad), null, `${JSON.stringify(bad)}`);
    }
  });

  test("unitsToString writes the wire form", () => {
    assert.equal(unitsToString(1230n), "12.30");
    assert.equal(unitsToString(5n), "0.05");
    assert.equal(unitsToString(-5n), "-0.05");
    assert.equal(unitsToString(0n), "0.00");
    assert.equal(unitsToString(350n, 3), "0.350");
    assert.equal(quantityToString(2000n), "2");
    assert.equal(quantityToString(350n), "0.35");
    assert.equal(rateToString(125000n), "12.5");
    assert.equal(rateToString(0n), "0");
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
});
