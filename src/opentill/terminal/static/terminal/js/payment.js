// The payment dialog: one or several methods, amount tendered and change, refunds.
// Amounts are BigInt units of the currency (cents for two decimals); the amount due follows
// the server's rules (ticket.js: the ticket's fiscal position and the company's conventions;
// with cash, only what is left for cash after the other methods is rounded), so the synced
// order never meets payment_mismatch.

import { amountProblem } from "./limits.js";
import { parseUnits, sum } from "./money.js";
import { amountText, amountUnits, priceTicket } from "./ticket.js";
import { errorLine, fill, h, modal, showErrorLine } from "./ui.js";

/**
 * One payment as the order sends it: the amount (net of change) and, for cash handed over
 * beyond it, what the customer tendered; the server keeps change = tendered − amount. Only a
 * cash payment gives change; a refund and an exact payment send no tendered.
 */
export function wirePayment(p) {
  const out = { payment_method: p.payment_method, amount: p.amount };
  // Compared at three places, which reads amounts of any currency (0, 2 or 3 decimals).
  const amount = parseUnits(p.amount, 3);
  const tendered = p.tendered === undefined || p.tendered === null ? null : parseUnits(p.tendered, 3);
  if (p.kind === "cash" && amount > 0n && tendered !== null && tendered > amount) out.tendered = p.tendered;
  return out;
}

