// Counting a payment method: a total, or coins and notes summed live. Used by the opening
// modal and the close wizard.

import { cents, centsToString, sum } from "./money.js";
import { h, uid } from "./ui.js";

/**
 * A count editor for ``method`` (catalog payment method with ``denominations``).
 * ``onchange(counted)`` gets BigInt cents or null. ``byDenomination`` starts in that mode.
 */
export function countEditor({ method, fmt, onchange, byDenomination = false, label }) {
  const denominations = method.denominations || [];
  const canDenominate = denominations.length > 0;
  let mode = canDenominate && byDenomination ? "denominations" : "total";
  const name = uid("mode");
  const quantities = new Map(denominations.map((d) => [d.value, 0]));

  const totalId = uid("count");
  const totalInput = h("input", {
    id: totalId,
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    class: "amount",
    dataset: { method: method.id },
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
      oninput: () => {
        const n = Number.parseInt(input.value || "0", 10);
        quantities.set(d.value, Number.isFinite(n) && n > 0 ? n : 0);
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

  const element = h("div", { class: "count-editor", dataset: { method: method.id } }, switcher, totalRow, grid);

  function denominationTotal() {
    return sum(denominations.map((d) => cents(d.value) * BigInt(quantities.get(d.value))));
  }

  function counted() {
    if (mode === "denominations") return denominationTotal();
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
    const value = counted();
    totalInput.setAttribute("aria-invalid", mode === "total" && totalInput.value.trim() !== "" && (value === null || value < 0n) ? "true" : "false");
    if (onchange) onchange(value);
  }

  setMode(mode);
  return {
    element,
    counted,
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
      const value = counted();
      return { total: value };
    },
  };
}
