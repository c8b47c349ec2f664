// The fiscal proof on the screen receipt (issue #13 item 7): the ticket's record in its
// till's signed journal exists only once the server has the ticket. While the receipt is
// shown, this waits for the sync to answer for the ticket, then asks the server for the
// proof (GET /orders/{uuid}/proof: not a reprint) and shows the signature excerpt, the key
// and the QR code. Paid offline (or not answered in time), the receipt says so: the proof
// prints on a reprint, once the ticket is synced.

import * as api from "./api.js";
import * as store from "./store.js";
import { fill, h } from "./ui.js";

export const NOT_SIGNED = "Not yet signed — the proof prints on a reprint";
export const TRAINING = "TRAINING — not a sale";
const WAIT_MS = 15000; // how long a shown receipt waits for the sync's answer
const STEP_MS = 400;

/** The receipt's proof block, filled in place once the server has signed the ticket. */
export function proofBlock(uuid, { isOpen = () => true } = {}) {
  const block = h("div", { class: "proof center", id: "receipt-proof" }, h("p", { class: "muted", id: "receipt-unsigned" }, NOT_SIGNED));
  waitAndShow(block, uuid, isOpen);
  return block;
}

async function waitAndShow(block, uuid, isOpen) {
  await new Promise((resolve) => setTimeout(resolve, 0)); // the receipt is shown first
  const until = Date.now() + WAIT_MS;
  while (Date.now() < until && isOpen()) {
    const ticket = await store.ticketGet(uuid);
    if (ticket?.sync === "sent") {
      if (ticket.status === "held") return; // a manager decides: no record yet
      try {
        const proof = await api.get(`/orders/${uuid}/proof`, { reauth: false, timeout: 5000 });
        if (proof.signed && isOpen()) show(block, proof);
      } catch {
        // Unreachable or refused now: the receipt keeps saying the proof comes on a reprint.
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
}

function qrElement(svgText) {
  // The server's SVG (segno), parsed as XML: never injected as HTML.
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName.toLowerCase() !== "svg") return null;
  for (const el of svg.querySelectorAll("script, foreignObject")) el.remove();
  return document.importNode(svg, true);
}

function show(block, proof) {
  fill(
    block,
    proof.training ? h("p", { class: "training", id: "receipt-training-proof" }, TRAINING) : null,
    h("p", { class: "muted" }, "Record ", h("span", { id: "receipt-record" }, String(proof.sequence)), " · key ", proof.key_id),
    h("p", {}, "Signature ", h("code", { id: "receipt-signature" }, proof.excerpt)),
    h("div", { class: "qr", id: "receipt-qr", "data-payload": proof.qr }, qrElement(proof.qr_svg)),
  );
}
