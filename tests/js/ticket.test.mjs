// ticket.js: a ticket priced with the catalog as the server prices the order it receives
// (orders/services.py _price): the product's taxes, the ticket's fiscal position, the
// company's conventions. The catalog below has the shape GET /profiles/{id}/catalog sends.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { js } from "./cases.mjs";

const { amountText, defaultPosition, mappedLines, offeredPositions, positionOf, priceTicket, productTaxes } = await import(js("ticket.js"));

const catalog = {
  company: { currency: "EUR", tax_rounding: "per_line", discount_rounding: "discount", cash_rounding: "0.05", cash_rounding_mode: "half_up", cash_rounding_scope: "cash", currency_places: 2 },
  taxes: [
    { id: 11, name: "VAT 12%", kind: "percent", rate: "12.0000", amount: "0.00", price_include: true, include_base_amount: false, sequence: 10 },
    { id: 12, name: "VAT 6%", kind: "percent", rate: "6.0000", amount: "0.00", price_include: true, include_base_amount: false, sequence: 10 },
    { id: 13, name: "VAT 21%", kind: "percent", rate: "21.0000", amount: "0.00", price_include: true, include_base_amount: false, sequence: 10 },
    { id: 14, name: "Deposit", kind: "fixed", rate: "0.0000", amount: "0.10", price_include: false, include_base_amount: false, sequence: 20 },
  ],
  fiscal_positions: [
    { id: 1, name: "Take-away", taxes: [{ tax: 11, to: [12] }] },
    { id: 2, name: "Export", taxes: [{ tax: 11, to: [] }, { tax: 13, to: [] }] },
  ],
  fiscal_positions_offered: [1],
  default_fiscal_position: null,
  products: [
    { id: 1, name: "Sandwich", price: "5.30", taxes: [11] },
    { id: 2, name: "Sparkling water", price: "1.50", taxes: [13, 14] },
    { id: 3, name: "Mug", price: "15.72", taxes: [{ id: 13, kind: "percent", rate: "21.0000", price_include: true }] },
  ],
  customers: [
    { id: 7, name: "Walk-in", is_walk_in: true, fiscal_position: null },
    { id: 8, name: "Export Ltd", is_walk_in: false, fiscal_position: 2 },
  ],
};

const line = (product, quantity = "1", extra = {}) => {
  const p = catalog.products.find((x) => x.id === product);
  return { product, name: p.name, quantity, unit_price: p.price, discount_percent: "0", taxes: productTaxes(p), ...extra };
};

describe("priceTicket", () => {
  test("eat-in: a sandwich at 12 % included", () => {
    // 5.30 × 12/112 = 0.5678… → 0.57, net 4.73
    const p = priceTicket(catalog, { lines: [line(1)], fiscal_position: null });
    assert.deepEqual([p.lines[0].unit_price, p.net, p.tax, p.total], ["5.30", 473n, 57n, 530n]);
  });

  test("take-away: 12 % mapped to 6 %, the net kept: 5.02", () => {
    // 5.30 / 1.12 = 4.7321…; × 1.06 = 5.0160… → 5.02; tax 5.02 × 6/106 = 0.2841… → 0.28
    const p = priceTicket(catalog, { lines: [line(1)], fiscal_position: 1 });
    assert.deepEqual([p.lines[0].unit_price, p.net, p.tax, p.total], ["5.02", 474n, 28n, 502n]);
    assert.deepEqual(p.lines[0].taxes, [{ tax: 12, base: 474n, amount: 28n }]);
  });

  test("a product with a deposit on top: 2 waters 1.50 + 2 × 0.10", () => {
    // 3.00 × 21/121 = 0.5206… → 0.52, net 2.48; deposit 2 × 0.10 = 0.20 on top: 3.20
    const p = priceTicket(catalog, { lines: [line(2, "2")] });
    assert.deepEqual([p.net, p.tax, p.total], [248n, 72n, 320n]);
  });

  test("the split payment: 15.72, 0.68 by card, 15.05 in cash", () => {
    const ticket = { lines: [line(3)] };
    assert.equal(priceTicket(catalog, ticket).due, 1572n); // no cash
    assert.equal(priceTicket(catalog, ticket, { cashAfter: 0n }).due, 1570n); // all in cash
    assert.equal(priceTicket(catalog, ticket, { cashAfter: 68n }).due - 68n, 1505n);
  });

  test("the product's taxes come from the catalog, as the server takes them", () => {
    // A line kept by an older terminal carries tax_rate, not taxes: priced all the same.
    const old = { product: 1, quantity: "1", unit_price: "5.30", discount_percent: "0", tax_rate: "12.0000" };
    assert.equal(priceTicket(catalog, { lines: [old] }).tax, 57n);
    // A product gone from the catalog keeps the line's own taxes.
    const gone = { product: 99, quantity: "1", unit_price: "1.00", discount_percent: "0", taxes: [13] };
    assert.deepEqual(mappedLines(catalog, { lines: [gone] })[0].taxes, [13]);
  });

  test("three decimals: the currency's places price the ticket", () => {
    const bhd = { ...catalog, company: { ...catalog.company, currency_places: 3, cash_rounding: "0.005" } };
    // 5.300 × 12/112 = 0.56785… → 0.568
    const p = priceTicket(bhd, { lines: [line(1, "1", { unit_price: "5.300" })] });
    assert.deepEqual([p.tax, p.total, amountText(bhd, p.total)], [568n, 5300n, "5.300"]);
  });
});

describe("fiscal positions of the till and the customer", () => {
  test("the cashier is offered the till's positions", () => {
    assert.deepEqual(offeredPositions(catalog).map((p) => p.name), ["Take-away"]);
    assert.deepEqual(offeredPositions({ ...catalog, fiscal_positions_offered: undefined }).map((p) => p.name), ["Take-away", "Export"]);
  });

  test("a ticket starts under the customer's position, else the till's default", () => {
    assert.equal(defaultPosition(catalog), null);
    assert.equal(defaultPosition({ ...catalog, default_fiscal_position: 1 }), 1);
    assert.equal(defaultPosition({ ...catalog, default_fiscal_position: 1 }, 8), 2);
    assert.equal(defaultPosition({ ...catalog, default_fiscal_position: 1 }, 7), 1);
    assert.equal(positionOf(catalog, 3), null);
  });

  test("the export customer's position exempts: the net price", () => {
    // 5.30 / 1.12 = 4.7321… → 4.73, no tax
    const p = priceTicket(catalog, { lines: [line(1)], fiscal_position: 2 });
    assert.deepEqual([p.lines[0].unit_price, p.tax, p.total], ["4.73", 0n, 473n]);
  });
});
