// Exact money arithmetic in integer minor units (BigInt), never floats.
//
// Order pricing mirrors src/opentill/orders/pricing.py line for line, so the total the
// cashier sees is the total the server recomputes (else the sync answers payment_mismatch).

const MONEY_PLACES = 2;
const QUANTITY_PLACES = 3;
const RATE_PLACES = 4;

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

/** Round to a multiple of ``step`` (both in the same units), half away from zero. */
export function roundToStep(value, step) {
  return divRoundHalfUp(value, step) * step;
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0n);
}

// --- exact rationals ----------------------------------------------------------------------
// A rational is [numerator, denominator] of BigInts, denominator > 0, kept in lowest terms.
// The server solves with 50-digit Decimals; here every intermediate value is exact and only
// the points where the server quantizes round (half away from zero, like ROUND_HALF_UP).

const gcd = (a, b) => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
};

function ratio(n, d = 1n) {
  if (d === 0n) throw new RangeError("division by zero");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? [n / g, d / g] : [n, d];
}
const R0 = [0n, 1n];
const R1 = [1n, 1n];
const add = (x, y) => ratio(x[0] * y[1] + y[0] * x[1], x[1] * y[1]);
const sub = (x, y) => ratio(x[0] * y[1] - y[0] * x[1], x[1] * y[1]);
const mul = (x, y) => ratio(x[0] * y[0], x[1] * y[1]);
const div = (x, y) => ratio(x[0] * y[1], x[1] * y[0]);
const cmp = (x, y) => {
  const l = x[0] * y[1];
  const r = y[0] * x[1];
  return l < r ? -1 : l > r ? 1 : 0;
};
const pow10 = (places) => 10n ** BigInt(places);
const HUNDRED = [100n, 1n];

/** An exact decimal string ("21", "21.0000", "-0.350", "0.05") as a rational; null if not one. */
export function parseDecimal(text) {
  const match = /^\s*([-+])?(\d*)(?:[.,](\d*))?\s*$/.exec(String(text ?? ""));
  if (!match || (!match[2] && !match[3])) return null;
  const frac = match[3] || "";
  const n = BigInt((match[2] || "0") + frac);
  return ratio(match[1] === "-" ? -n : n, pow10(frac.length));
}

function decimal(value) {
  if (typeof value === "bigint") return [value, 1n];
  if (typeof value === "number") return parseDecimal(String(value)) ?? R0;
  return parseDecimal(value) ?? R0;
}

/** A rational rounded to ``places`` decimals, half away from zero: BigInt units. */
const quantize = (x, places) => divRoundHalfUp(x[0] * pow10(places), x[1]);
/** BigInt units of ``places`` decimals as a rational. */
const units = (u, places) => ratio(u, pow10(places));

// --- taxes and fiscal positions ------------------------------------------------------------

const TAX_DEFAULTS = { kind: "percent", rate: "0", amount: "0", price_include: true, include_base_amount: false, sequence: 10 };

function lookup(known, id) {
  const tax = known instanceof Map ? (known.get(id) ?? known.get(String(id)) ?? known.get(Number(id))) : known?.[id];
  if (!tax) throw new Error(`unknown tax ${id}`);
  return tax;
}

/** Taxes by id (Map or object, or a list of taxes with ids) as a Map keyed by the id's string. */
export function taxIndex(taxes) {
  const index = new Map();
  const list = taxes instanceof Map ? [...taxes.entries()] : Array.isArray(taxes) ? taxes.map((t) => [t.id, t]) : Object.entries(taxes || {});
  for (const [id, tax] of list) index.set(String(id), { ...TAX_DEFAULTS, ...tax, id: tax.id ?? Number(id) });
  return index;
}

/** A tax as pricing needs it: rate and amount as rationals. */
function spec(tax) {
  const t = { ...TAX_DEFAULTS, ...tax };
  return {
    id: t.id,
    kind: t.kind,
    rate: decimal(t.rate),
    amount: decimal(t.amount),
    price_include: Boolean(t.price_include),
    include_base_amount: Boolean(t.include_base_amount),
    sequence: Number(t.sequence),
  };
}

const idOrder = (a, b) => (Number(a.id) < Number(b.id) ? -1 : Number(a.id) > Number(b.id) ? 1 : String(a.id).localeCompare(String(b.id)));

