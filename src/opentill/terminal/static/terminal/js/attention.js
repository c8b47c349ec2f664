// "Needs attention": what the server did not take as sent, visible until it is resolved.
//   - refused: entries the server refused, kept in this browser's outbox (tickets and cash
//     moves), with what it said in plain words; send again (after a fix, or another sign-in),
//     or, for a cash move a person has seen refused, withdraw it;
//   - held: paid tickets the server stored for a manager (GET /sessions/{id}/held-orders);
//     they block the close until a manager accepts or voids each one (here, when the user
//     is a manager, or in the back office).

import * as api from "./api.js";
import { plainProblem } from "./problems.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { errorLine, field, fill, h, modal, showErrorLine, toast } from "./ui.js";

/** The held orders of ``session`` waiting for a manager; null when they cannot be known now
 * (offline, or a server without held orders). */
export async function heldOrders(session) {
  try {
    const held = await api.get(`/sessions/${session}/held-orders`, { timeout: 8000 });
    // The lines as this terminal sold them (names of products no longer in the catalog).
    for (const order of held) order.localLines = (await store.ticketGet(String(order.uuid)))?.lines || null;
    return held;
  } catch (error) {
    if (error instanceof api.ApiError && ![404, 405].includes(error.status)) throw error;
    return null;
  }
}

/** Plain words for a held order (its products named as this terminal sold them, else from
 * the catalog). */
export function heldWords(app, held) {
  const products = new Map((app.catalog?.products || []).map((p) => [p.id, p.name]));
  const methods = new Map((app.catalog?.payment_methods || []).map((m) => [m.id, m.name]));
  const sold = held.localLines || [];
  const lines = (held.payload?.lines || []).map((l, i) => ({
    product: l.product,
    name: (sold[i]?.product === l.product && sold[i].name) || products.get(l.product) || `#${l.product}`,
  }));
  const payments = (held.payload?.payments || []).map((p) => ({ name: methods.get(p.payment_method) }));
  if (held.error?.code) return plainProblem(held.error, { lines, payments, money: (v) => app.fmt.money(v) });
  return held.reason_text || plainProblem(held.error, { lines, payments });
}

/** Plain words for a refused outbox entry, with the ticket or move it carries. */
async function refusedItem(app, entry) {
  if (entry.kind === "cash_move") {
    const move = await store.moveGet(entry.uuid);
    const p = entry.payload;
    return {
      entry,
      label: `${p.kind === "drop" ? "Drop" : "Deposit"} of ${app.fmt.money(p.amount)}${p.destination ? ` (${p.destination})` : ""}`,
      words: plainProblem(entry.problem, { money: (v) => app.fmt.money(v) }),
      when: move?.created_at,
    };
  }
  const ticket = await store.ticketGet(entry.uuid);
  const what = entry.kind === "void" ? "Void of a parked ticket" : entry.payload?.state === "draft" ? "Parked ticket" : "Paid ticket";
  const total = ticket?.due || ticket?.total;
  return {
    entry,
    label: `${what} ${ticket?.number_text || entry.uuid.slice(0, 8)}${total ? ` · ${app.fmt.money(total)}` : ""}${ticket ? ` · ${ticket.lines.length} line(s)` : ""}`,
    words: plainProblem(entry.problem, { lines: ticket?.lines, payments: ticket?.payments, money: (v) => app.fmt.money(v) }),
    when: ticket?.created_at,
  };
}

/** {refused: [item], held: [held order] | null}: everything that needs a person. */
export async function attentionItems(app, session = app.session?.id) {
  const refused = await Promise.all((await sync.refusedEntries()).map((e) => refusedItem(app, e)));
  let held = null;
  if (session && api.isReachable()) {
    try {
      held = await heldOrders(session);
    } catch {
      held = null;
    }
  }
  return { refused, held };
}

/** The list as elements: used by the dialog and by the close wizard's first step.
 * ``managerToken``: a manager signed in at this screen for the moment (resolveHere). */
