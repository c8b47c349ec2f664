// payment.js wirePayment: what each payment of a paid ticket sends (issue #12). The server
// stores change = tendered − amount, and only for cash; tests/integration/test_order_sync.py
// books the same worked example (17.86 paid with 20.00 in cash: change 2.14).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { js } from "./cases.mjs";

const { wirePayment } = await import(js("payment.js"));

// As the payment dialog resolves them: amount net of change, tendered what was handed over.
const cash = (amount, tendered, change) => ({ payment_method: 1, name: "Cash", kind: "cash", amount, tendered, change });
const card = (amount) => ({ payment_method: 2, name: "Card", kind: "card", amount, tendered: amount, change: "0.00" });

describe("wirePayment", () => {
  test("cash handed over beyond the amount sends what was tendered", () => {
    assert.deepEqual(wirePayment(cash("17.86", "20.00", "2.14")), { payment_method: 1, amount: "17.86", tendered: "20.00" });
  });

  test("a split: card 5.00, then 12.86 in cash from a 20.00 note", () => {
    const sent = [card("5.00"), cash("12.86", "20.00", "7.14")].map(wirePayment);
    assert.deepEqual(sent, [
      { payment_method: 2, amount: "5.00" },
      { payment_method: 1, amount: "12.86", tendered: "20.00" },
    ]);
  });

  test("exact cash, a card, a refund and an old ticket without tendered send the amount only", () => {
    assert.deepEqual(wirePayment(cash("6.00", "6.00", "0.00")), { payment_method: 1, amount: "6.00" });
    assert.deepEqual(wirePayment(card("9.90")), { payment_method: 2, amount: "9.90" });
    assert.deepEqual(wirePayment(cash("-5.50", "-5.50", "0.00")), { payment_method: 1, amount: "-5.50" });
    assert.deepEqual(wirePayment({ payment_method: 1, kind: "cash", amount: "4.40" }), { payment_method: 1, amount: "4.40" });
  });

  test("change never goes with a method that is not cash", () => {
    assert.deepEqual(wirePayment({ ...card("5.00"), tendered: "10.00" }), { payment_method: 2, amount: "5.00" });
  });
});
