// Sends the ticket buffer (IndexedDB outbox) to the server, first in first out, with
// retries. Safe to repeat: the API stores an order once per uuid ("duplicate" afterwards).

import * as api from "./api.js";
import * as store from "./store.js";

const BATCH = 100;
const listeners = [];
let timer = null;
let delay = 2000;
let lastError = null;
let authBlocked = false;

const rejectedListeners = [];

export function onChange(fn) {
  listeners.push(fn);
}

/** ``fn(uuid, detail)`` when the server refuses a ticket (it is kept, marked "rejected"). */
export function onRejected(fn) {
  rejectedListeners.push(fn);
}

async function notify() {
  const state = await status();
  for (const fn of listeners) fn(state);
}

/** {waiting, online, error}: what the status indicator shows. */
export async function status() {
  return { waiting: await store.outboxCount(), online: api.isReachable(), error: lastError };
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
    if (change.sync === "rejected") for (const fn of rejectedListeners) fn(uuid, change.error);
  }
}

/** Start sending: now, when the network returns, and every few seconds while tickets wait. */
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