/** Taxes in the order they apply: by sequence, then id (pricing.py ``ordered``). */
export function orderedTaxes(taxes) {
  return [...taxes].sort((a, b) => a.sequence - b.sequence || idOrder(a, b));
}

/** Each tax amount as ``a·B + b``, B the line's net base (pricing.py ``_coefficients``). */
function coefficients(taxes, quantity) {
  const result = [];
  let carriedA = R0;
  let carriedB = R0;
  for (const tax of taxes) {
    let a;
    let b;
    if (tax.kind === "fixed") {
      a = R0;
      b = mul(quantity, tax.amount);
    } else {
      a = div(mul(add(R1, carriedA), tax.rate), HUNDRED);
      b = div(mul(carriedB, tax.rate), HUNDRED);
    }
    result.push([a, b]);
    if (tax.include_base_amount) {
      carriedA = add(carriedA, a);
      carriedB = add(carriedB, b);
    }
  }
  return result;
}

/** The price-included taxes together, as ``a·B + b`` (pricing.py ``_included``). */
function included(taxes, quantity) {
  let a = R0;
  let b = R0;
  coefficients(taxes, quantity).forEach(([ta, tb], i) => {
    if (taxes[i].price_include) {
      a = add(a, ta);
      b = add(b, tb);
    }
  });
  return [a, b];
}

/** The exact net base and amount of each tax of a line whose price after discount is
 * ``gross`` (pricing.py ``_net_and_taxes``): B = (G − Σb) / (1 + Σa). */
function netAndTaxes(gross, quantity, taxes) {
  const [a, b] = included(taxes, quantity);
  const net = div(sub(gross, b), add(R1, a));
  return [net, coefficients(taxes, quantity).map(([ta, tb]) => add(mul(ta, net), tb))];
}

/** A fiscal position's tax map (``{taxes: {src: [dest]}}`` as in the shared cases, or
 * ``{taxes: [{tax, to}]}`` as the catalog sends it) as a Map src id string → dest ids. */
function positionMap(position) {
  const map = new Map();
  const taxes = position?.taxes ?? {};
  if (Array.isArray(taxes)) for (const t of taxes) map.set(String(t.tax), t.to || []);
  else if (taxes instanceof Map) for (const [src, to] of taxes) map.set(String(src), to || []);
  else for (const [src, to] of Object.entries(taxes)) map.set(String(src), to || []);
  return map;
}

/**
 * A line as the order's fiscal position charges it (pricing.py ``map_line``): its taxes
 * replaced and, when the price-included taxes change, its unit price stripped of the old ones
 * and given the new ones, rounded to ``places``, so the price without tax stays the same
 * (5.30 with 12 % included becomes 5.02 with 6 %). ``position`` null: the line unchanged.
 * line: {quantity, unit_price, discount_percent, taxes: [tax ids]}; known: the taxes by id.
 */
export function mapLine(line, position, known, places = MONEY_PLACES) {
  if (!position) return line;
  const map = positionMap(position);
  const index = taxIndex(known);
  const given = (line.taxes || []).map((id) => spec(lookup(index, id)));
  const result = new Map();
  for (const tax of given) {
    const key = String(tax.id);
    if (map.has(key)) for (const dest of map.get(key)) result.set(String(dest), spec(lookup(index, dest)));
    else result.set(key, tax);
  }
  const taxes = orderedTaxes([...result.values()]);
  const before = given.filter((t) => t.price_include).map((t) => String(t.id));
  const after = taxes.filter((t) => t.price_include).map((t) => String(t.id));
  let unitPrice = line.unit_price;
  if (before.join(",") !== after.join(",")) {
    const [net] = netAndTaxes(decimal(line.unit_price), R1, given);
    const [a, b] = included(taxes, R1);
    unitPrice = unitsToString(quantize(add(mul(net, add(R1, a)), b), places), places);
  }
  return { ...line, unit_price: unitPrice, taxes: taxes.map((t) => t.id) };
}

// --- the conventions ------------------------------------------------------------------------

/** The company's rounding conventions as the catalog sends them (missing: today's defaults). */
export function conventionsOf(company = {}) {
  const places = company.currency_places ?? company.places ?? company.decimals ?? MONEY_PLACES;
  return {
    tax_rounding: company.tax_rounding === "per_total" ? "global" : company.tax_rounding || "per_line",
    discount_rounding: company.discount_rounding || "discount",
    cash_rounding: company.cash_rounding || "0.01",
    cash_rounding_mode: company.cash_rounding_mode || "half_up",
    cash_rounding_scope: company.cash_rounding_scope || "cash",
    places: Number(places),
  };
}

