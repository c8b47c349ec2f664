// Cash in/out: a drop (cash out of the drawer to a destination) or a deposit (cash in from a
// source), with a reason. Works offline: the move gets a uuid, is kept in IndexedDB and
// queued with the tickets (the API stores a move once per uuid, so resending is safe).
// Online, the dialog waits a few seconds for the server, to show a refusal (e.g. more cash
// dropped than the drawer holds) in place: the cashier has seen it, so the refused move is
// withdrawn and they save a corrected one. A refusal nobody saw (the dialog was closed, or
// the move was sent later) is kept and shown under "Needs attention".

import * as api from "./api.js";
import { amountProblem } from "./limits.js";
import { cents, centsToString } from "./money.js";
import { plainProblem } from "./problems.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { errorLine, field, fill, h, modal, newUuid, nowRfc3339, showErrorLine, toast } from "./ui.js";

/** The profile's drop destinations and deposit sources, kept in IndexedDB for offline use. */
export async function loadDestinations(profile) {
  const key = `destinations:${profile.id}`;
  try {
    const destinations = await api.get(`/profiles/${profile.id}/cash-move-destinations`);
    await store.kvSet(key, destinations);
    return destinations;
  } catch (error) {
    if (error instanceof api.ApiError) throw error;
    return (await store.kvGet(key)) || { drop: [], deposit: [] };
  }
}

export async function openCashMove(app) {
  const profile = app.profile;
  let destinations;
  try {
    destinations = await loadDestinations(profile);
  } catch (error) {
    toast(api.errorMessage(error), "error", 7000);
    return;
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
    if (save.disabled) return; // saving already
    showErrorLine(error, "");
    const value = cents(amount.value);
    const tooMuch = value === null ? null : amountProblem(value, app.limits);
    if (value === null || value <= 0n || tooMuch) {
      showErrorLine(error, tooMuch ? `Refused: ${tooMuch}.` : "Enter a positive amount, e.g. 200.00.");
      amount.setAttribute("aria-invalid", "true");
      amount.focus();
      return;
    }
    amount.setAttribute("aria-invalid", "false");
    save.disabled = true;
    const move = {
      uuid: newUuid(),
      session: app.session.id,
      profile: app.profile.id,
      kind,
      payment_method: Number(method.value),
      amount: centsToString(value),
      destination: place.value,
      reason: reason.value.trim(),
      created_at: nowRfc3339(),
      sync: "pending",
      error: null,
    };
    const what = `${kind === "drop" ? "Drop to" : "Deposit from"} ${place.value || "the default account"}: ${app.fmt.money(value)}`;
    try {
      await sync.enqueueMove(move);
    } catch (err) {
      showErrorLine(error, `The move could not be stored in this browser: ${api.errorMessage(err)}`);
      save.disabled = false;
      return;
    }
    save.textContent = "Sending…";
    const outcome = navigator.onLine ? await sync.sendMoveNow(move.uuid) : move;
    if (outcome?.sync === "refused") {
      const words = plainProblem(outcome.problem, { money: (v) => app.fmt.money(v) });
      if (!dialog.open) {
        toast(`The server refused the move (${what}): ${words} It is kept under Attention.`, "error", 12000);
        return;
      }
      // Shown here, to the cashier who made it: withdrawn, to be saved again corrected.
      await sync.withdrawMove(move.uuid);
      showErrorLine(error, `Refused: ${words}`);
      save.textContent = "Save";
      save.disabled = false;
      amount.focus();
      return;
    }
    dialog.close();
    if (outcome?.sync === "sent") toast(`${what} recorded.`);
    else toast(`${what} saved in this terminal; it is sent as soon as the server answers.`, "warn", 6000);
  };
  save.addEventListener("click", submit);
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      submit();
    }
  });
}
