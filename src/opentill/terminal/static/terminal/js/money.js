// Exact money arithmetic in integer minor units (BigInt), never floats.
//
// Order pricing mirrors src/opentill/orders/pricing.py line for line, so the total the
// cashier sees is the total the server recomputes (else the sync answers payment_mismatch).

const MONEY_PLACES = 2;
const QUANTITY_PLACES = 3;
const RATE_PLACES = 4;
const HUNDRED_PERCENT = 100n * 10n ** BigInt(RATE_PLACES); // 100 % in rate units (1e-4 %)

/** Read "12.30", "12,3", "-1" into a BigInt of 10^-places units; null when not a number. */
export function parseUnits(text, places = MONEY_PLACES) {
  const match = /^\s*([-+])?(\d{1,13})?(?:[.,](\d*))?\s*$/.exec(String(text ?? ""));
  if (!match || (match[2] === undefined && !match[3])) return null;
  const frac = match[3] || "";
  if (frac.length > places) return null;
  const digits = (match[2] || "0") + frac.padEnd(places, "0");
  const value = BigInt(digits);
  return match[1] === "-" ? -value : value;
}

/** BigInt units → wire string with exactly ``places`` decimals: 1230n → "12.30". */
export function unitsToString(units, places = MONEY_PLACES) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(places + 1, "0");
  const text = places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
  return negative && units !== 0n ? `-${text}` : text;
}

export const cents = (text) => parseUnits(text, MONEY_PLACES);
export const centsToString = (units) => unitsToString(units, MONEY_PLACES);
export const parseQuantity = (text) => parseUnits(text, QUANTITY_PLACES);
export const parseRate = (text) => parseUnits(text, RATE_PLACES);

/** A quantity for the wire and the screen: 2000n → "2", 350n → "0.35". */
export function quantityToString(milli) {
  return unitsToString(milli, QUANTITY_PLACES).replace(/\.?0+$/, "") || "0";
}

/** A percentage for the wire: 125000n → "12.5". */
export function rateToString(units) {
  return unitsToString(units, RATE_PLACES).replace(/\.?0+$/, "") || "0";
}

/** num / den rounded half away from zero (Python's ROUND_HALF_UP); den > 0. */
export function divRoundHalfUp(num, den) {
  const negative = num < 0n;
  const magnitude = negative ? -num : num;
  const quotient = (2n * magnitude + den) / (2n * den);
  return negative ? -quotient : quotient;
}

/** Round to a multiple of ``step`` (both in cents), half away from zero. */
export function roundToStep(value, step) {
  return divRoundHalfUp(value, step) * step;
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0n);
}

/**
 * Price an order like the server does.
 * lines: [{quantity: "2", unit_price: "3.50", discount_percent: "0", tax_rate: "21.0000"}]
 * company: the catalog's company (prices_include_tax, tax_rounding, cash_rounding)
 * Returns BigInt cents: {lines: [{amount, discount, net, tax, total}], net, tax, total, due, rounding}.
 */
export function priceOrder(lines, company, { cash = false } = {}) {
  const included = Boolean(company.prices_include_tax);
  const perLine = company.tax_rounding !== "per_total";
  const parsed = lines.map((line) => {
    const quantity = parseQuantity(line.quantity) ?? 0n;
    const price = cents(line.unit_price) ?? 0n;
    const discountRate = parseRate(line.discount_percent || "0") ?? 0n;
    const rate = parseRate(line.tax_rate || "0") ?? 0n;
    const amount = divRoundHalfUp(quantity * price, 10n ** BigInt(QUANTITY_PLACES));
    const discount = divRoundHalfUp(amount * discountRate, HUNDRED_PERCENT);
    return { rate, amount, discount, after: amount - discount };
  });
  const taxDenominator = (rate) => (included ? HUNDRED_PERCENT + rate : HUNDRED_PERCENT);
  const taxes = parsed.map(() => 0n);
  if (perLine) {
    parsed.forEach((line, i) => {
      taxes[i] = divRoundHalfUp(line.after * line.rate, taxDenominator(line.rate));
    });
  } else {
    // Tax per rate on the summed base, spread over the lines by largest remainder.
    const groups = new Map();
    parsed.forEach((line, i) => {
      if (!groups.has(line.rate)) groups.set(line.rate, []);
      groups.get(line.rate).push(i);
    });
    for (const [rate, indexes] of groups) {
      const den = taxDenominator(rate);
      const base = sum(indexes.map((i) => parsed[i].after));
      const groupTax = divRoundHalfUp(base * rate, den);
      const rounded = indexes.map((i) => divRoundHalfUp(parsed[i].after * rate, den));
      let missing = groupTax - sum(rounded);
      if (missing !== 0n) {
        const step = missing > 0n ? 1n : -1n;
        // residual in units of 1/den cent: raw×den − rounded×den
        const residual = indexes.map((i, k) => (parsed[i].after * rate - rounded[k] * den) * step);
        const order = indexes.map((_, k) => k).sort((a, b) => (residual[b] > residual[a] ? 1 : residual[b] < residual[a] ? -1 : a - b));
        for (const k of order) {
          if (missing === 0n) break;
          rounded[k] += step;
          missing -= step;
        }
      }
      indexes.forEach((i, k) => {
        taxes[i] = rounded[k];
      });
    }
  }
  const priced = parsed.map((line, i) => {
    const net = included ? line.after - taxes[i] : line.after;
    return { amount: line.amount, discount: line.discount, net, tax: taxes[i], total: net + taxes[i] };
  });
  const net = sum(priced.map((p) => p.net));
  const tax = sum(priced.map((p) => p.tax));
  const total = net + tax;
  let due = total;
  const step = cents(company.cash_rounding || "0.01") ?? 1n;
  if (cash && step > 1n) due = roundToStep(total, step);
  return { lines: priced, net, tax, total, due, rounding: due - total };
}

/** Formats amounts for the company's locale and currency (Intl, from exact strings). */
export class MoneyFormat {
  constructor(locale, currency) {
    this.currency = currency || "EUR";
    let format;
    try {
      format = new Intl.NumberFormat(locale || undefined, { style: "currency", currency: this.currency });
    } catch {
      format = new Intl.NumberFormat(undefined, { style: "currency", currency: this.currency });
    }
    this.format = format;
    this.locale = format.resolvedOptions().locale;
    this.plain = new Intl.NumberFormat(this.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  /** BigInt cents or a wire string → "€ 12,30" (nl-BE). */
  money(value) {
    const text = typeof value === "bigint" ? centsToString(value) : String(value ?? "0.00");
    return this.format.format(text);
  }

  /** Without the currency symbol: "12,30". */
  number(value) {
    const text = typeof value === "bigint" ? centsToString(value) : String(value ?? "0.00");
    return this.plain.format(text);
  }

  quantity(milliOrText) {
    const text = typeof milliOrText === "bigint" ? quantityToString(milliOrText) : String(milliOrText);
    return new Intl.NumberFormat(this.locale, { maximumFractionDigits: 3 }).format(text);
  }
}
