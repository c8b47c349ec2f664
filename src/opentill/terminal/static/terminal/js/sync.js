// Sends the buffer (IndexedDB outbox: tickets, voids, cash moves) to the server, first in
// first out, with retries. Safe to repeat: the API stores an order once per uuid
// ("duplicate" afterwards) and a cash move once per uuid (200 with the stored move).

import * as api from "./api.js";
import * as store from "./store.js";

const BATCH = 100;
const listeners = [];
let timer = null;
let delay = 2000;
let lastError = null;
let authBlocked = false;

const rejectedListeners = [];
const watched = new Set(); // cash moves whose refusal a dialog shows itself

export function onChange(fn) {
  listeners.push(fn);
}

/** ``fn(uuid, detail, kind)`` when the server refuses a ticket (kind "order", kept and marked
 * "rejected") or a cash move (kind "cash_move", kept in the moves store, marked "rejected"). */
export function onRejected(fn) {
  rejectedListeners.push(fn);
}

function rejected(uuid, detail, kind) {
  if (watched.has(uuid)) return;
  for (const fn of rejectedListeners) fn(uuid, detail, kind);
}

async function notify() {
  const state = await status();
  for (const fn of listeners) fn(state);
}

/** {waiting, moves, online, error}: what the status indicator shows; ``waiting`` counts
 * every entry of the buffer, ``moves`` the cash moves among them. */
export async function status() {
  const counts = await store.outboxCounts();
  return { waiting: counts.total, moves: counts.moves, online: api.isReachable(), error: lastError };
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

let flushing = null;

/** Send everything waiting; resolves with the number of entries still waiting. */
export function flush() {
  if (!flushing) {
    flushing = withOutboxLock(sendAll).finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function sendAll() {
  try {
    for (;;) {
      const entries = (await store.outboxAll()).sort((a, b) => a.seq - b.seq);
      if (!entries.length) break;
      if (!navigator.onLine) throw new api.NetworkError("You are offline.");
      if (authBlocked) throw new Error("Sign in again to send the waiting tickets.");
      if (await dropUnsentDrafts(entries)) continue;
      const first = entries[0];
      if (first.kind === "void") await sendVoid(first);
      else if (first.kind === "cash_move") await sendCashMove(first);
      else await sendOrders(entries, first);
    }
    lastError = null;
    delay = 2000;
  } catch (error) {
    lastError = api.errorMessage(error);
    delay = Math.min(delay * 2, 60000);
    schedule(delay);
  }
  await notify();
  return store.outboxCount();
}

/** A draft resumed before it was ever sent: neither it nor its void need the server. */
async function dropUnsentDrafts(entries) {
  const drafts = new Map(entries.filter((e) => e.kind === "order").map((e) => [e.uuid, e]));
  const pairs = entries.filter((e) => e.kind === "void" && drafts.get(e.uuid)?.seq < e.seq);
  if (!pairs.length) return false;
  await store.outboxSettle(
    pairs.flatMap((e) => [e.seq, drafts.get(e.uuid).seq]),
    pairs.map((e) => [e.uuid, { sync: "void" }]),
  );
  return true;
}

async function sendVoid(entry) {
  try {
    await api.post(`/orders/${entry.uuid}/void`, { reason: entry.reason || "" });
  } catch (error) {
    // Not found (the draft was rejected) or no longer a draft: nothing left to void.
    if (!(error instanceof api.ApiError) || ![404, 409].includes(error.status)) {
      await store.outboxPut({ ...entry, attempts: entry.attempts + 1, error: api.errorMessage(error) });
      throw error;
    }
  }
  await store.outboxSettle([entry.seq], [[entry.uuid, { sync: "void" }]]);
}

/** A refusal that sending again cannot change (not: signed out, timeout, busy, server error). */
const isRefusal = (error) => error instanceof api.ApiError && error.status >= 400 && error.status < 500 && ![401, 408, 429].includes(error.status);

async function sendCashMove(entry) {
  let answer;
  try {
    answer = await api.post(`/sessions/${entry.session}/cash-moves`, entry.payload);
  } catch (error) {
    if (isRefusal(error)) {
      const detail = api.errorMessage(error);
      await store.moveSettle(entry.seq, entry.uuid, { sync: "rejected", error: detail });
      rejected(entry.uuid, detail, "cash_move");
      return;
    }
    await store.outboxPut({ ...entry, attempts: entry.attempts + 1, error: api.errorMessage(error) });
    throw error;
  }
  await store.moveSettle(entry.seq, entry.uuid, { sync: "sent", id: answer.id, error: null });
}

async function sendOrders(entries, first) {
  const batch = [];
  for (const entry of entries) {
    if (entry.kind !== "order" || entry.session !== first.session || batch.length >= BATCH) break;
    batch.push(entry);
  }
  let answer;
  try {
    answer = await api.post(`/sessions/${first.session}/orders`, { orders: batch.map((e) => e.payload) });
  } catch (error) {
    for (const entry of batch) {
      await store.outboxPut({ ...entry, attempts: entry.attempts + 1, error: api.errorMessage(error) });
    }
    throw error;
  }
  const bySeq = new Map(batch.map((e) => [e.uuid, e]));
  const settled = [];
  const changes = [];
  for (const result of answer.results) {
    const entry = bySeq.get(result.uuid);
    if (!entry) continue;
    settled.push(entry.seq);
    if (result.status === "rejected") {
      changes.push([entry.uuid, { sync: "rejected", error: result.error?.detail || "rejected" }]);
    } else {
      changes.push([entry.uuid, { sync: "sent", status: result.status, server_session: result.session }]);
    }
  }
  await store.outboxSettle(settled, changes);
  for (const [uuid, change] of changes) {
    if (change.sync === "rejected") rejected(uuid, change.error, "order");
  }
}

/** Start sending: now, when the network returns, and every few seconds while entries wait. */
export function start() {
  window.addEventListener("online", () => flush());
  window.addEventListener("offline", () => notify());
  api.on("reachability", () => notify());
  api.on("unauthorized", () => {
    authBlocked = true;
  });
  setInterval(async () => {
    if (!flushing && (await store.outboxCount()) > 0) flush();
  }, 10000);
  return flush();
}

export function authRestored() {
  authBlocked = false;
  flush();
}

/** Store ``tickets`` and queue ``entries`` atomically, then try to send at once. */
export async function enqueue(tickets, entries) {
  await store.ticketSave(tickets, entries);
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
 * stored move (``sync`` "sent", "rejected" or still "pending"). Meanwhile its refusal is the
 * caller's to show (no onRejected call); afterwards the listeners hear of it as usual.
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