/** (discount, line amount after discount) in units (pricing.py ``discount_line``). */
export function discountLine(amount, quantity, unitPrice, discountPercent, { convention = "discount", places = MONEY_PLACES } = {}) {
  const d = decimal(discountPercent);
  if (d[0] === 0n) return [0n, amount];
  if (convention === "line") {
    const after = quantize(div(mul(mul(decimal(quantity), decimal(unitPrice)), sub(HUNDRED, d)), HUNDRED), places);
    return [amount - after, after];
  }
  const discount = quantize(div(mul(units(amount, places), d), HUNDRED), places);
  return [discount, amount - discount];
}

/**
 * Round each of ``raw`` (rationals) to ``places`` so that they add up to ``target`` (units):
 * largest remainder, ties to the earlier value (pricing.py ``allocate``).
 */
function allocate(target, raw, places) {
  const rounded = raw.map((x) => quantize(x, places));
  const missing = target - sum(rounded);
  if (missing) {
    const sign = missing > 0n ? 1n : -1n;
    const residual = raw.map((x, i) => mul(sub(x, units(rounded[i], places)), [sign, 1n]));
    const order = raw.map((_, i) => i).sort((i, j) => cmp(residual[j], residual[i]) || i - j);
    const count = Number(missing < 0n ? -missing : missing);
    for (const i of order.slice(0, count)) rounded[i] += sign;
  }
  return rounded;
}

/**
 * Round the exact tax amounts of each line (``raw[line] = [[tax id, rational]]``) under the
 * tax rounding convention (pricing.py ``round_taxes``): ``per_line`` rounds each; ``global``
 * rounds each tax's sum once per tax id, sale lines and refund lines apart, and spreads it
 * over the lines by largest remainder. Returns units.
 */
