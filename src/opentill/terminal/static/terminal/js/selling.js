// The selling screen: product grid with categories, search and barcode entry; the ticket
// with quantity, discount, return lines and removal; customer and invoice flag; payment,
// parking and resuming tickets; the receipt. Every ticket is stored in IndexedDB the moment
// it is paid or parked, then sent by the sync module.
//
// One selling tab per till: the screen holds the session's till lock (till.js) and owns the
// ticket in progress, kept in IndexedDB (store.cart*). Another tab taking over leaves this
// one showing "This till is now used in another tab"; it can no longer change or pay the
// ticket. Quantities, prices and totals are bounded by the catalog's limits (limits.js).

import { attentionItems, openAttention } from "./attention.js";
import { openCashMove } from "./cashmove.js";
import { openCloseWizard } from "./closing.js";
import { quantityProblem, ticketProblem } from "./limits.js";
import { plainProblem } from "./problems.js";
import { proofBlock, TRAINING } from "./proof.js";
import { parseQuantity, parseRate, quantityToString, rateToString } from "./money.js";
import { seriesOf } from "./numbering.js";
import { openPayment, wirePayment } from "./payment.js";
import { openReport } from "./report.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { amountText, defaultPosition, offeredPositions, positionOf, priceTicket, productTaxes } from "./ticket.js";
import * as till from "./till.js";
import { $, anyDialogOpen, confirmBox, fill, h, modal, newUuid, nowRfc3339, toast } from "./ui.js";

const MAX_TILES = 120;
const HELD_CHECK_MS = 20000;

/** The selling screen of the app's session, once this tab holds its till; else the screen
 * saying the till is open in another tab (with "Use here"). */
export async function showSelling(app, { takeOver = false } = {}) {
  const session = app.session;
  let selling = null;
  const held = await till.acquire(session.id, {
    takeOver,
    onLost: async (reason) => {
      if (selling) await selling.lose(reason);
    },
  });
  if (!held) {
    showTillBusy(app, "This till is open in another tab.");
    return null;
  }
  selling = new Selling(app);
  await selling.claimCart();
  if (!till.holds(session.id)) return null; // taken back meanwhile
  selling.render();
  return selling;
}

/** Another tab of this browser sells on this till: say so, offer to take it over here. */
export function showTillBusy(app, message) {
  app.keyHandler = null;
  app.catalogListeners = [];
  const profile = app.profile;
  const session = app.session;
  for (const dialog of document.querySelectorAll("dialog.modal[open]:not(.signin-dialog)")) dialog.close();
  app.setTopbar(h("span", {}, h("strong", {}, profile.name), ` · ${session.name}`), [
    h("button", { type: "button", onclick: () => app.showDashboard() }, "Dashboard"),
  ]);
  const use = h(
    "button",
    {
      type: "button",
      class: "primary big",
      id: "use-here",
      onclick: async () => {
        use.disabled = true;
        use.textContent = "Taking over…";
        await showSelling(app, { takeOver: true });
      },
    },
    "Use here",
  );
  app.screen().replaceChildren(
    h(
      "section",
      { class: "till-busy card", role: "alert", "aria-labelledby": "busy-title" },
      h("h1", { id: "busy-title" }, message),
      h("p", {}, "A till sells in one tab at a time, so that no ticket is shared, lost or paid twice."),
      h("p", {}, "“Use here” continues in this tab with the ticket in progress; the other tab stops selling."),
      use,
    ),
  );
  use.focus();
}

