// limits.js: the terminal refuses in place what the server would refuse. Fed the edge cases of
// tests/cases/limits.json, the same that tests/unit/test_limits.py gives the server's parser.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cases, js } from "./cases.mjs";

const { readLimits, quantityProblem, unitPriceProblem, amountProblem, ticketProblem, countProblem, denominationProblem } = await import(js("limits.js"));
const { cents, parseQuantity } = await import(js("money.js"));

const shared = cases("limits.json");
const limits = readLimits(shared.published);
const verdict = (problem) => problem === null;

describe("the shared edge cases", () => {
  for (const { value, ok } of shared.quantity) {
    test(`quantity ${value}`, () => assert.equal(verdict(quantityProblem(parseQuantity(value), limits)), ok));
  }
  for (const { value, ok } of shared.unit_price) {
    test(`unit price ${value}`, () => assert.equal(verdict(unitPriceProblem(cents(value), limits)), ok));
  }
  for (const { value, ok } of shared.amount) {
    test(`amount ${value}`, () => assert.equal(verdict(amountProblem(cents(value), limits)), ok));
  }
  for (const { value, ok } of shared.lines) {
    test(`${value} lines`, () => assert.equal(verdict(ticketProblem({ lines: [], total: 0n }, value, limits)), ok));
  }
});

describe("messages and the other bounds", () => {
  test("what the cashier reads", () => {
    assert.equal(quantityProblem(1000000000n, limits), "a quantity must be below 1000000");
    assert.equal(quantityProblem(0n, limits), "a quantity cannot be 0");
    assert.equal(amountProblem(cents("1000000000.01"), limits, { what: "a cash move" }), "a cash move cannot exceed 1000000000.00");
    assert.equal(unitPriceProblem(cents("1000000000.00"), limits), "a unit price must be below 1000000000.00");
  });

  test("counts: never negative, up to max_count", () => {
    assert.equal(countProblem(cents("100000000000.00"), limits), null);
    assert.equal(countProblem(cents("100000000000.01"), limits), "a count cannot exceed 100000000000.00");
    assert.equal(countProblem(-1n, limits), "a count cannot be negative");
  });

  test("coins and notes of one value", () => {
    assert.equal(denominationProblem(1000000, limits), null);
    assert.equal(denominationProblem(1000001, limits), "at most 1000000 coins or notes of one value");
    assert.equal(denominationProblem(1.5, limits), "not a number of coins or notes");
  });

  test("a ticket whose line or total passes max_amount", () => {
    const line = { amount: cents("1000000000.01"), total: cents("1000000000.01") };
    assert.equal(ticketProblem({ lines: [line], total: line.total }, 1, limits), "a ticket cannot exceed 1000000000.00");
  });

  test("an older server that publishes no limits bounds nothing", () => {
    const none = readLimits(undefined);
    assert.equal(quantityProblem(10n ** 15n, none), null);
    assert.equal(amountProblem(10n ** 15n, none), null);
    assert.equal(ticketProblem({ lines: [], total: 0n }, 10000, none), null);
  });
});
