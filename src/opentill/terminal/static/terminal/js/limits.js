// The bounds the server puts on amounts and quantities, as the catalog publishes them
// (`limits`, from opentill/limits.py): the terminal refuses in place what the server would
// refuse, so no paid ticket meets a bound. One source: nothing here is a number of its own;
// a catalog without `limits` (an older server) bounds nothing beyond the wire format.
// Pure: no DOM.

import { cents, centsToString, parseQuantity, quantityToString } from "./money.js";

/** Read the catalog's ``limits`` into BigInt units (cents, thousandths of a unit). */
export function readLimits(published) {
  const l = published || {};
  const money = (key) => (l[key] === undefined || l[key] === null ? null : cents(String(l[key])));
  const quantity = (key) => (l[key] === undefined || l[key] === null ? null : parseQuantity(String(l[key])));
  const integer = (key) => (l[key] === undefined || l[key] === null ? null : Number(l[key]));
  return {
    maxAmount: money("max_amount"),
    maxCount: money("max_count"),
    maxUnitPrice: money("max_unit_price"),
    maxQuantity: quantity("max_quantity"),
    maxDenominationQuantity: integer("max_denomination_quantity"),
    maxLines: integer("max_lines"),
    maxPayments: integer("max_payments"),
  };
}

const abs = (v) => (v < 0n ? -v : v);

/** null when the quantity (BigInt thousandths) is within bounds, else a message. The server
 * wants a quantity strictly below max_quantity in size. */
export function quantityProblem(milli, limits) {
  if (milli === null) return "not a quantity";
  if (milli === 0n) return "a quantity cannot be 0";
  if (limits.maxQuantity !== null && abs(milli) >= limits.maxQuantity)
    return `a quantity must be below ${quantityToString(limits.maxQuantity)}`;
  return null;
}

/** null when an amount (BigInt cents: tendered, cash move, count, ticket total) is within
 * bounds, else a message. */
export function amountProblem(value, limits, { what = "an amount" } = {}) {
  if (value === null) return "not an amount";
  if (limits.maxAmount !== null && abs(value) > limits.maxAmount) return `${what} cannot exceed ${centsToString(limits.maxAmount)}`;
  return null;
}

/** null when a counted amount (BigInt cents; a drawer may hold more than one ticket's
 * amount) is within bounds, else a message. */
export function countProblem(value, limits) {
  if (value === null) return "not an amount";
  if (value < 0n) return "a count cannot be negative";
  if (limits.maxCount !== null && value > limits.maxCount) return `a count cannot exceed ${centsToString(limits.maxCount)}`;
  return null;
}

/** null when a unit price (BigInt cents) is within bounds (strictly below max_unit_price). */
export function unitPriceProblem(value, limits) {
  if (limits.maxUnitPrice !== null && value >= limits.maxUnitPrice) return `a unit price must be below ${centsToString(limits.maxUnitPrice)}`;
  return null;
}

/** null when ``n`` coins or notes of one value are within bounds. */
export function denominationProblem(n, limits) {
  if (!Number.isInteger(n) || n < 0) return "not a number of coins or notes";
  if (limits.maxDenominationQuantity !== null && n > limits.maxDenominationQuantity)
    return `at most ${limits.maxDenominationQuantity} coins or notes of one value`;
  return null;
}

/** null when a priced ticket (money.priceOrder: lines [{amount, total}], total) fits, else a
 * message: like the server, neither a line's amount nor the ticket's total above max_amount. */
export function ticketProblem(priced, lineCount, limits) {
  if (limits.maxLines !== null && lineCount > limits.maxLines) return `a ticket has at most ${limits.maxLines} lines`;
  if (limits.maxAmount !== null) {
    if (priced.lines.some((l) => abs(l.amount) > limits.maxAmount) || abs(priced.total) > limits.maxAmount)
      return `a ticket cannot exceed ${centsToString(limits.maxAmount)}`;
  }
  return null;
}
