// Small DOM helpers: element builder, dialogs, messages. No framework.

/** h("button", {class: "big", onclick}, "Pay") → an element; children may be nested arrays. */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked" || key === "textContent") element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** Replace the children of ``element``. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let idCounter = 0;
export const uid = (prefix = "f") => `${prefix}-${++idCounter}`;

/** A labelled input: returns [label, input]; the label names the input for screen readers. */
export function field(labelText, attrs = {}) {
  const id = attrs.id || uid();
  const input = h(attrs.tag || "input", { ...attrs, tag: null, id });
  return [h("label", { for: id }, labelText), input];
}

/** A message in the live region (read out by screen readers) and as a toast. */
export function toast(message, kind = "info", ms = 4000) {
  const box = $("#toasts");
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), ms);
}

/** A modal <dialog> built from content; resolves when it closes. Esc closes it. */
export function modal({ title, body, actions = [], wide = false, className = "", onclose, label }) {
  const heading = h("h2", { id: uid("dlg") }, title);
  const dialog = h(
    "dialog",
    { class: `modal ${wide ? "wide" : ""} ${className}`, "aria-labelledby": heading.id, "aria-label": label },
    h("header", {}, heading, h("button", { type: "button", class: "icon close", "aria-label": "Close", onclick: () => dialog.close() }, "×")),
    h("div", { class: "modal-body" }, body),
    actions.length ? h("footer", {}, actions) : null,
  );
  document.body.append(dialog);
  dialog.addEventListener("close", () => {
    dialog.remove();
    // Chromium restores the focus of before the dialog in a state where typed text (e.g. a
    // barcode scanner) is not inserted; blurring and focusing again makes it a real focus.
    const restored = document.activeElement;
    if (restored && restored !== document.body) restored.blur();
    if (onclose) onclose(dialog.returnValue);
    if (document.activeElement === document.body && restored?.isConnected) restored.focus();
  });
  dialog.showModal();
  return dialog;
}

export function anyDialogOpen() {
  return Boolean(document.querySelector("dialog[open]"));
}

/** Ask a yes/no question in a modal; resolves true or false. */
export function confirmBox(title, message, { yes = "Yes", no = "Cancel", danger = false } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const dialog = modal({
      title,
      body: h("p", {}, message),
      actions: [
        h("button", { type: "button", onclick: () => dialog.close() }, no),
        h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => { answer = true; dialog.close(); } }, yes),
      ],
      onclose: () => resolve(answer),
    });
    dialog.querySelector("footer .primary, footer .danger").focus();
  });
}

/** An error line inside a form (role=alert, so it is announced). */
export function errorLine() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

export function showErrorLine(element, message) {
  element.textContent = message || "";
  element.hidden = !message;
}

export function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Now as RFC 3339 with the local offset: 2026-11-21T10:02:03+01:00. */
export function nowRfc3339(date = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}
