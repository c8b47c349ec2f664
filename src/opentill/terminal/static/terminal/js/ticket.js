// A ticket priced with the catalog, as the server prices the order it receives
// (orders/services.py _price): each line with its product's taxes from the catalog, under
// the ticket's fiscal position (money.mapLine), with the company's conventions
// (money.priceOrder). Pure: no DOM, no storage.
//
// The catalog (GET /profiles/{id}/catalog) gives: company {tax_rounding, discount_rounding,
// cash_rounding, cash_rounding_mode, cash_rounding_scope, currency_places}; taxes [{id, kind,
// rate, amount, price_include, include_base_amount, sequence}]; products [{…, taxes: [tax ids
// or taxes]}]; fiscal_positions [{id, name, taxes: [{tax, to: [ids]}]}]; (optionally
// fiscal_positions_offered [ids]); default_fiscal_position; customers [{…, fiscal_position}].

import { conventionsOf, mapLine, priceOrder, parseUnits, taxIndex, unitsToString } from "./money.js";

const indexes = new WeakMap();

/** The catalog's taxes by id (a Map keyed by the id's string), computed once per catalog. */
export function catalogTaxes(catalog) {
  if (!catalog) return new Map();
  let index = indexes.get(catalog);
  if (!index) {
    const taxes = new Map();
    for (const t of catalog.taxes || []) taxes.set(t.id, t);
    // A product may carry its taxes whole (not only their ids): those count too.
    for (const p of catalog.products || []) for (const t of p.taxes || []) if (t && typeof t === "object" && !taxes.has(t.id)) taxes.set(t.id, t);
    index = taxIndex(taxes);
    indexes.set(catalog, index);
  }
  return index;
}

/** A product's tax ids (the catalog sends ids, or the taxes themselves). */
export function productTaxes(product) {
  return (product?.taxes || []).map((t) => (t && typeof t === "object" ? t.id : t));
}

/** The company's currency decimals (0, 2 or 3). */
export function placesOf(catalog) {
  return conventionsOf(catalog?.company || {}).places;
}

/** BigInt units of the company's currency → the wire string: 1230n → "12.30". */
export function amountText(catalog, units) {
  return unitsToString(units, placesOf(catalog));
}

/** The wire string of an amount → BigInt units of the company's currency; null if not one. */
export function amountUnits(catalog, text) {
  return parseUnits(text, placesOf(catalog));
}

/** A fiscal position of the catalog by id, or null. */
export function positionOf(catalog, id) {
  if (id === null || id === undefined) return null;
  return (catalog?.fiscal_positions || []).find((p) => p.id === id) || null;
}

/** The positions a cashier may choose on this till (the profile's, with its default). */
export function offeredPositions(catalog) {
  const all = catalog?.fiscal_positions || [];
  const offered = catalog?.fiscal_positions_offered;
  if (!Array.isArray(offered)) return all;
  return all.filter((p) => offered.includes(p.id) || p.id === catalog.default_fiscal_position);
}

/** The position a ticket starts with: the customer's default one, else the till's. */
export function defaultPosition(catalog, customerId = null) {
  const customer = customerId === null || customerId === undefined ? null : (catalog?.customers || []).find((c) => c.id === customerId);
  const id = customer?.fiscal_position ?? catalog?.default_fiscal_position ?? null;
  return positionOf(catalog, id) ? id : null;
}

/**
 * The lines of ``ticket`` as the server prices them: the taxes of the product (the catalog's
 * current ones, as the server takes them; the line's own when the product is gone), under the
 * ticket's fiscal position (the unit price adjusted when its included taxes change).
 */
export function mappedLines(catalog, ticket) {
  const taxes = catalogTaxes(catalog);
  const places = placesOf(catalog);
  const position = positionOf(catalog, ticket.fiscal_position ?? null);
  const products = new Map((catalog?.products || []).map((p) => [p.id, p]));
  return (ticket.lines || []).map((line) => {
    const product = products.get(line.product);
    const ids = product ? productTaxes(product) : line.taxes || [];
    const known = ids.filter((id) => taxes.has(String(id)));
    if (known.length !== ids.length) console.warn(`line of product ${line.product}: a tax is not in the catalog`, ids);
    const rung = { quantity: line.quantity, unit_price: line.unit_price, discount_percent: line.discount_percent || "0", taxes: known };
    return mapLine(rung, position, taxes, places);
  });
}

/** ``ticket`` priced (money.priceOrder): BigInt units of the currency's places. ``cashAfter``:
 * what the other methods pay when cash pays the rest (null: no cash). Each priced line also
 * carries ``unit_price``, the price it is charged at under the fiscal position. */
export function priceTicket(catalog, ticket, { cashAfter = null } = {}) {
  const lines = mappedLines(catalog, ticket);
  const priced = priceOrder(lines, conventionsOf(catalog?.company || {}), { taxes: catalogTaxes(catalog), cashAfter });
  priced.lines.forEach((p, i) => {
    p.unit_price = lines[i].unit_price;
  });
  return priced;
}