function isEditable(element) {
  return element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

export class Selling {
  constructor(app) {
    this.app = app;
    this.catalog = app.catalog;
    this.fmt = app.fmt;
    this.company = app.catalog.company;
    this.session = app.session;
    this.profile = app.profile;
    this.category = null;
    this.products = new Map(this.catalog.products.map((p) => [p.id, p]));
    this.byBarcode = new Map(this.catalog.products.filter((p) => p.barcode).map((p) => [p.barcode, p]));
    this.bySku = new Map(this.catalog.products.map((p) => [p.sku.toUpperCase(), p]));
    this.customers = this.catalog.customers.filter((c) => !c.is_walk_in);
    this.cart = this.newCart();
    this.saving = Promise.resolve();
    this.lost = false;
    this.heldCount = 0;
  }

  /** A new catalog from the refresh: products, prices and limits change on screen; the
   * lines already in the ticket keep the price they were added at. */
  useCatalog(catalog) {
    this.catalog = catalog;
    this.company = catalog.company;
    this.fmt = this.app.fmt;
    this.products = new Map(catalog.products.map((p) => [p.id, p]));
    this.byBarcode = new Map(catalog.products.filter((p) => p.barcode).map((p) => [p.barcode, p]));
    this.bySku = new Map(catalog.products.map((p) => [p.sku.toUpperCase(), p]));
    this.customers = catalog.customers.filter((c) => !c.is_walk_in);
    if (!this.grid?.isConnected) return;
    this.renderCategories();
    this.renderGrid();
    this.renderCart({ editor: false });
  }

  // --- the ticket in progress (IndexedDB, owned by this tab: a reload or crash loses nothing) ---

  get legacyCartKey() {
    return `opentill.cart.${this.session.id}`;
  }

  /** Take the ticket in progress of the session (the one another tab left, or one kept by an
   * older terminal in localStorage). */
  async claimCart() {
    let legacy = null;
    try {
      legacy = JSON.parse(localStorage.getItem(this.legacyCartKey) || "null");
    } catch {
      legacy = null;
    }
    const fallback = legacy && Array.isArray(legacy.lines) ? legacy : this.newCart();
    const cart = await store.cartClaim(this.session.id, till.TAB, fallback);
    localStorage.removeItem(this.legacyCartKey);
    const { owner, ...rest } = cart;
    this.cart = Array.isArray(rest.lines) ? rest : this.newCart();
    // A ticket kept by a terminal older than fiscal positions takes the default one.
    if (!("fiscal_position" in this.cart)) this.cart.fiscal_position = defaultPosition(this.catalog, this.cart.customer);
  }

  /** Another tab took the till: save what is in progress (while this tab still owns it),
   * then stop selling here. */
  async lose(reason) {
    if (this.lost) return;
    await this.saving;
    this.lost = true;
    showTillBusy(this.app, reason === "paid" ? "This ticket was paid in another tab." : "This till is now used in another tab.");
  }

  newCart() {
    // replaces: the uuid of the parked ticket (draft) this one pays or parks again; remote:
    // that draft was parked on another device (known from the server, not this browser).
    // fiscal_position: the position the ticket is priced under (the till's default at first).
    const fiscal_position = defaultPosition(this.catalog);
    return { uuid: newUuid(), lines: [], customer: null, fiscal_position, to_invoice: false, replaces: null, remote: false, refund: false, selected: -1 };
  }

  /** Save the cart (in order, one write after the other); refused once another tab owns it. */
  saveCart() {
    if (this.lost) return this.saving;
    const snapshot = JSON.parse(JSON.stringify(this.cart));
    this.saving = this.saving
      .then(() => store.cartSave(this.session.id, till.TAB, snapshot))
      .catch((error) => {
        if (error instanceof store.TillTaken) {
          this.lost = true;
          showTillBusy(this.app, "This till is now used in another tab.");
        } else toast(`The ticket could not be saved in this browser: ${error.message}`, "error", 8000);
      });
    return this.saving;
  }

  /** The ticket in progress priced as the server will (ticket.js): its fiscal position, the
   * catalog's taxes, the company's conventions; no cash rounding. */
  price(lines = this.cart.lines) {
    return priceTicket(this.catalog, { ...this.cart, lines });
  }

  // --- layout -------------------------------------------------------------------------

  render() {
    const app = this.app;
    this.attentionButton = h(
      "button",
      { type: "button", id: "attention", class: "warn", hidden: true, title: "Tickets and cash moves that need a person", onclick: () => openAttention(app) },
      "Attention ",
      h("span", { class: "count" }, "0"),
    );
    app.attentionChanged = () => this.refreshAttention();
    app.onCatalog((catalog) => this.useCatalog(catalog));
    app.setTopbar(
      h(
        "span",
        {},
        h("strong", {}, this.profile.name),
        ` · ${this.session.name} · ${app.user.username}`,
        this.session.training ? h("span", { class: "training", id: "topbar-training" }, " · TRAINING") : null,
      ),
      [
        this.attentionButton,
        h("button", { type: "button", onclick: () => this.cashMove() }, "Cash in/out ", h("kbd", {}, "F7")),
        h("button", { type: "button", id: "x-report", title: "The printable X report of this session so far", onclick: () => openReport(this.session.id, { title: "X report" }) }, "X report"),
        h("button", { type: "button", class: "warn", onclick: () => this.close() }, "Close ", h("kbd", {}, "F10")),
        h("button", { type: "button", onclick: () => app.showDashboard() }, "Dashboard"),
      ],
    );
    this.search = h("input", {
      id: "search",
      type: "search",
      autocomplete: "off",
      placeholder: "Name, SKU or barcode — 3*code for 3",
      oninput: () => this.renderGrid(),
      onkeydown: (event) => this.searchKey(event),
    });
    this.grid = h("div", { class: "product-grid", id: "product-grid", role: "group", "aria-label": "Products" });
    this.categoryBar = h("div", { class: "categories", role: "toolbar", "aria-label": "Categories" });
    this.lines = h("ol", { class: "lines", id: "ticket-lines", role: "listbox", "aria-label": "Ticket lines" });
    this.editor = h("div", { class: "line-editor", id: "line-editor", "aria-label": "Selected line" });
    this.totals = h("div", { class: "totals", id: "totals", "aria-live": "polite" });
    this.customerSelect = h(
      "select",
      { id: "customer", onchange: () => this.setCustomer(this.customerSelect.value) },
      h("option", { value: "" }, "Walk-in customer"),
      this.customers.map((c) => h("option", { value: String(c.id) }, c.name)),
    );
    this.invoiceBox = h("input", { type: "checkbox", id: "to-invoice", onchange: () => this.setInvoice(this.invoiceBox.checked) });
    this.positionSelect = h("select", { id: "fiscal-position", onchange: () => this.setPosition(this.positionSelect.value) });
    this.positionField = h("span", { class: "fiscal-position" }, h("label", { for: "fiscal-position" }, "Taxes as"), this.positionSelect);
    this.parkedButton = h("button", { type: "button", onclick: () => this.showParked() }, "Parked ", h("span", { class: "count" }, "0"), " ", h("kbd", {}, "⇧F8"));
    this.refundBanner = h("p", { class: "refund-banner", hidden: true }, "Refund ticket: quantities are returned");
    app.screen().replaceChildren(
      h(
        "div",
        { class: "pos" },
        h(
          "section",
          { class: "catalog-pane", "aria-label": "Products" },
          h("div", { class: "search-row" }, h("label", { for: "search" }, "Search or scan ", h("kbd", {}, "F2")), this.search),
          this.categoryBar,
          this.grid,
        ),
        h(
          "section",
          { class: "ticket-pane", "aria-label": "Ticket" },
          h(
            "div",
            { class: "ticket-head" },
            h("label", { for: "customer" }, "Customer ", h("kbd", {}, "F3")),
            this.customerSelect,
            h("span", { class: "invoice" }, this.invoiceBox, h("label", { for: "to-invoice" }, "Invoice")),
            this.positionField,
          ),
          this.refundBanner,
          this.lines,
          this.editor,
          this.totals,
          h(
            "div",
            { class: "ticket-actions" },
            h("button", { type: "button", onclick: () => this.toggleRefund(), "aria-pressed": "false", id: "refund-toggle" }, "Refund"),
            h("button", { type: "button", onclick: () => this.clearTicket() }, "Clear"),
            this.parkedButton,
            h("button", { type: "button", onclick: () => this.park() }, "Park ", h("kbd", {}, "F8")),
            h("button", { type: "button", class: "primary pay", id: "pay", onclick: () => this.pay() }, "Pay ", h("kbd", {}, "F9")),
          ),
        ),
      ),
    );
    this.renderCategories();
    this.renderGrid();
    this.renderCart();
    this.refreshParkedCount();
    this.refreshAttention({ held: true });
    clearInterval(this.app.heldTimer);
    this.app.heldTimer = setInterval(() => {
      if (this.grid.isConnected) this.refreshAttention({ held: true });
      else clearInterval(this.app.heldTimer);
    }, HELD_CHECK_MS);
    app.keyHandler = (event) => this.key(event);
    this.search.focus();
  }

  /** The "Needs attention" button: refused entries of this browser, held tickets of the
   * session (asked of the server every so often, not on every change). */
  async refreshAttention({ held = false } = {}) {
    if (!this.attentionButton?.isConnected) return;
    if (held) {
      const items = await attentionItems(this.app, this.session.id);
      if (items.held) this.heldCount = items.held.length;
    }
    const refused = (await sync.status()).refused;
    const n = refused + this.heldCount;
    this.attentionButton.hidden = n === 0;
    this.attentionButton.dataset.refused = String(refused);
    this.attentionButton.dataset.held = String(this.heldCount);
    this.attentionButton.querySelector(".count").textContent = String(n);
  }

  renderCategories() {
    const button = (id, name) =>
      h(
        "button",
        {
          type: "button",
          class: "chip",
          "aria-pressed": String(this.category === id),
          onclick: () => {
            this.category = id;
            this.renderCategories();
            this.renderGrid();
          },
        },
        name,
      );
    const used = new Set(this.catalog.products.map((p) => p.category));
    fill(this.categoryBar, button(null, "All"), this.catalog.categories.filter((c) => used.has(c.id)).map((c) => button(c.id, c.name)));
  }

  matches(text) {
    const query = text.trim().toLowerCase();
    return this.catalog.products.filter(
      (p) =>
        (this.category === null || p.category === this.category) &&
        (!query || p.name.toLowerCase().includes(query) || p.sku.toLowerCase().includes(query) || (p.barcode || "").includes(query)),
    );
  }

  renderGrid() {
    const query = this.search.value.replace(/^\d+(?:[.,]\d+)?\*/, "");
    const found = this.matches(query);
    fill(
      this.grid,
      found.slice(0, MAX_TILES).map((p) =>
        h(
          "button",
          { type: "button", class: "product", dataset: { product: p.id, sku: p.sku }, onclick: () => this.add(p) },
          h("span", { class: "name" }, p.name),
          h("span", { class: "price" }, this.fmt.money(p.price)),
        ),
      ),
      found.length ? null : h("p", { class: "muted" }, "No product matches."),
    );
  }

  renderCart({ editor = true } = {}) {
    const cart = this.cart;
    const priced = this.price();
    fill(
      this.lines,
      cart.lines.map((line, index) => {
        const p = priced.lines[index];
        const negative = (parseQuantity(line.quantity) ?? 0n) < 0n;
        return h(
          "li",
          {
            class: `line ${index === cart.selected ? "selected" : ""} ${negative ? "return" : ""}`,
            role: "option",
            id: `line-${index}`,
            "aria-selected": String(index === cart.selected),
            dataset: { index, product: line.product },
            onclick: () => this.select(index),
          },
          h("span", { class: "name" }, line.name),
          h(
            "span",
            { class: "detail" },
            `${this.fmt.quantity(line.quantity)} × ${this.fmt.money(p.unit_price)}`,
            line.discount_percent && line.discount_percent !== "0" ? ` · −${line.discount_percent} %` : "",
          ),
          h("span", { class: "line-total" }, this.fmt.money(p.total)),
        );
      }),
      cart.lines.length ? null : h("li", { class: "empty muted", role: "option", "aria-disabled": "true" }, "Scan or choose a product."),
    );
    // The search box keeps the focus; screen readers follow the selected line through it.
    if (cart.selected >= 0 && cart.lines.length) this.search.setAttribute("aria-activedescendant", `line-${cart.selected}`);
    else this.search.removeAttribute("aria-activedescendant");
    this.lines.querySelector(".selected")?.scrollIntoView({ block: "nearest" });
    this.renderTotals(priced);
    if (editor) this.renderEditor();
    this.customerSelect.value = cart.customer ? String(cart.customer) : "";
    this.invoiceBox.checked = cart.to_invoice;
    this.invoiceBox.disabled = !cart.customer;
    this.renderPositions();
    this.refundBanner.hidden = !cart.refund;
    $("#refund-toggle")?.setAttribute("aria-pressed", String(cart.refund));
  }

  renderTotals(priced = this.price()) {
    const discount = priced.lines.reduce((a, l) => a + l.discount, 0n);
    const refund = priced.total < 0n;
    fill(
      this.totals,
      h("div", {}, h("span", {}, "Tax"), h("span", { class: "tax" }, this.fmt.money(priced.tax))),
      discount ? h("div", {}, h("span", {}, "Discounts"), h("span", {}, this.fmt.money(-discount))) : null,
      h(
        "div",
        { class: "grand" },
        h("span", {}, refund ? "To refund" : "Total"),
        h("span", { id: "ticket-total", dataset: { cents: amountText(this.catalog, priced.total) } }, this.fmt.money(refund ? -priced.total : priced.total)),
      ),
      this.cart.replaces ? h("p", { class: "muted" }, this.cart.remote ? "Resumed ticket parked on another device" : "Resumed parked ticket") : null,
    );
  }

  renderEditor() {
    const line = this.cart.lines[this.cart.selected];
    if (!line) {
      fill(this.editor, h("p", { class: "muted hint" }, "Keys: ↑↓ select a line · + − quantity · F4 quantity · F6 discount · Del remove · F9 pay"));
      return;
    }
    const qtyError = h("span", { class: "field-error", id: "line-qty-error", role: "alert", hidden: true });
    const original = line.quantity;
    const qty = h("input", {
      id: "line-qty",
      type: "text",
      inputmode: "decimal",
      value: line.quantity,
      class: "short",
      "aria-describedby": "line-qty-error",
      oninput: () => {
        const value = parseQuantity(qty.value);
        let problem = quantityProblem(value, this.app.limits);
        if (!problem) {
          const lines = this.cart.lines.map((l, i) => (i === this.cart.selected ? { ...l, quantity: quantityToString(value) } : l));
          problem = ticketProblem(this.price(lines), lines.length, this.app.limits);
        }
        qty.setAttribute("aria-invalid", String(Boolean(problem)));
        qtyError.textContent = problem ? `Refused: ${problem}; the line keeps ${this.fmt.quantity(original)}.` : "";
        qtyError.hidden = !problem;
        // A refused quantity leaves the line as it was before this edit (not at whatever
        // prefix of the typing happened to be valid).
        this.updateLine({ quantity: problem ? original : quantityToString(value) }, { editor: false });
      },
      onkeydown: (event) => this.fieldKey(event),
    });
    const discount = h("input", {
      id: "line-discount",
      type: "text",
      inputmode: "decimal",
      value: line.discount_percent || "0",
      class: "short",
      oninput: () => {
        const value = parseRate(discount.value || "0");
        const ok = value !== null && value >= 0n && value <= 1000000n;
        discount.setAttribute("aria-invalid", String(!ok));
        if (ok) this.updateLine({ discount_percent: rateToString(value) }, { editor: false });
      },
      onkeydown: (event) => this.fieldKey(event),
    });
    fill(
      this.editor,
      h("span", { class: "editing" }, line.name),
      h("button", { type: "button", class: "danger remove", onclick: () => this.removeLine(), title: "Remove the line (Del)" }, "Remove"),
      h("span", { class: "break", "aria-hidden": "true" }),
      h("button", { type: "button", class: "icon", "aria-label": "One less", onclick: () => this.bump(-1) }, "−"),
      h("label", { for: "line-qty" }, "Qty"),
      qty,
      h("button", { type: "button", class: "icon", "aria-label": "One more", onclick: () => this.bump(1) }, "+"),
      h("label", { for: "line-discount" }, "Disc. %"),
      discount,
      h("button", { type: "button", class: "icon", onclick: () => this.toggleLineSign(), "aria-label": "Return this line (negative quantity)", title: "Return this line" }, "±"),
      qtyError,
    );
  }

  // --- editing the ticket ----------------------------------------------------------------

  /** Save the cart and redraw; ``editor: false`` keeps the line editor (and its caret). */
  changed({ editor = true } = {}) {
    if (this.lost) return;
    this.saveCart();
    this.renderCart({ editor });
  }

  /** Whether the ticket with ``lines`` stays within the server's limits; says why not. */
  fits(lines) {
    const problem = ticketProblem(this.price(lines), lines.length, this.app.limits);
    if (problem) toast(`Refused: ${problem}.`, "warn", 6000);
    return !problem;
  }

  add(product, quantity = "1") {
    if (this.lost) return;
    const cart = this.cart;
    let qty = parseQuantity(quantity);
    const bad = quantityProblem(qty, this.app.limits);
    if (bad) {
      toast(qty === null ? `“${quantity}” is not a quantity.` : `Refused: ${bad}.`, "warn", 6000);
      return;
    }
    if (cart.refund && qty > 0n) qty = -qty;
    const sign = qty < 0n;
    const index = cart.lines.findIndex(
      (l) => l.product === product.id && l.unit_price === product.price && (l.discount_percent || "0") === "0" && (parseQuantity(l.quantity) < 0n) === sign,
    );
    if (index >= 0) {
      const merged = parseQuantity(cart.lines[index].quantity) + qty;
      const tooMuch = quantityProblem(merged, this.app.limits);
      if (tooMuch) {
        toast(`Refused: ${tooMuch}.`, "warn", 6000);
        return;
      }
      const lines = cart.lines.map((l, i) => (i === index ? { ...l, quantity: quantityToString(merged) } : l));
      if (!this.fits(lines)) return;
      cart.lines[index].quantity = quantityToString(merged);
      cart.selected = index;
    } else {
      const line = {
        product: product.id,
        name: product.name,
        quantity: quantityToString(qty),
        unit_price: product.price,
        discount_percent: "0",
        taxes: productTaxes(product),
      };
      if (!this.fits([...cart.lines, line])) return;
      cart.lines.push(line);
      cart.selected = cart.lines.length - 1;
    }
    this.changed();
  }

  select(index) {
    if (index < 0 || index >= this.cart.lines.length) return;
    this.cart.selected = index;
    this.saveCart();
    this.renderCart();
  }

  updateLine(changes, options) {
    const line = this.cart.lines[this.cart.selected];
    if (!line) return;
    Object.assign(line, changes);
    this.changed(options);
  }

  bump(delta) {
    const line = this.cart.lines[this.cart.selected];
    if (!line) return;
    const qty = parseQuantity(line.quantity);
    const step = BigInt(delta) * 1000n * (qty < 0n ? -1n : 1n);
    const next = qty + step;
    if (next === 0n) return this.removeLine();
    const problem = quantityProblem(next, this.app.limits);
    const lines = this.cart.lines.map((l, i) => (i === this.cart.selected ? { ...l, quantity: quantityToString(next) } : l));
    if (problem) toast(`Refused: ${problem}.`, "warn", 6000);
    else if (this.fits(lines)) this.updateLine({ quantity: quantityToString(next) });
  }

  toggleLineSign() {
    const line = this.cart.lines[this.cart.selected];
    if (line) this.updateLine({ quantity: quantityToString(-parseQuantity(line.quantity)) });
  }

  removeLine() {
    const cart = this.cart;
    if (cart.selected < 0) return;
    cart.lines.splice(cart.selected, 1);
    cart.selected = Math.min(cart.selected, cart.lines.length - 1);
    this.changed();
  }

  toggleRefund() {
    const cart = this.cart;
    cart.refund = !cart.refund;
    for (const line of cart.lines) {
      const qty = parseQuantity(line.quantity);
      if ((qty > 0n) === cart.refund) line.quantity = quantityToString(-qty);
    }
    this.changed();
    this.search.focus();
  }

  setCustomer(value) {
    this.cart.customer = value ? Number(value) : null;
    if (!this.cart.customer) this.cart.to_invoice = false;
    // A customer with a default fiscal position (an export customer, a company abroad)
    // brings it; the cashier may still change it.
    const customer = this.customers.find((c) => c.id === this.cart.customer);
    if (customer && positionOf(this.catalog, customer.fiscal_position ?? null)) this.cart.fiscal_position = customer.fiscal_position;
    this.changed();
  }

  /** The fiscal position of the ticket (null: none): its lines are priced under it. */
  setPosition(value) {
    this.cart.fiscal_position = value ? Number(value) : null;
    this.changed();
  }

  /** The fiscal position selector: shown when the till offers positions (or the ticket has
   * one, e.g. its customer's); "Standard" is the products' own taxes. */
  renderPositions() {
    if (!this.positionSelect) return;
    const chosen = this.cart.fiscal_position ?? null;
    const positions = [...offeredPositions(this.catalog)];
    const current = positionOf(this.catalog, chosen);
    if (current && !positions.includes(current)) positions.push(current);
    fill(
      this.positionSelect,
      h("option", { value: "" }, "Standard"),
      positions.map((p) => h("option", { value: String(p.id) }, p.name)),
    );
    this.positionSelect.value = chosen === null ? "" : String(chosen);
    this.positionField.hidden = positions.length === 0;
  }

  setInvoice(checked) {
    this.cart.to_invoice = Boolean(checked && this.cart.customer);
    this.changed();
  }

  async clearTicket() {
    if (!this.cart.lines.length && !this.cart.replaces) return;
    const resumed = Boolean(this.cart.replaces);
    const ok = await confirmBox(
      "Clear the ticket",
      resumed ? "Put this ticket back with the parked tickets, unchanged?" : "Remove every line of this ticket?",
      { yes: resumed ? "Put back" : "Clear", danger: !resumed },
    );
    if (!ok) return;
    this.cart = this.newCart();
    this.changed();
    this.refreshParkedCount();
    this.search.focus();
  }

  // --- keyboard ---------------------------------------------------------------------------

  searchKey(event) {
    if (event.key === "Enter") {
      event.preventDefault();
      this.scan(this.search.value);
    } else if (event.key === "Escape" && this.search.value) {
      event.preventDefault();
      this.search.value = "";
      this.renderGrid();
    } else if (!this.search.value) {
      const move = { ArrowUp: -1, ArrowDown: 1 }[event.key];
      if (move) {
        event.preventDefault();
        this.select(Math.max(0, Math.min(this.cart.lines.length - 1, this.cart.selected + move)));
      } else if (event.key === "+" || event.key === "-") {
        event.preventDefault();
        this.bump(event.key === "+" ? 1 : -1);
      } else if (event.key === "Delete") {
        event.preventDefault();
        this.removeLine();
      }
    }
  }

  fieldKey(event) {
    if (event.key === "Enter" || event.key === "Escape") {
      event.preventDefault();
      this.renderCart();
      this.search.focus();
    }
  }

  /** Enter in the search box: a barcode or SKU (optionally "3*code"), else the only match. */
  scan(text) {
    const value = text.trim();
    if (!value) return;
    let quantity = "1";
    let code = value;
    const multiplied = /^(\d+(?:[.,]\d{1,3})?)\*(.*)$/.exec(value);
    if (multiplied) {
      quantity = multiplied[1].replace(",", ".");
      code = multiplied[2].trim();
    }
    let product = this.byBarcode.get(code) || this.bySku.get(code.toUpperCase());
    if (!product) {
      const found = this.matches(code);
      if (found.length === 1) product = found[0];
    }
    if (!product) {
      toast(`No single product matches “${code}”.`, "warn");
      return;
    }
    this.add(product, quantity);
    this.search.value = "";
    this.renderGrid();
  }

  key(event) {
    if (anyDialogOpen()) return;
    const shortcuts = {
      F2: () => this.search.focus(),
      F3: () => this.customerSelect.focus(),
      F4: () => $("#line-qty")?.select(),
      F6: () => $("#line-discount")?.select(),
      F7: () => this.cashMove(),
      F8: () => (event.shiftKey ? this.showParked() : this.park()),
      F9: () => this.pay(),
      F10: () => this.close(),
    };
    const action = shortcuts[event.key];
    if (action) {
      event.preventDefault();
      action();
      return;
    }
    // Keyboard wedge: a scanner (or typing) outside any field goes to the search box.
    if (!isEditable(document.activeElement) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      this.search.focus();
      this.search.value += event.key;
      this.renderGrid();
    } else if (!isEditable(document.activeElement) && event.key === "Enter" && document.activeElement === document.body) {
      this.search.focus();
    }
  }

  // --- pay, park, resume --------------------------------------------------------------------

  orderPayload(state, payments = []) {
    const cart = this.cart;
    return {
      uuid: cart.uuid,
      created_at: nowRfc3339(),
      state,
      customer: cart.customer,
      fiscal_position: cart.fiscal_position ?? null,
      to_invoice: cart.to_invoice,
      lines: cart.lines.map((l) => ({
        product: l.product,
        quantity: l.quantity,
        unit_price: l.unit_price,
        discount_percent: l.discount_percent || "0",
      })),
      payments,
    };
  }

  ticketRecord(payload, extra) {
    const customer = this.customers.find((c) => c.id === this.cart.customer);
    return {
      uuid: payload.uuid,
      session: this.session.id,
      profile: this.profile.id,
      state: payload.state,
      created_at: payload.created_at,
      customer: payload.customer,
      customer_name: customer ? customer.name : "Walk-in customer",
      fiscal_position: payload.fiscal_position,
      to_invoice: payload.to_invoice,
      lines: this.cart.lines.map((l) => ({ ...l })),
      refund: this.cart.refund,
      payload,
      sync: "pending",
      ...extra,
    };
  }

  /**
   * Keep the ticket and queue it (after the void of the parked ticket it replaces), and
   * start a new cart: one transaction, refused when another tab owns the till or already
   * paid this ticket. Resolves true when queued.
   */
  async queueTicket(ticket, payload, reason) {
    const tickets = [ticket];
    const entries = [];
    const replaced = this.cart.replaces;
    if (replaced) {
      const draft = await store.ticketGet(replaced);
      if (draft) tickets.push({ ...draft, sync: "voiding" });
      entries.push({ kind: "void", session: this.session.id, uuid: replaced, reason });
    }
    entries.push({ kind: "order", session: this.session.id, uuid: ticket.uuid, payload });
    const next = this.newCart();
    await this.saving;
    try {
      const numbering = { profile: this.profile.id, series: seriesOf(this.session), next: this.session.next_number };
      await store.cartCommit(this.session.id, till.TAB, this.cart, tickets, entries, next, numbering);
    } catch (error) {
      if (!(error instanceof store.TillTaken)) throw error;
      toast(`${error.message} Nothing was recorded in this tab.`, "error", 10000);
      await this.lose(error.reason);
      return false;
    }
    this.cart = next;
    this.renderCart();
    sync.queued();
    return true;
  }

  async pay() {
    if (this.lost) return;
    if (!this.cart.lines.length) {
      toast("The ticket is empty.", "warn");
      return;
    }
    if (!this.fits(this.cart.lines)) return;
    const result = await openPayment(this.app, this.cart);
    if (!result || this.lost) {
      this.search?.focus();
      return;
    }
    const payload = this.orderPayload("paid", result.payments.map(wirePayment));
    const ticket = this.ticketRecord(payload, {
      payments: result.payments,
      total: result.total,
      due: result.due,
      tendered: result.tendered,
      change: result.change,
      tax: result.tax,
      net: result.net,
    });
    const reason = this.cart.remote ? `resumed on ${this.profile.name}` : `Resumed and paid as ${ticket.uuid}`;
    if (!(await this.queueTicket(ticket, payload, reason))) return;
    this.refreshParkedCount();
    this.showReceipt(ticket);
  }

  async park() {
    if (this.lost) return;
    if (!this.cart.lines.length) {
      toast("Nothing to park: the ticket is empty.", "warn");
      return;
    }
    const payload = this.orderPayload("draft");
    const priced = this.price();
    const ticket = this.ticketRecord(payload, { total: amountText(this.catalog, priced.total) });
    if (!(await this.queueTicket(ticket, payload, `Parked again as ${ticket.uuid}`))) return;
    this.refreshParkedCount();
    toast("Ticket parked.");
    this.search.focus();
  }

  /** Parked tickets of this session kept in this browser (the one in the cart excluded). */
  async parkedTickets() {
    const tickets = await store.ticketsOfSession(this.session.id);
    return tickets
      .filter((t) => t.state === "draft" && !["void", "voiding"].includes(t.sync) && t.uuid !== this.cart.replaces)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async refreshParkedCount() {
    const n = (await this.parkedTickets()).length;
    const count = this.parkedButton.querySelector(".count");
    if (count) count.textContent = String(n);
  }

  /** Load a parked ticket into the cart; paying or parking it replaces the draft. */
  async resume(ticket, { pay = false } = {}) {
    if (this.cart.lines.length) {
      const ok = await confirmBox("Resume a parked ticket", "The current ticket is not empty. Park it first?", { yes: "Park it" });
      if (!ok) return false;
      await this.park();
    }
    this.cart = {
      ...this.newCart(),
      lines: ticket.lines.map((l) => ({ ...l })),
      customer: ticket.customer,
      // A ticket parked before fiscal positions: the customer's default one, else the till's.
      fiscal_position: "fiscal_position" in ticket ? ticket.fiscal_position : defaultPosition(this.catalog, ticket.customer),
      to_invoice: ticket.to_invoice,
      refund: Boolean(ticket.refund),
      // A remote draft the close wizard already voided (took) has nothing left to replace.
      replaces: ticket.taken ? null : ticket.uuid,
      remote: Boolean(ticket.remote),
      selected: ticket.lines.length - 1,
    };
    this.changed();
    this.refreshParkedCount();
    this.search.focus();
    if (pay) await this.pay();
    return true;
  }

  /**
   * A draft of the closing data (GET /sessions/{id}/closing: parked on another device) as a
   * parked ticket for ``resume``: its lines with the products of the cached catalog. Throws
   * when a product is not in this terminal's catalog.
   */
  serverTicket(order) {
    const lines = order.lines.map((l) => {
      const product = this.products.get(l.product);
      if (!product) throw new Error(`Product #${l.product} of ticket ${order.uuid.slice(0, 8)} is not in this terminal's catalog: void the ticket, or reload the terminal and try again.`);
      return {
        product: product.id,
        name: product.name,
        quantity: quantityToString(parseQuantity(l.quantity)),
        unit_price: l.unit_price,
        discount_percent: rateToString(parseRate(l.discount_percent || "0")),
        taxes: productTaxes(product),
      };
    });
    if (!lines.length) throw new Error(`Ticket ${order.uuid.slice(0, 8)} has no line: void it.`);
    const customer = this.customers.some((c) => c.id === order.customer) ? order.customer : null;
    return {
      uuid: order.uuid,
      lines,
      customer,
      // The position it was parked under (the server says when it knows; else the default).
      ...("fiscal_position" in order ? { fiscal_position: order.fiscal_position } : {}),
      to_invoice: Boolean(customer && order.to_invoice),
      refund: lines.every((l) => parseQuantity(l.quantity) < 0n),
      remote: true,
    };
  }

  async showParked() {
    const tickets = await this.parkedTickets();
    const dialog = modal({
      title: "Parked tickets",
      className: "parked",
      body: tickets.length
        ? h(
            "ul",
            { class: "ticket-list" },
            tickets.map((t) =>
              h(
                "li",
                { dataset: { uuid: t.uuid } },
                h(
                  "span",
                  {},
                  h("strong", {}, new Date(t.created_at).toLocaleTimeString(this.fmt.locale, { hour: "2-digit", minute: "2-digit" })),
                  ` · ${t.lines.length} line(s) · ${t.customer_name}`,
                  t.sync === "refused" ? h("span", { class: "neg" }, ` · not accepted: ${plainProblem(t.problem, { lines: t.lines })}`) : null,
                ),
                h("span", { class: "amount" }, this.fmt.money(t.total)),
                h(
                  "button",
                  {
                    type: "button",
                    class: "primary",
                    onclick: async () => {
                      dialog.close();
                      await this.resume(t);
                    },
                  },
                  "Resume",
                ),
              ),
            ),
          )
        : h("p", {}, "No parked ticket."),
      actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Close")],
    });
    dialog.querySelector(".ticket-list button, footer button")?.focus();
  }

  showReceipt(ticket) {
    const fmt = this.fmt;
    const methodName = (id) => this.catalog.payment_methods.find((m) => m.id === id)?.name || `#${id}`;
    const priced = priceTicket(this.catalog, ticket);
    const refund = ticket.due.startsWith("-");
    const dialog = modal({
      title: "Receipt",
      className: "receipt-dialog",
      body: h(
        "div",
        { class: "receipt", id: "receipt" },
        this.session.training ? h("p", { class: "center training", id: "receipt-training" }, TRAINING) : null,
        h("p", { class: "center" }, h("strong", {}, this.company.name), h("br"), `${this.profile.name} · ${this.session.name}`),
        h("p", { class: "muted center" }, new Date(ticket.created_at).toLocaleString(fmt.locale), h("br"), ticket.number_text ? h("strong", { id: "receipt-number" }, `Ticket ${ticket.number_text}`) : `Ticket ${ticket.uuid.slice(0, 8)}`, ` · ${ticket.customer_name}`),
        h(
          "table",
          {},
          h(
            "tbody",
            {},
            ticket.lines.map((l, i) =>
              h(
                "tr",
                {},
                h("td", {}, `${fmt.quantity(l.quantity)} × ${l.name}`, l.discount_percent !== "0" ? ` (−${l.discount_percent} %)` : ""),
                h("td", { class: "n" }, fmt.money(priced.lines[i].total)),
              ),
            ),
          ),
        ),
        h(
          "table",
          { class: "sums" },
          h(
            "tbody",
            {},
            h("tr", {}, h("td", {}, "Tax included"), h("td", { class: "n" }, fmt.money(ticket.tax))),
            h("tr", { class: "grand" }, h("td", {}, refund ? "Refunded" : "Total"), h("td", { class: "n", id: "receipt-total" }, fmt.money(ticket.due))),
            // Each payment with what it paid; a cash payment also what was tendered for it,
            // then the change handed back (what the server records, issue #12).
            ticket.payments.map((p) => [
              h("tr", {}, h("td", {}, methodName(p.payment_method)), h("td", { class: "n" }, fmt.money(p.amount))),
              p.kind === "cash" && !refund
                ? h("tr", { class: "tendered" }, h("td", {}, "Tendered"), h("td", { class: "n" }, fmt.money(p.tendered || p.amount)))
                : null,
            ]),
            refund || !ticket.payments.some((p) => p.kind === "cash")
              ? null
              : h("tr", { class: "change" }, h("td", {}, "Change"), h("td", { class: "n", id: "receipt-change" }, fmt.money(ticket.change))),
          ),
        ),
        ticket.to_invoice ? h("p", { class: "center" }, "An invoice will be issued.") : null,
        // The fiscal proof, once the server has signed the ticket (proof.js).
        proofBlock(ticket.uuid, { isOpen: () => dialog.isConnected }),
        h("p", { class: "center muted" }, "Thank you!"),
      ),
      actions: [
        h("button", { type: "button", onclick: () => window.print() }, "Print"),
        h("button", { type: "button", class: "primary", id: "new-sale", onclick: () => dialog.close() }, "New sale ", h("kbd", {}, "Enter")),
      ],
      onclose: () => this.search.focus(),
    });
    dialog.querySelector("#new-sale").focus();
  }

  // --- cash moves and close -----------------------------------------------------------------

  cashMove() {
    openCashMove(this.app);
  }

  close() {
    openCloseWizard(this.app, this);
  }
}

