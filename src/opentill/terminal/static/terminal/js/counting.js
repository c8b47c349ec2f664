// Counting a payment method: a total, or coins and notes summed live. Used by the opening
// modal and the close wizard. A count that cannot be read ("12abc", a negative amount, more
// than the limits allow) is an error next to the field and counts as nothing: it is never
// replaced by another figure.

import { countProblem, denominationProblem, readLimits } from "./limits.js";
import { cents, centsToString, sum } from "./money.js";
import { h, uid } from "./ui.js";

/**
 * A count editor for ``method`` (catalog payment method with ``denominations``).
 * ``onchange(counted)`` gets BigInt cents, or null when nothing readable is entered.
 * ``byDenomination`` starts in that mode; ``limits`` (limits.readLimits) bound the count.
 */
export function countEditor({ method, fmt, onchange, byDenomination = false, label, limits = readLimits(null) }) {
  const denominations = method.denominations || [];
  const canDenominate = denominations.length > 0;
  let mode = canDenominate && byDenomination ? "denominations" : "total";
  const name = uid("mode");
  const quantities = new Map(denominations.map((d) => [d.value, 0]));
  const bad = new Map(); // denomination value → its error
  const errorId = uid("count-error");
  const errorText = h("span", { class: "field-error count-error", id: errorId, role: "alert", hidden: true });

  const totalId = uid("count");
  const totalInput = h("input", {
    id: totalId,
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    class: "amount",
    dataset: { method: method.id },
    "aria-describedby": errorId,
    oninput: () => changed(),
  });
  const totalRow = h("div", { class: "count-total" }, h("label", { for: totalId }, label || `Counted ${method.name}`), totalInput);

  const summed = h("output", { class: "denomination-sum", "aria-live": "polite" }, fmt.money(0n));
  const rows = denominations.map((d) => {
    const id = uid("den");
    const subtotal = h("span", { class: "subtotal" }, fmt.money(0n));
    const input = h("input", {
      id,
      type: "number",
      min: "0",
      step: "1",
      inputmode: "numeric",
      class: "qty",
      dataset: { value: d.value },
      "aria-describedby": errorId,
      oninput: () => {
        const text = input.value.trim();
        // A number input gives "" for what it cannot read: its validity says so.
        const unreadable = input.validity?.badInput || (text !== "" && !/^\d+$/.test(text));
        const n = text === "" || unreadable ? 0 : Number(text);
        const problem = unreadable ? "not a number of coins or notes" : denominationProblem(n, limits);
        if (problem) bad.set(d.value, `${fmt.money(d.value)}: ${problem}`);
        else bad.delete(d.value);
        input.setAttribute("aria-invalid", String(Boolean(problem)));
        quantities.set(d.value, problem ? 0 : n);
        touched.add(d.value);
        if (text === "" && !unreadable) touched.delete(d.value);
        subtotal.textContent = fmt.money(cents(d.value) * BigInt(quantities.get(d.value)));
        changed();
      },
    });
    const kind = d.kind === "note" ? "note" : "coin";
    return h("div", { class: `den-row ${kind}` }, h("label", { for: id }, `${fmt.money(d.value)} ${kind}s`), input, subtotal);
  });
  const grid = h(
    "div",
    { class: "denominations" },
    h("div", { class: "den-col" }, rows.filter((r) => r.classList.contains("coin"))),
    h("div", { class: "den-col" }, rows.filter((r) => r.classList.contains("note"))),
    h("p", { class: "den-sum" }, "Total counted: ", summed),
  );

  const switcher = canDenominate
    ? h(
        "fieldset",
        { class: "count-mode" },
        h("legend", { class: "sr-only" }, `How to count ${method.name}`),
        ["total", "denominations"].map((value) => {
          const id = uid("radio");
          return h(
            "span",
            {},
            h("input", { type: "radio", id, name, value, checked: mode === value, onchange: () => setMode(value) }),
            h("label", { for: id }, value === "total" ? "Total" : "By denomination"),
          );
        }),
      )
    : null;

  const element = h("div", { class: "count-editor", dataset: { method: method.id } }, switcher, totalRow, grid, errorText);
  const touched = new Set(); // denominations a quantity was typed for

  function denominationTotal() {
    return sum(denominations.map((d) => cents(d.value) * BigInt(quantities.get(d.value))));
  }

  /** Why the count cannot be taken as it stands, or null. */
  function error() {
    if (mode === "denominations") {
      if (bad.size) return [...bad.values()].join("; ");
      return countProblem(denominationTotal(), limits);
    }
    const text = totalInput.value.trim();
    if (text === "") return null;
    const value = cents(text);
    if (value === null) return `“${text}” is not an amount: type e.g. 150.00`;
    return countProblem(value, limits);
  }

  /** The count in cents; null when nothing is entered or what is entered is not readable. */
  function counted() {
    if (error()) return null;
    if (mode === "denominations") return touched.size ? denominationTotal() : null;
    const text = totalInput.value.trim();
    return text === "" ? null : cents(text);
  }

  function setMode(value) {
    mode = value;
    totalRow.hidden = mode !== "total";
    grid.hidden = mode !== "denominations";
    changed();
  }

  function changed() {
    summed.textContent = fmt.money(denominationTotal());
    const problem = error();
    totalInput.setAttribute("aria-invalid", String(mode === "total" && Boolean(problem)));
    errorText.textContent = problem ? `Not a count: ${problem}.` : "";
    errorText.hidden = !problem;
    if (onchange) onchange(counted());
  }

  setMode(mode);
  return {
    element,
    counted,
    error,
    /** Whether nothing at all is entered (no total typed, no coin or note counted). */
    get empty() {
      return mode === "denominations" ? touched.size === 0 && bad.size === 0 : totalInput.value.trim() === "";
    },
    get mode() {
      return mode;
    },
    /** Set the total (e.g. "confirm expected"); switches to total mode. */
    setTotal(value) {
      if (canDenominate && mode !== "total") {
        element.querySelector('input[value="total"]').checked = true;
      }
      totalInput.value = centsToString(value);
      setMode("total");
    },
    focus() {
      (mode === "total" ? totalInput : element.querySelector(".den-row input"))?.focus();
    },
    /** The count as the API wants it: amount / counted, or denomination rows. */
    payload() {
      if (mode === "denominations") {
        return {
          denominations: denominations
            .filter((d) => quantities.get(d.value) > 0)
            .map((d) => ({ value: d.value, quantity: quantities.get(d.value) })),
          total: denominationTotal(),
        };
      }
      return { total: counted() };
    },
  };
}
