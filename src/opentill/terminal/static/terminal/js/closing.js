// The close wizard (Close button or F10): (1) pending tickets, (2) count, (3) cash to keep,
// (4) summary (with the X report to print), then Post, print and close, and the Z report.
// It runs only online with an empty buffer: no ticket and no cash move waiting, none refused
// and kept. Tickets held by the server are listed in the first step, which cannot go on
// until a manager has accepted or voided each. A difference beyond the profile's maximum
// can be approved by a manager on this screen (X-OpenTill-Approval) instead of waiting.

import { APPROVAL_HEADER, approvalReason, askManager, needsApproval } from "./approval.js";
import { attentionItems, attentionList, heldOrders, resolveHere } from "./attention.js";
import * as api from "./api.js";
import { countEditor } from "./counting.js";
import { cents, centsToString, sum, unitsToString } from "./money.js";
import { openReport, reportWindow, showReport } from "./report.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { errorLine, field, fill, h, modal, showErrorLine, toast } from "./ui.js";

const STEPS = ["Pending tickets", "Count", "Cash to keep", "Summary"];

export function openCloseWizard(app, selling) {
  const wizard = new CloseWizard(app, selling);
  wizard.open();
  return wizard;
}

class CloseWizard {
  constructor(app, selling) {
    this.app = app;
    this.selling = selling;
    this.fmt = app.fmt;
    this.session = app.session;
    this.step = -1; // -1: checking the network and the ticket buffer
    this.counts = new Map(); // method id → {line, method, editor?, confirmed, counted (cents), keep (cents)}
    this.isManager = (app.user.roles || []).includes("manager");
  }

  open() {
    this.stepper = h("ol", { class: "stepper", "aria-label": "Close steps" });
    this.body = h("div", { class: "wizard-body" });
    this.error = errorLine();
    this.back = h("button", { type: "button", onclick: () => this.go(this.step - 1) }, "Back");
    this.next = h("button", { type: "button", class: "primary", id: "wizard-next", onclick: () => (this.nextAction ? this.nextAction() : this.forward()) }, "Next");
    this.dialog = modal({
      title: `Close ${this.session.name}`,
      wide: true,
      className: "close-wizard",
      body: [this.stepper, this.body, this.error],
      actions: [this.back, this.next],
      onclose: () => this.selling.search?.focus(),
    });
    this.prepare();
  }

  renderStepper() {
    fill(
      this.stepper,
      STEPS.map((name, i) =>
        h("li", { class: i === this.step ? "current" : i < this.step ? "done" : "", "aria-current": i === this.step ? "step" : null }, `${i + 1}. ${name}`),
      ),
    );
    this.back.hidden = this.step <= 0;
  }

  setNext(label, enabled) {
    this.next.textContent = label;
    this.next.disabled = !enabled;
  }

  /** Online and an empty buffer first: send what waits, or say why the close cannot start. */
  async prepare() {
    this.step = -1;
    this.renderStepper();
    this.setNext("Next", false);
    const status = h("p", { role: "status" }, "Checking the network and the ticket buffer…");
    fill(this.body, status);
    let state = await sync.status();
    if (state.waiting && navigator.onLine) {
      status.textContent = `Sending ${sync.describeWaiting(state)} to the server first…`;
      await sync.flush();
      state = await sync.status();
    }
    if (navigator.onLine && !state.pending && state.refused) {
      // Refused and kept: sent again, or (a cash move) withdrawn, by a person, first.
      const items = await attentionItems(this.app);
      fill(
        this.body,
        h(
          "div",
          { class: "notice warn", role: "alert", id: "refused-before-close" },
          h("p", {}, `The server refused ${items.refused.length} ticket(s) or cash move(s) of this terminal. They are kept here; the close waits until they are sent (or a refused cash move withdrawn).`),
        ),
        attentionList(this.app, { refused: items.refused, held: [] }, { onchange: () => this.prepare() }),
      );
      this.setNext("Try again", true);
      this.nextAction = () => this.prepare();
      return;
    }
    if (!navigator.onLine || state.waiting) {
      const waiting = sync.describeWaiting(state);
      fill(
        this.body,
        h(
          "div",
          { class: "notice warn", role: "alert" },
          h("p", {}, "The close runs only online, once every ticket and cash move of this terminal is on the server."),
          h("p", {}, navigator.onLine ? `${waiting} could not be sent yet${state.error ? `: ${state.error}` : "."}` : `You are offline; ${waiting} wait to be sent.`),
        ),
      );
      this.setNext("Try again", true);
      this.nextAction = () => this.prepare();
      return;
    }
    this.nextAction = null;
    try {
      await this.load();
    } catch (error) {
      fill(this.body, h("p", { class: "form-error", role: "alert" }, api.errorMessage(error)));
      this.setNext("Try again", true);
      this.nextAction = () => this.prepare();
      return;
    }
    this.go(0);
  }

