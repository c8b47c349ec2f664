// Sends the buffer (IndexedDB outbox: tickets, voids, cash moves) to the server, first in
// first out, with retries; outbox.js decides what each answer means for each entry, this
// module only talks to the server and the storage. Safe to repeat: the API stores an order
// once per uuid ("duplicate" afterwards) and a cash move once per uuid (200 with the stored
// move). On a 401 it stops and keeps everything until someone signs in again.

import * as api from "./api.js";
import * as outbox from "./outbox.js";
import * as store from "./store.js";

const listeners = [];
const refusedListeners = [];
const watched = new Set(); // cash moves whose refusal a dialog shows itself
let timer = null;
let delay = 2000;
let lastError = null;
let authBlocked = false;
let unavailable = false; // the server answered 502/503/504 the last time it was tried
let flushing = null;

// Other tabs of this browser hear when the outbox changes (their status line follows).
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("opentill-outbox") : null;

export function onChange(fn) {
  listeners.push(fn);
}

/** ``fn(entry)`` when the server refuses an entry that is kept (marked "refused"): a person
 * must see it. Not called for a cash move whose dialog shows the refusal itself. */
export function onRefused(fn) {
  refusedListeners.push(fn);
}

async function notify({ broadcast = true } = {}) {
  const state = await status();
  for (const fn of listeners) fn(state);
  if (broadcast) channel?.postMessage({ type: "changed" });
}

if (channel) channel.onmessage = () => notify({ broadcast: false });

/** {waiting, refused, moves, online, blocked, error}: what the status indicator shows;
 * ``waiting`` counts every entry of the buffer (refused ones too: they are not sent). */
export async function status() {
  const counts = await store.outboxCounts();
  return {
    waiting: counts.total,
    pending: counts.waiting,
    refused: counts.refused,
    moves: counts.moves,
    online: api.isReachable(),
    blocked: authBlocked,
    unavailable,
    error: lastError,
  };
}

/** "2 ticket(s)", "1 cash move(s)" or "2 ticket(s) and 1 cash move(s)": what waits. */
export function describeWaiting({ waiting, moves = 0 }) {
  const tickets = waiting - moves;
  const parts = [];
  if (tickets || !moves) parts.push(`${tickets} ticket(s)`);
  if (moves) parts.push(`${moves} cash move(s)`);
  return parts.join(" and ");
}

/** Run ``work`` while no other tab sends the outbox (in this tab, ``flush`` runs once). */
function withOutboxLock(work) {
  if (navigator.locks?.request) return navigator.locks.request("opentill-outbox", () => work());
  return work();
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => flush(), ms);
}