function roundTaxes(raw, refund, { convention, places }) {
  const rounded = raw.map((line) => line.map(([, amount]) => quantize(amount, places)));
  if (convention === "per_line") return rounded;
  const groups = new Map();
  raw.forEach((line, i) => {
    line.forEach(([taxId], k) => {
      const key = `${taxId}|${refund[i]}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push([i, k]);
    });
  });
  for (const members of groups.values()) {
    const values = members.map(([i, k]) => raw[i][k][1]);
    const target = quantize(values.reduce(add, R0), places);
    allocate(target, values, places).forEach((value, m) => {
      const [i, k] = members[m];
      rounded[i][k] = value;
    });
  }
  return rounded;
}

const CASH_MODES = ["half_up", "up", "down"];

/** ``value`` (units) to a multiple of ``step`` (a decimal string) in the mode: ``half_up``
 * (half away from zero), ``up`` (away from zero) or ``down`` (towards zero). */
export function roundCash(value, step, mode = "half_up", places = MONEY_PLACES) {
  if (!CASH_MODES.includes(mode)) throw new Error(`unknown cash rounding mode ${mode}`);
  const q = div(units(value, places), decimal(step));
  const negative = q[0] < 0n;
  const [n, d] = [negative ? -q[0] : q[0], q[1]];
  let whole = n / d;
  const rest = n % d;
  if (rest && (mode === "up" || (mode === "half_up" && 2n * rest >= d))) whole += 1n;
  return quantize(mul([negative ? -whole : whole, 1n], decimal(step)), places);
}

/**
 * The amount due of an order of ``total`` (units) under the cash rounding convention
 * (pricing.py ``cash_due``). ``cashAfter``: what the other methods pay when cash pays the rest
 * (null: no cash). Scope ``cash``: only the cash remainder is rounded (15.72 with 0.68 by
 * card: 15.04 in cash → 15.05, due 15.73); scope ``all``: the total, whatever pays it.
 */
export function cashDue(total, conventions, cashAfter = null) {
  const c = conventionsOf(conventions);
  const step = decimal(c.cash_rounding);
  if (cmp(step, units(1n, c.places)) <= 0) return total;
  if (c.cash_rounding_scope === "all") return roundCash(total, c.cash_rounding, c.cash_rounding_mode, c.places);
  if (cashAfter === null || cashAfter === undefined) return total;
  const after = typeof cashAfter === "bigint" ? cashAfter : quantize(decimal(cashAfter), c.places);
  return after + roundCash(total - after, c.cash_rounding, c.cash_rounding_mode, c.places);
}

/**
 * Price an order like the server does (pricing.py ``price_order``), under the company's
 * conventions (``conventionsOf(company)`` or the company itself).
 * lines: [{quantity: "2", unit_price: "3.50", discount_percent: "0", taxes: [tax ids]}], the
 *   lines already under the order's fiscal position (``mapLine``);
 * taxes: the catalog's taxes by id (Map, object or list);
 * cashAfter: what the other methods pay when cash pays the rest (units or a string; null:
 *   no cash).
 * Returns BigInt units of the currency's places: {lines: [{amount, discount, net, tax, total,
 * taxes: [{tax, base, amount}]}], net, tax, total, due, rounding}.
 */
export function priceOrder(lines, conventions = {}, { taxes = {}, cashAfter = null } = {}) {
  const c = conventionsOf(conventions);
  const places = c.places;
  const index = taxIndex(taxes);
  const parsed = lines.map((line) => {
    const quantity = decimal(line.quantity);
    const price = decimal(line.unit_price);
    const specs = orderedTaxes((line.taxes || []).map((id) => spec(lookup(index, id))));
    const amount = quantize(mul(quantity, price), places);
    const [discount, after] = discountLine(amount, line.quantity, line.unit_price, line.discount_percent || "0", {
      convention: c.discount_rounding,
      places,
    });
    const [, raw] = netAndTaxes(units(after, places), quantity, specs);
    return { specs, amount, discount, after, raw: specs.map((t, k) => [t.id, raw[k]]), refund: quantity[0] < 0n };
  });
  const rounded = roundTaxes(
    parsed.map((p) => p.raw),
    parsed.map((p) => p.refund),
    { convention: c.tax_rounding, places },
  );
  const priced = parsed.map((p, i) => {
    const values = rounded[i];
    const includedTax = sum(values.filter((_, k) => p.specs[k].price_include));
    const net = p.after - includedTax;
    const tax = sum(values);
    let carried = 0n;
    const lineTaxes = p.specs.map((t, k) => {
      const row = { tax: t.id, base: net + carried, amount: values[k] };
      if (t.include_base_amount) carried += values[k];
      return row;
    });
    return { amount: p.amount, discount: p.discount, net, tax, total: net + tax, taxes: lineTaxes };
  });
  const net = sum(priced.map((p) => p.net));
  const tax = sum(priced.map((p) => p.tax));
  const total = net + tax;
  const due = cashDue(total, c, cashAfter);
  return { lines: priced, net, tax, total, due, rounding: due - total, places };
}

/** Formats amounts for the company's locale and currency (Intl, from exact strings), with
 * the currency's decimals (``places``: 0, 2 or 3); BigInt values are units of ``places``. */
export class MoneyFormat {
  constructor(locale, currency, places = MONEY_PLACES) {
    this.currency = currency || "EUR";
    this.places = Number.isInteger(places) ? places : MONEY_PLACES;
    const digits = { minimumFractionDigits: this.places, maximumFractionDigits: this.places };
    let format;
    try {
      format = new Intl.NumberFormat(locale || undefined, { style: "currency", currency: this.currency, ...digits });
    } catch {
      format = new Intl.NumberFormat(undefined, { style: "currency", currency: this.currency, ...digits });
    }
    this.format = format;
    this.locale = format.resolvedOptions().locale;
    this.plain = new Intl.NumberFormat(this.locale, digits);
  }

  text(value) {
    return typeof value === "bigint" ? unitsToString(value, this.places) : String(value ?? unitsToString(0n, this.places));
  }

  /** BigInt units or a wire string → "€ 12,30" (nl-BE). */
  money(value) {
    return this.format.format(this.text(value));
  }

  /** Without the currency symbol: "12,30". */
  number(value) {
    return this.plain.format(this.text(value));
  }

  quantity(milliOrText) {
    const text = typeof milliOrText === "bigint" ? quantityToString(milliOrText) : String(milliOrText);
    return new Intl.NumberFormat(this.locale, { maximumFractionDigits: 3 }).format(text);
  }
}