  async load() {
    const [closing, detail] = await Promise.all([api.get(`/sessions/${this.session.id}/closing`), api.get(`/sessions/${this.session.id}`)]);
    this.closing = closing;
    this.detail = detail;
    this.blind = closing.blind;
    this.maxDifference = cents(closing.max_difference);
    await this.loadHeld();
  }

  /** The held tickets of the session (full, with their payload: the closing data may list
   * them too, but the held-orders list says why each is held). */
  async loadHeld() {
    this.held = (await heldOrders(this.session.id)) || this.closing.held_orders || [];
  }

  forward() {
    if (this.step < STEPS.length - 1) this.go(this.step + 1);
  }

  go(step) {
    this.step = Math.max(0, step);
    this.nextAction = null;
    showErrorLine(this.error, "");
    this.renderStepper();
    const render = [() => this.renderPending(), () => this.renderCount(), () => this.renderKeep(), () => this.renderSummary()][this.step];
    render();
  }

  // --- 1. pending tickets ---------------------------------------------------------------

  async pendingTickets() {
    const local = await this.selling.parkedTickets();
    const items = [];
    const cart = this.selling.cart;
    if (cart.lines.length) {
      const total = this.selling.price().total;
      items.push({ kind: "cart", uuid: cart.uuid, label: `Current ticket · ${cart.lines.length} line(s)`, total: unitsToString(total, this.fmt.places) });
    }
    const known = new Set();
    for (const t of local) {
      known.add(t.uuid);
      items.push({ kind: "local", uuid: t.uuid, ticket: t, label: `Parked ${timeOf(t.created_at, this.fmt)} · ${t.lines.length} line(s) · ${t.customer_name}`, total: t.total });
    }
    if (cart.replaces) known.add(cart.replaces);
    // Parked on another device: known here only from the closing data, lines included.
    for (const o of this.closing.pending_orders) {
      if (known.has(o.uuid)) continue;
      const customer = this.app.catalog.customers.find((c) => c.id === o.customer);
      const lines = o.lines?.length ?? 0;
      items.push({
        kind: "server",
        uuid: o.uuid,
        order: o,
        label: `Parked on another device ${timeOf(o.created_at, this.fmt)} · ${lines} line(s) · ${customer?.name || "Walk-in customer"} · ${o.uuid.slice(0, 8)}`,
        total: o.total,
      });
    }
    return items;
  }