/** Resolves with {payments, total, due, tax, net, tendered, change} or null when cancelled. */
export function openPayment(app, cart) {
  const fmt = app.fmt;
  const toUnits = (text) => amountUnits(app.catalog, text);
  const toText = (units) => amountText(app.catalog, units);
  const methods = app.catalog.payment_methods;
  const exact = priceTicket(app.catalog, cart);
  const refund = exact.total < 0n;
  const sign = refund ? -1n : 1n;
  const payments = []; // {method, amount (signed units), tendered (units, ≥ amount), change}
  let selected = methods.find((m) => m.kind === "cash") || methods[0];
  let result = null;

  // Cash rounding (pricing.py cash_due): when cash pays, only what is left for cash after
  // the other methods is rounded (15.72 with 0.68 by card: 15.05 in cash); under the "all"
  // scope the total is rounded whatever pays it.
  const hasCash = () => payments.some((p) => p.method.kind === "cash");
  const otherMethods = () => sum(payments.filter((p) => p.method.kind !== "cash").map((p) => p.amount));
  const dueFor = (cash) => priceTicket(app.catalog, cart, { cashAfter: cash ? otherMethods() : null }).due;
  const paid = () => sum(payments.map((p) => p.amount));
  const remainingWith = (method) => dueFor(hasCash() || method?.kind === "cash") - paid();
  const remaining = () => dueFor(hasCash()) - paid();

  return new Promise((resolve) => {
    const input = h("input", { id: "tendered", type: "text", inputmode: "decimal", autocomplete: "off", class: "amount big" });
    const error = errorLine();
    const methodBar = h("div", { class: "methods", role: "radiogroup", "aria-label": "Payment method" });
    const quick = h("div", { class: "quick", "aria-label": "Quick amounts" });
    const list = h("ul", { class: "payments", "aria-label": "Payments" });
    const summary = h("dl", { class: "pay-summary", "aria-live": "polite" });
    const validate = h("button", { type: "button", class: "primary big", id: "validate-payment" }, "Validate ", h("kbd", {}, "Enter"));

    function render() {
      fill(
        methodBar,
        methods.map((m) =>
          h(
            "button",
            {
              type: "button",
              role: "radio",
              class: "method",
              "aria-checked": String(m === selected),
              dataset: { method: m.id, kind: m.kind },
              onclick: () => {
                selected = m;
                render();
                input.focus();
              },
            },
            m.name,
          ),
        ),
      );
      const left = remainingWith(selected);
      const notes = (selected.denominations || [])
        .map((d) => toUnits(d.value))
        .filter((v) => v !== null && v > left && v >= toUnits("5"))
        .slice(0, 3);
      fill(
        quick,
        left * sign > 0n
          ? [
              h("button", { type: "button", class: "chip", onclick: () => addPayment(selected, "") }, `Exact ${fmt.money(left * sign)}`),
              selected.kind === "cash" && !refund
                ? notes.map((v) => h("button", { type: "button", class: "chip", onclick: () => addPayment(selected, toText(v)) }, fmt.money(v)))
                : null,
            ]
          : null,
      );
      fill(
        list,
        payments.map((p, i) =>
          h(
            "li",
            { dataset: { method: p.method.id } },
            h("span", {}, p.method.name),
            h("span", { class: "amount" }, fmt.money(p.tendered * sign)),
            h(
              "button",
              {
                type: "button",
                class: "icon",
                "aria-label": `Remove the ${p.method.name} payment`,
                onclick: () => {
                  payments.splice(i, 1);
                  render();
                  input.focus();
                },
              },
              "×",
            ),
          ),
        ),
      );
      const rest = remaining();
      const change = sum(payments.map((p) => p.change));
      const due = dueFor(hasCash());
      fill(
        summary,
        h("dt", {}, refund ? "To refund" : "Amount due"),
        h("dd", { id: "amount-due" }, fmt.money(due * sign)),
        h("dt", {}, refund ? "Refunded" : "Paid"),
        h("dd", { id: "amount-paid" }, fmt.money(paid() * sign)),
        h("dt", {}, "Remaining"),
        h("dd", { id: "amount-remaining", class: rest ? "neg" : "" }, fmt.money(rest * sign)),
        refund ? null : h("dt", { class: "change" }, "Change"),
        refund ? null : h("dd", { id: "amount-change", class: "change" }, fmt.money(change)),
      );
      validate.disabled = rest !== 0n;
    }

    function addPayment(method, text) {
      showErrorLine(error, "");
      const left = remainingWith(method);
      if (left === 0n) {
        showErrorLine(error, "Nothing remains to be paid.");
        return false;
      }
      let amount;
      if (text.trim() === "") amount = left;
      else {
        const value = toUnits(text);
        if (value === null || value <= 0n) {
          showErrorLine(error, `“${text}” is not an amount: type e.g. 20 or 12.50.`);
          return false;
        }
        const tooMuch = amountProblem(value, app.limits, { what: "an amount tendered" });
        if (tooMuch) {
          showErrorLine(error, `Refused: ${tooMuch}.`);
          return false;
        }
        amount = value * sign;
      }
      const maxPayments = app.limits?.maxPayments;
      if (maxPayments !== null && maxPayments !== undefined && payments.length >= maxPayments) {
        showErrorLine(error, `Refused: at most ${maxPayments} payments on one ticket.`);
        return false;
      }
      let change = 0n;
      const tendered = amount;
      if (amount * sign > left * sign) {
        if (method.kind !== "cash" || refund) {
          showErrorLine(error, `${method.name} cannot exceed the remaining ${fmt.money(left * sign)}.`);
          return false;
        }
        change = amount - left;
        amount = left;
      }
      payments.push({ method, amount, tendered, change });
      input.value = "";
      render();
      return true;
    }

    function finish() {
      if (remaining() !== 0n) return;
      const priced = priceTicket(app.catalog, cart, { cashAfter: hasCash() ? otherMethods() : null });
      result = {
        payments: payments.map((p) => ({
          payment_method: p.method.id,
          name: p.method.name,
          kind: p.method.kind,
          amount: toText(p.amount),
          tendered: toText(p.tendered),
          change: toText(p.change),
        })),
        total: toText(priced.total),
        due: toText(priced.due),
        tax: toText(priced.tax),
        net: toText(priced.net),
        tendered: toText(sum(payments.map((p) => p.tendered))),
        change: toText(sum(payments.map((p) => p.change))),
      };
      dialog.close();
    }

    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        if (input.value.trim() === "" && remaining() === 0n) finish();
        else addPayment(selected, input.value);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const i = methods.indexOf(selected);
        selected = methods[(i + (event.key === "ArrowDown" ? 1 : methods.length - 1)) % methods.length];
        render();
      }
    });
    validate.addEventListener("click", finish);

    const dialog = modal({
      title: refund ? "Refund" : "Payment",
      className: "payment",
      wide: true,
      body: h(
        "div",
        { class: "pay-grid" },
        h(
          "div",
          {},
          methodBar,
          h("label", { for: "tendered" }, refund ? "Amount refunded" : "Amount tendered", h("span", { class: "muted" }, " (empty: the rest; ↑↓ method)")),
          h("div", { class: "tender-row" }, input, h("button", { type: "button", onclick: () => addPayment(selected, input.value) }, "Add")),
          quick,
          error,
        ),
        h("div", {}, summary, list),
      ),
      actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), validate],
      onclose: () => resolve(result),
    });
    render();
    input.focus();
  });
}