/** Send everything that can be sent; resolves with the number of entries still kept. */
export function flush() {
  if (!flushing) {
    flushing = withOutboxLock(sendAll).finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function sendAll() {
  let retryAfter = null;
  let failed = false;
  for (;;) {
    const step = outbox.nextStep(await store.outboxAll(), { blocked: authBlocked, online: navigator.onLine });
    if (!step) break;
    const outcome = step.type === "collapse" ? null : await send(step);
    const result = outbox.settle(step, outcome);
    await store.outboxApply(result);
    for (const entry of result.refused) refused(entry);
    if (result.block) {
      authBlocked = true;
      lastError = "Sign in again to send what waits.";
      break;
    }
    if (result.retry) {
      lastError = result.error;
      if (result.retryAfter === 0) continue; // a refused batch, now sent ticket by ticket
      unavailable = Boolean(result.unavailable);
      if (unavailable) lastError = "The server is unavailable; what waits is kept here and sent when it answers.";
      failed = true;
      retryAfter = result.retryAfter;
      break;
    }
  }
  const counts = await store.outboxCounts();
  if (!failed) unavailable = false;
  if (!failed && !authBlocked) {
    if (!navigator.onLine && counts.waiting) {
      lastError = "You are offline.";
      failed = true;
    } else if (!counts.refused) lastError = null;
  }
  if (failed) {
    delay = Math.min(delay * 2, 60000);
    schedule(retryAfter ? Math.max(retryAfter * 1000, 1000) : delay);
  } else delay = 2000;
  await notify();
  return counts.total;
}

/** One request for ``step``; the answer or the failure as outbox.settle reads it. */
async function send(step) {
  const [first] = step.entries;
  try {
    let body;
    if (step.type === "void") body = await api.post(`/orders/${first.uuid}/void`, { reason: first.reason || "" }, { reauth: false });
    else if (step.type === "cash_move") body = await api.post(`/sessions/${first.session}/cash-moves`, first.payload, { reauth: false });
    else body = await api.post(`/sessions/${step.session}/orders`, { orders: step.entries.map((e) => e.payload) }, { reauth: false });
    return { status: 200, body };
  } catch (error) {
    if (error instanceof api.ApiError) return { status: error.status, problem: { status: error.status, ...error.problem }, retryAfter: error.retryAfter };
    return { network: true, message: api.errorMessage(error) };
  }
}

function refused(entry) {
  if (entry.kind === "cash_move" && watched.has(entry.uuid)) return;
  for (const fn of refusedListeners) fn(entry);
}

/** Start sending: now, when the network returns, and every few seconds while entries wait. */
export function start() {
  window.addEventListener("online", () => flush());
  window.addEventListener("offline", () => notify());
  api.on("reachability", () => notify());
  api.on("unauthorized", () => {
    authBlocked = true;
    notify();
  });
  setInterval(async () => {
    if (!flushing && !authBlocked && (await store.outboxCounts()).waiting > 0) flush();
  }, 10000);
  return flush();
}

/** Signed in again: what was refused for the old sign-in (401/403) waits again; send. */
export async function authRestored() {
  authBlocked = false;
  const revived = outbox.afterSignIn(await store.outboxAll());
  if (revived.length) await store.outboxApply({ put: revived });
  return flush();
}

export function isBlocked() {
  return authBlocked;
}

/** Store ``tickets`` and queue ``entries`` atomically, then try to send at once. */
export async function enqueue(tickets, entries) {
  await store.ticketSave(tickets, entries);
  await notify();
  flush();
}

/** After the cart module queued a ticket itself (store.cartCommit): show it, send it. */
export async function queued() {
  await notify();
  flush();
}

/** Store a cash move and queue it; resolves once it is safe in the browser. */
export async function enqueueMove(move) {
  const payload = {
    uuid: move.uuid,
    kind: move.kind,
    payment_method: move.payment_method,
    amount: move.amount,
    destination: move.destination,
    reason: move.reason,
  };
  await store.moveSave(move, { kind: "cash_move", session: move.session, uuid: move.uuid, payload });
  await notify();
}

/**
 * Send now and wait at most ``ms`` for the outcome of cash move ``uuid``: resolves with the
 * stored move (``sync`` "sent", "refused" or still "pending"). Meanwhile its refusal is the
 * caller's to show (no onRefused call); afterwards the listeners hear of it as usual.
 */
export async function sendMoveNow(uuid, ms = 6000) {
  watched.add(uuid);
  try {
    let timeout;
    await Promise.race([flush(), new Promise((resolve) => (timeout = setTimeout(resolve, ms)))]);
    clearTimeout(timeout);
    return await store.moveGet(uuid);
  } finally {
    watched.delete(uuid);
  }
}

/** The entries of the outbox that were refused (kept, waiting for a person). */
export async function refusedEntries() {
  return (await store.outboxAll()).filter((e) => e.state === "refused").sort((a, b) => a.seq - b.seq);
}

/** A person sends a refused entry again. */
export async function retryEntry(entry) {
  await store.outboxApply({ put: [outbox.retry(entry)] });
  await notify();
  return flush();
}

/** A person who has seen the refusal of cash move ``uuid`` takes it back. */
export async function withdrawMove(uuid) {
  const entry = (await store.outboxAll()).find((e) => e.kind === "cash_move" && e.uuid === uuid);
  if (entry) await store.outboxApply(outbox.withdraw(entry));
  await notify();
}