  async renderPending() {
    this.setNext("Next", false);
    const items = await this.pendingTickets();
    if (this.step !== 0) return;
    const held = this.held || [];
    const isManager = this.isManager;
    const reload = async () => {
      try {
        await this.loadHeld();
        this.closing = await api.get(`/sessions/${this.session.id}/closing`);
      } catch (error) {
        showErrorLine(this.error, api.errorMessage(error));
      }
      this.renderPending();
    };
    fill(
      this.body,
      held.length
        ? h(
            "section",
            { class: "held-before-close", id: "held-orders" },
            h("h3", {}, `Held tickets (${held.length})`),
            h(
              "p",
              { class: "notice warn", role: "alert" },
              isManager
                ? "The server holds these paid tickets as it could not take them as sent. Accept (booked with the server's figures, the gap as a difference) or void each one before the close."
                : "The server holds these paid tickets as it could not take them as sent. A manager must accept or void each one (here, signed in as a manager, or in the back office under Held orders) before this session can be closed.",
            ),
            attentionList(this.app, { refused: [], held }, { onchange: reload }),
            h(
              "p",
              {},
              h("button", { type: "button", onclick: reload }, "Check again"),
              " ",
              isManager
                ? null
                : h(
                    "button",
                    {
                      type: "button",
                      id: "manager-resolves",
                      onclick: async () => {
                        await resolveHere(this.app, held);
                        reload();
                      },
                    },
                    "A manager resolves them here",
                  ),
            ),
          )
        : null,
      h("h3", {}, "Pending tickets"),
      items.length
        ? [
            h("p", {}, "Void or resume and pay every unpaid ticket before counting."),
            h(
              "ul",
              { class: "ticket-list pending" },
              items.map((item) =>
                h(
                  "li",
                  { dataset: { uuid: item.uuid, kind: item.kind } },
                  h("span", {}, item.label),
                  h("span", { class: "amount" }, this.fmt.money(item.total)),
                  h("button", { type: "button", class: "danger", onclick: () => this.voidTicket(item) }, "Void"),
                  h("button", { type: "button", class: "primary", onclick: () => this.resumeAndPay(item) }, "Resume and pay"),
                ),
              ),
            ),
          ]
        : h("p", { class: "notice ok", id: "no-pending" }, "There are no pending tickets."),
    );
    this.setNext("Next", items.length === 0 && held.length === 0);
    if (!items.length && !held.length) this.next.focus();
  }

  async voidTicket(item) {
    showErrorLine(this.error, "");
    try {
      if (item.kind === "cart") {
        this.selling.cart = this.selling.newCart();
        this.selling.changed();
      } else {
        try {
          await api.post(`/orders/${item.uuid}/void`, { reason: "Voided at close" });
        } catch (error) {
          // A ticket that never reached the server (rejected) has nothing to void there.
          if (!(error instanceof api.ApiError) || error.status !== 404) throw error;
        }
        await store.ticketUpdate(item.uuid, { sync: "void" });
      }
      this.closing = await api.get(`/sessions/${this.session.id}/closing`);
      this.selling.refreshParkedCount();
      toast("Ticket voided.");
    } catch (error) {
      showErrorLine(this.error, api.errorMessage(error));
    }
    this.renderPending();
  }

  /** Into the cart and pay. A server draft is voided first (taken, so no other device can
   * charge it too); a local one is voided when the paid order (new uuid) is sent. */
  async resumeAndPay(item) {
    showErrorLine(this.error, "");
    let ticket = item.ticket;
    if (item.kind === "server") {
      try {
        ticket = this.selling.serverTicket(item.order);
      } catch (error) {
        showErrorLine(this.error, error.message);
        return;
      }
      // Take the ticket before paying it: voiding a draft succeeds once, so two devices can
      // never both resume (and charge) the same parked ticket. The wizard runs online only.
      try {
        await api.post(`/orders/${item.uuid}/void`, { reason: `resumed on ${this.selling.profile.name}` });
      } catch (error) {
        const taken = error instanceof api.ApiError && [404, 409].includes(error.status);
        showErrorLine(this.error, taken ? "Another device has already taken this ticket." : api.errorMessage(error));
        this.closing = await api.get(`/sessions/${this.session.id}/closing`);
        this.renderPending();
        return;
      }
      ticket = { ...ticket, taken: true };
    }
    this.dialog.close();
    if (item.kind === "cart") await this.selling.pay();
    else await this.selling.resume(ticket, { pay: true });
    toast("Press F10 again to continue the close.");
  }

  // --- 2. count ---------------------------------------------------------------------------