export function attentionList(app, { refused, held }, { onchange, managerToken = null } = {}) {
  const isManager = Boolean(managerToken) || (app.user?.roles || []).includes("manager");
  const error = errorLine();
  const items = [];
  for (const item of refused) {
    const { entry } = item;
    const buttons = [
      h(
        "button",
        {
          type: "button",
          class: "primary",
          onclick: async () => {
            await sync.retryEntry(entry);
            onchange?.();
          },
        },
        "Send again",
      ),
    ];
    if (entry.kind === "cash_move") {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "danger",
            title: "The move is not booked: withdraw it, then save a corrected one",
            onclick: async () => {
              await sync.withdrawMove(entry.uuid);
              toast("Cash move withdrawn: it is not booked.", "warn", 6000);
              onchange?.();
            },
          },
          "Withdraw",
        ),
      );
    }
    items.push(
      h(
        "li",
        { class: "attention refused", dataset: { uuid: entry.uuid, kind: entry.kind } },
        h("span", { class: "what" }, h("strong", {}, item.label), h("span", { class: "badge neg" }, "refused")),
        h("span", { class: "words" }, item.words),
        h("span", { class: "buttons" }, buttons),
      ),
    );
  }
  for (const order of held || []) {
    const buttons = isManager
      ? [
          h("button", { type: "button", onclick: () => resolve(app, order, "accept", error, onchange, managerToken) }, "Accept"),
          h("button", { type: "button", class: "danger", onclick: () => resolve(app, order, "void", error, onchange, managerToken) }, "Void"),
        ]
      : [];
    const total = order.summary?.paid ?? order.summary?.total;
    items.push(
      h(
        "li",
        { class: "attention held", dataset: { uuid: order.uuid, kind: "held" } },
        h(
          "span",
          { class: "what" },
          h("strong", {}, `Paid ticket ${String(order.uuid).slice(0, 8)}${total ? ` · ${app.fmt.money(total)}` : ""}`),
          h("span", { class: "badge warn" }, "held"),
        ),
        h("span", { class: "words" }, heldWords(app, order)),
        h("span", { class: "muted" }, isManager ? "Accept books it with the server's figures; Void needs a reason." : "Kept by the server: a manager must accept or void it."),
        h("span", { class: "buttons" }, buttons),
      ),
    );
  }
  return [items.length ? h("ul", { class: "attention-list" }, items) : h("p", { class: "notice ok" }, "Nothing needs attention."), error];
}

async function resolve(app, order, action, error, onchange, token = null) {
  let reason = "";
  if (action === "void") {
    reason = (window.prompt("Why is this ticket voided? (the money goes back to the customer, or is booked as a difference)") || "").trim();
    if (!reason) return;
  }
  try {
    await api.post(`/held-orders/${order.uuid}/resolve`, { action, reason }, token ? { token } : undefined);
    toast(action === "accept" ? "Ticket accepted and booked." : "Ticket voided.");
    onchange?.();
  } catch (err) {
    showErrorLine(error, api.errorMessage(err));
  }
}

/** The "Needs attention" dialog. */
export async function openAttention(app) {
  const body = h("div", { class: "attention-body" }, h("p", { role: "status" }, "Loading…"));
  const dialog = modal({
    title: "Needs attention",
    wide: true,
    className: "attention-dialog",
    body,
    actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Close")],
  });
  const render = async () => {
    const items = await attentionItems(app);
    if (!dialog.isConnected) return;
    fill(
      body,
      h("p", {}, "Tickets and cash moves the server did not take as sent. They stay here until they are sent or resolved."),
      items.held === null && app.session ? h("p", { class: "muted" }, "Held tickets on the server cannot be listed right now (offline?).") : null,
      attentionList(app, items, { onchange: render }),
    );
    app.attentionChanged?.();
  };
  await render();
}

/** How many things need attention in ``session`` (refused here, held on the server). */
export async function attentionCount(app, session = app.session?.id) {
  const { refused, held } = await attentionItems(app, session);
  return refused.length + (held ? held.length : 0);
}

/**
 * A manager resolves the held tickets of ``held`` on the cashier's screen: they sign in for
 * the moment (name and password; the token is revoked when the dialog closes), then accept
 * or void each. Resolves when the dialog closes.
 */
export function resolveHere(app, held) {
  return new Promise((resolveDone) => {
    let token = null;
    const body = h("div", { class: "form-grid" });
    const error = errorLine();
    const [userLabel, user] = field("Manager", { name: "manager", autocomplete: "off" });
    const [passLabel, pass] = field("Password", { name: "manager-password", type: "password", autocomplete: "off" });
    const signIn = h("button", { type: "button", class: "primary", id: "manager-sign-in" }, "Sign in as manager");
    fill(body, h("p", { class: "notice" }, "A manager signs in here for the moment, to accept or void the held tickets."), userLabel, user, passLabel, pass, error);
    const dialog = modal({
      title: "Held tickets: a manager resolves them",
      wide: true,
      className: "resolve-dialog",
      body,
      actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Done"), signIn],
      onclose: async () => {
        if (token) await api.signOff(token);
        resolveDone();
      },
    });
    let items = held;
    const render = async () => {
      if (items === null) items = (await heldOrders(app.session.id)) || [];
      if (!dialog.isConnected) return;
      fill(body, attentionList(app, { refused: [], held: items }, { managerToken: token, onchange: () => { items = null; render(); } }));
    };
    const go = async () => {
      showErrorLine(error, "");
      signIn.disabled = true;
      try {
        const answer = await api.borrowToken(user.value.trim(), pass.value);
        if (!(answer.user.roles || []).includes("manager")) {
          await api.signOff(answer.token);
          throw new Error(`${answer.user.username} is not a manager.`);
        }
        token = answer.token;
        signIn.remove();
        render();
      } catch (err) {
        showErrorLine(error, api.errorMessage(err));
        signIn.disabled = false;
        pass.select();
      }
    };
    signIn.addEventListener("click", go);
    pass.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        go();
      }
    });
    user.focus();
  });
}
