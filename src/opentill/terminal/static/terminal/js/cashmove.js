// Cash in/out: a drop (cash out of the drawer to a destination) or a deposit (cash in from a
// source), with a reason. Online only: a cash move is not idempotent, so it is never retried.

import * as api from "./api.js";
import { cents, centsToString } from "./money.js";
import * as store from "./store.js";
import { errorLine, field, fill, h, modal, showErrorLine, toast } from "./ui.js";

export async function openCashMove(app) {
  const profile = app.profile;
  const key = `destinations:${profile.id}`;
  let destinations;
  try {
    destinations = await api.get(`/profiles/${profile.id}/cash-move-destinations`);
    await store.kvSet(key, destinations);
  } catch (error) {
    if (error instanceof api.ApiError) {
      toast(api.errorMessage(error), "error", 7000);
      return;
    }
    destinations = (await store.kvGet(key)) || { drop: [], deposit: [] };
  }
  const methods = app.catalog.payment_methods.filter((m) => m.kind === "cash");
  if (!methods.length) {
    toast("This profile has no cash payment method.", "warn");
    return;
  }
  let kind = "drop";
  const kindBar = h("fieldset", { class: "segmented" }, h("legend", {}, "Kind"));
  const [methodLabel, method] = field("Payment method", { tag: "select", name: "payment_method" });
  fill(method, methods.map((m) => h("option", { value: String(m.id) }, m.name)));
  const [amountLabel, amount] = field("Amount", { name: "amount", inputmode: "decimal", autocomplete: "off", class: "amount" });
  const [placeLabel, place] = field("Destination", { tag: "select", name: "destination" });
  const [reasonLabel, reason] = field("Reason", { name: "reason", maxlength: 255, autocomplete: "off" });
  const error = errorLine();
  const save = h("button", { type: "button", class: "primary" }, "Save");

  function renderKind() {
    fill(
      kindBar,
      h("legend", {}, "Kind"),
      [
        ["drop", "Drop (cash out)"],
        ["deposit", "Deposit (cash in)"],
      ].map(([value, text]) => {
        const id = `cm-${value}`;
        return h(
          "span",
          {},
          h("input", { type: "radio", name: "cm-kind", id, value, checked: kind === value, onchange: () => { kind = value; renderKind(); } }),
          h("label", { for: id }, text),
        );
      }),
    );
    placeLabel.textContent = kind === "drop" ? "Destination" : "Source";
    const options = destinations[kind] || [];
    fill(place, options.length ? options.map((d) => h("option", { value: d }, d)) : h("option", { value: "" }, "Default"));
  }
  renderKind();

  const dialog = modal({
    title: "Cash in/out",
    className: "cash-move",
    body: h("div", { class: "form-grid" }, kindBar, methodLabel, method, amountLabel, amount, placeLabel, place, reasonLabel, reason, error),
    actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), save],
  });
  amount.focus();
  const submit = async () => {
    showErrorLine(error, "");
    const value = cents(amount.value);
    if (value === null || value <= 0n) {
      showErrorLine(error, "Enter a positive amount, e.g. 200.00.");
      amount.focus();
      return;
    }
    if (!api.isReachable() && !navigator.onLine) {
      showErrorLine(error, "Cash moves need the network: try again when online.");
      return;
    }
    save.disabled = true;
    try {
      await api.post(`/sessions/${app.session.id}/cash-moves`, {
        kind,
        payment_method: Number(method.value),
        amount: centsToString(value),
        destination: place.value,
        reason: reason.value.trim(),
      });
      dialog.close();
      toast(`${kind === "drop" ? "Drop to" : "Deposit from"} ${place.value || "the default account"}: ${app.fmt.money(value)} recorded.`);
    } catch (err) {
      showErrorLine(error, api.errorMessage(err));
      save.disabled = false;
    }
  };
  save.addEventListener("click", submit);
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      submit();
    }
  });
}