  renderCount() {
    const fmt = this.fmt;
    const methods = new Map(this.app.catalog.payment_methods.map((m) => [m.id, m]));
    const totals = h("div", { class: "count-totals", "aria-live": "polite" });
    const warning = h("p", { class: "notice warn", role: "status", hidden: true });
    const rows = this.closing.lines.map((line) => {
      const method = methods.get(line.payment_method) || { id: line.payment_method, name: line.name, denominations: [] };
      const expected = line.expected === undefined || line.expected === null ? null : cents(line.expected);
      let entry = this.counts.get(line.payment_method);
      if (!entry) {
        entry = { line, method, expected, confirmed: !line.countable, counted: line.countable ? null : expected, keep: null, payload: null };
        this.counts.set(line.payment_method, entry);
      }
      const difference = h("output", { class: "difference" });
      const showDifference = () => {
        if (entry.counted === null || expected === null) difference.textContent = "—";
        else {
          const diff = entry.counted - expected;
          difference.textContent = fmt.money(diff);
          difference.className = `difference ${diff < 0n ? "neg" : diff > 0n ? "plus" : ""}`;
        }
      };
      showDifference();
      if (!line.countable) {
        return h(
          "section",
          { class: "count-method informational", dataset: { method: line.payment_method } },
          h("h3", {}, line.name, h("span", { class: "muted" }, " — not counted, for information")),
          h("p", { class: "figures" }, "Expected: ", h("strong", { class: "expected" }, expected === null ? "hidden" : fmt.money(expected))),
        );
      }
      const mark = h("span", { class: "confirmed-mark", "aria-live": "polite" });
      const confirm = h("button", { type: "button", class: "confirm" });
      let update = () => {};
      const editor = countEditor({
        method,
        fmt,
        byDenomination: false,
        limits: this.app.limits,
        label: `Counted ${line.name}`,
        onchange: (value) => {
          entry.counted = value;
          entry.confirmed = false;
          update();
        },
      });
      entry.editor = editor;
      if (entry.counted !== null) {
        // Coming back to this step: show the count again, still confirmed.
        const { confirmed, payload } = entry;
        editor.setTotal(entry.counted);
        Object.assign(entry, { confirmed, payload });
      }
      update = () => {
        showDifference();
        mark.textContent = entry.confirmed ? "✓ Confirmed" : "";
        // Only an empty field offers the expected amount, named on the button; what the
        // cashier typed is never replaced.
        confirm.textContent = editor.empty && expected !== null ? `Confirm ${fmt.money(expected)}` : "Confirm";
        confirm.setAttribute("aria-pressed", String(entry.confirmed));
        this.updateCountTotals(totals, warning);
      };
      confirm.addEventListener("click", () => {
        const problem = editor.error();
        if (problem) {
          showErrorLine(this.error, `The count of ${line.name} cannot be read: ${problem}. Correct it, then confirm.`);
          editor.focus();
          return;
        }
        if (editor.empty) {
          if (expected === null) {
            showErrorLine(this.error, `Enter the counted amount of ${line.name}.`);
            editor.focus();
            return;
          }
          editor.setTotal(expected); // the amount on the button; fires onchange
        }
        if (entry.counted === null || entry.counted < 0n) {
          showErrorLine(this.error, `Enter the counted amount of ${line.name}.`);
          editor.focus();
          return;
        }
        showErrorLine(this.error, "");
        entry.confirmed = true;
        entry.payload = editor.payload();
        update();
      });
      const section = h(
        "section",
        { class: "count-method", dataset: { method: line.payment_method } },
        h("h3", {}, line.name),
        h(
          "p",
          { class: "figures" },
          "Expected: ",
          h("strong", { class: "expected" }, expected === null ? "hidden (blind close)" : fmt.money(expected)),
          " · Difference: ",
          difference,
        ),
        editor.element,
        h("div", { class: "confirm-row" }, confirm, mark),
      );
      update();
      return section;
    });
    fill(this.body, h("h3", {}, "Count each payment method"), rows, totals, warning);
    this.updateCountTotals(totals, warning);
    this.body.querySelector(".count-method:not(.informational) input")?.focus();
  }

  updateCountTotals(totals, warning) {
    const fmt = this.fmt;
    const entries = [...this.counts.values()];
    const counted = sum(entries.map((e) => e.counted ?? 0n));
    const expectedTotal = this.closing.expected_total === null || this.closing.expected_total === undefined ? null : cents(this.closing.expected_total);
    fill(
      totals,
      h("span", {}, "Expected total: ", h("strong", { id: "expected-total" }, expectedTotal === null ? "hidden" : fmt.money(expectedTotal))),
      h("span", {}, "Counted total: ", h("strong", { id: "counted-total" }, fmt.money(counted))),
      h("span", {}, "Difference: ", h("strong", { id: "difference-total" }, expectedTotal === null ? "—" : fmt.money(counted - expectedTotal))),
    );
    const over = this.overLimit();
    warning.hidden = !over.length;
    warning.textContent = over.length ? this.overLimitMessage(over) : "";
    this.setNext("Next", entries.every((e) => e.confirmed));
  }

  /** Methods whose difference exceeds the profile's maximum (known only without blind close). */
  overLimit() {
    return [...this.counts.values()].filter(
      (e) => e.line.countable && e.counted !== null && e.expected !== null && (e.counted - e.expected < 0n ? e.expected - e.counted : e.counted - e.expected) > this.maxDifference,
    );
  }

  overLimitMessage(over) {
    const names = over.map((e) => e.line.name).join(", ");
    if (this.isManager) return `The difference of ${names} is above the limit of ${this.fmt.money(this.maxDifference)}; as a manager you may post it.`;
    if (this.approval) return `The difference of ${names} is above the limit of ${this.fmt.money(this.maxDifference)}: approved by a manager, the close posts at once.`;
    return `The difference of ${names} is above the limit of ${this.fmt.money(this.maxDifference)}: ask a manager now to approve it here, or the session will wait in closing control until a manager validates it.`;
  }

  /** A manager approves the difference on this screen: the close then posts at once. */
  async askApproval() {
    const approval = await askManager({
      action: "closing_difference",
      session: this.session.id,
      title: "Closing difference: a manager's approval",
      explain: this.overLimitMessage(this.overLimit()),
    });
    if (approval) {
      this.approval = approval;
      toast("Approved: the close posts at once.");
      this.renderSummary();
    }
    return approval;
  }

  // --- 3. cash to keep ------------------------------------------------------------------

  renderKeep() {
    const fmt = this.fmt;
    const opening = new Map((this.detail.opening || []).map((o) => [o.payment_method, cents(o.counted)]));
    let valid = true;
    const rows = [...this.counts.values()].map((entry) => {
      const { line } = entry;
      const counted = entry.counted ?? 0n;
      const policy = line.keep_policy;
      const transfer = h("output", { class: "transfer" });
      const show = () => {
        transfer.textContent = fmt.money(counted - (entry.keep ?? 0n));
      };
      let control;
      if (policy === "variable") {
        if (entry.keep === null) {
          const float = opening.get(line.payment_method) ?? cents(line.keep_amount) ?? 0n;
          entry.keep = float < counted ? float : counted;
        }
        const [label, input] = field(`Keep in the drawer (${line.name})`, {
          inputmode: "decimal",
          class: "amount keep",
          value: centsToString(entry.keep),
          dataset: { method: line.payment_method },
          autocomplete: "off",
        });
        input.addEventListener("input", () => {
          const value = cents(input.value);
          const ok = value !== null && value >= 0n && value <= counted;
          input.setAttribute("aria-invalid", String(!ok));
          entry.keep = ok ? value : null;
          show();
          this.setNext("Next", [...this.counts.values()].every((e) => e.keep !== null));
          showErrorLine(this.error, ok ? "" : `Keep between ${fmt.money(0n)} and ${fmt.money(counted)} of ${line.name}.`);
        });
        control = h("div", { class: "keep-input" }, label, input);
      } else {
        entry.keep = policy === "all" ? counted : policy === "fixed" ? minBig(cents(line.keep_amount) ?? 0n, counted) : 0n;
        control = h("p", {}, "Kept: ", h("strong", { class: "keep" }, fmt.money(entry.keep)), h("span", { class: "muted" }, ` (${policyText(policy, line, fmt)})`));
      }
      if (entry.keep === null) valid = false;
      show();
      return h(
        "section",
        { class: "keep-method", dataset: { method: line.payment_method, policy } },
        h("h3", {}, line.name),
        h("p", {}, "Counted: ", h("strong", {}, fmt.money(counted)), " · To transfer: ", transfer),
        control,
      );
    });
    const choosable = [...this.counts.values()].some((e) => e.line.keep_policy === "variable");
    fill(
      this.body,
      h("h3", {}, "Cash to keep for the next session"),
      choosable ? null : h("p", { class: "muted" }, "The profile's policies decide what stays in the drawer; nothing to choose here."),
      rows,
    );
    this.setNext("Next", valid);
    this.body.querySelector("input.keep")?.select();
  }

  // --- 4. summary, post, print and close ------------------------------------------------

  async renderSummary() {
    const fmt = this.fmt;
    this.setNext("Post, print and close", false);
    fill(this.body, h("p", { role: "status" }, "Loading the report…"));
    let report;
    try {
      report = await api.get(`/sessions/${this.session.id}/report`);
    } catch (error) {
      fill(this.body, h("p", { class: "form-error", role: "alert" }, api.errorMessage(error)));
      return;
    }
    if (this.step !== 3) return;
    const entries = [...this.counts.values()];
    const over = this.overLimit();
    const [notesLabel, notes] = field("Closing notes", { tag: "textarea", rows: 2, maxlength: 2000, id: "closing-notes" });
    this.notes = notes;
    const money = (v) => fmt.money(v);
    fill(
      this.body,
      h("h3", {}, "Summary"),
      h(
        "div",
        { class: "summary-grid" },
        h(
          "table",
          { class: "report" },
          h("caption", {}, "Sales"),
          h(
            "tbody",
            {},
            h("tr", {}, h("th", {}, "Orders"), h("td", { class: "n", id: "sum-orders" }, String(report.orders.count))),
            h("tr", {}, h("th", {}, "Sales total"), h("td", { class: "n", id: "sum-sales" }, money(report.orders.sales_total))),
            h("tr", {}, h("th", {}, `Refunds (${report.orders.refunds})`), h("td", { class: "n" }, money(report.orders.refunds_total))),
            h("tr", {}, h("th", {}, "Discounts"), h("td", { class: "n" }, money(report.orders.discounts))),
            h("tr", {}, h("th", {}, "Voided tickets"), h("td", { class: "n" }, String(report.orders.voided))),
            report.payments.map((p) => h("tr", {}, h("th", {}, `${p.name} (${p.count})`), h("td", { class: "n" }, money(p.amount)))),
            report.cash_moves.map((m) => h("tr", {}, h("th", {}, `${m.kind} ${m.destination}`), h("td", { class: "n" }, money(m.kind === "drop" ? `-${m.amount}` : m.amount)))),
          ),
        ),
        h(
          "table",
          { class: "report counts" },
          h("caption", {}, "Close"),
          h("thead", {}, h("tr", {}, ["Method", "Expected", "Counted", "Difference", "Keep", "Transfer"].map((t, i) => h("th", { class: i ? "n" : "" }, t)))),
          h(
            "tbody",
            {},
            entries.map((e) =>
              h(
                "tr",
                { dataset: { method: e.line.payment_method } },
                h("th", {}, e.line.name),
                h("td", { class: "n" }, e.expected === null ? "—" : money(e.expected)),
                h("td", { class: "n" }, money(e.counted ?? 0n)),
                h("td", { class: "n" }, e.expected === null ? "—" : money((e.counted ?? 0n) - e.expected)),
                h("td", { class: "n" }, money(e.keep ?? 0n)),
                h("td", { class: "n" }, money((e.counted ?? 0n) - (e.keep ?? 0n))),
              ),
            ),
          ),
        ),
      ),
      over.length ? h("p", { class: "notice warn", role: "alert", id: "approval-warning" }, this.overLimitMessage(over)) : null,
      over.length && !this.isManager && !this.approval
        ? h("p", {}, h("button", { type: "button", id: "ask-manager", onclick: () => this.askApproval() }, "Ask a manager now"))
        : null,
      h(
        "p",
        { class: "print-row" },
        h("button", { type: "button", id: "summary-print", onclick: () => openReport(this.session.id, { title: "X report" }) }, "Print"),
        h("span", { class: "muted" }, " the X report as it stands before the close"),
      ),
      h("div", { class: "notes" }, notesLabel, notes),
    );
    this.setNext("Post, print and close", true);
    this.nextAction = () => this.post();
  }

  async post() {
    showErrorLine(this.error, "");
    this.next.disabled = true;
    // Opened now, inside the click, so that no popup blocker stops the printable report.
    const popup = reportWindow("Posting the close…");
    const counts = [...this.counts.values()]
      .filter((e) => e.line.countable)
      .map((e) => {
        const count = { payment_method: e.line.payment_method, counted: centsToString(e.counted) };
        if (e.payload?.denominations?.length && e.payload.total === e.counted) count.denominations = e.payload.denominations;
        if (e.line.keep_policy === "variable") count.keep = centsToString(e.keep ?? 0n);
        return count;
      });
    let closed;
    const body = { counts, notes: this.notes?.value || "" };
    const headers = this.approval ? { [APPROVAL_HEADER]: this.approval } : {};
    try {
      try {
        closed = await api.post(`/sessions/${this.session.id}/close`, body, { headers });
      } finally {
        this.approval = null; // single use, whatever the answer
      }
    } catch (error) {
      popup?.close();
      showErrorLine(this.error, needsApproval(error) ? `${approvalReason(error)} Ask a manager again.` : api.errorMessage(error));
      this.next.disabled = false;
      if (error.code === "pending_orders" || error.code === "held_orders") {
        await this.loadHeld().catch(() => null);
        this.go(0);
      } else if (needsApproval(error)) this.renderSummary();
      return;
    }
    const title = closed.state === "closed" ? "Z report" : "Report";
    if (popup) await showReport(closed.id, popup, { title });
    await store.cartDelete(this.session.id);
    this.nextAction = null;
    this.dialog.close();
    await this.app.showDashboard();
    afterClose(closed, title, { shown: Boolean(popup) });
  }
}

/** The close is posted: what became of the session, and its report to print (again). */
function afterClose(closed, title, { shown }) {
  const waiting = closed.state === "closing_control";
  const print = h(
    "button",
    { type: "button", class: shown ? "" : "primary", id: "print-z-report", onclick: () => openReport(closed.id, { title }) },
    waiting ? "Print report" : "Print Z report",
  );
  const dialog = modal({
    title: waiting ? `${closed.name} waits for a manager` : `${closed.name} is closed`,
    className: "closed-dialog",
    body: h(
      "p",
      { role: "status" },
      waiting
        ? "The difference is above the limit: the session waits in closing control until a manager validates it."
        : "The session is closed and posted. Print the Z report and keep it with the cash.",
    ),
    actions: [print, h("button", { type: "button", class: shown ? "primary" : "", onclick: () => dialog.close() }, "Done")],
  });
  dialog.querySelector("footer .primary")?.focus();
}

function minBig(a, b) {
  return a < b ? a : b;
}

function policyText(policy, line, fmt) {
  if (policy === "fixed") return `fixed float of ${fmt.money(line.keep_amount)}`;
  if (policy === "all") return "everything stays";
  if (policy === "none") return "everything is transferred";
  return policy;
}

function timeOf(iso, fmt) {
  return new Date(iso).toLocaleTimeString(fmt.locale, { hour: "2-digit", minute: "2-digit" });
}

