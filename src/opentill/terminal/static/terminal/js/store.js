// The browser's own storage (IndexedDB): the ticket buffer, every ticket of the shift, the
// ticket in progress and cached reference data. Written before anything is sent, so closing
// the browser or losing the network loses nothing.
//
//   outbox  {seq, kind: "order" | "void" | "cash_move", session, uuid, payload | reason,
//            attempts, state: "waiting" | "refused", problem, alone}: see outbox.js; sent
//           first in, first out (a void must follow the draft it voids, a drop the sales
//           that brought the cash)
//   tickets {uuid, session, state: "paid" | "draft", sync: "pending" | "sent" | "refused" |
//            "voiding" | "void", status (the server's: created, duplicate, rescued, held), problem, …}
//   moves   {uuid, session, kind: "drop" | "deposit", payment_method, amount, destination, reason,
//            created_at, sync: "pending" | "sent" | "refused" | "withdrawn", problem, id}: cash in/out
//   kv      {key, value}: catalog, destinations, profiles, "cart:<session>": the ticket in
//           progress of a session with the tab that owns it (one selling tab per till), and
//           "number:<profile>": the till's ticket counter {series, next} (numbering.js)

import { numberKey, takeNumber } from "./numbering.js";
import { counts, mayCommitCart } from "./outbox.js";

const DB_NAME = "opentill-terminal";
const DB_VERSION = 2;
let opening = null;

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => {
        const base = request.result;
        if (event.oldVersion < 1) {
          const outbox = base.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          outbox.createIndex("uuid", "uuid");
          const tickets = base.createObjectStore("tickets", { keyPath: "uuid" });
          tickets.createIndex("session", "session");
          base.createObjectStore("kv", { keyPath: "key" });
        }
        if (event.oldVersion < 2) {
          request.transaction.objectStore("outbox").createIndex("kind", "kind");
          const moves = base.createObjectStore("moves", { keyPath: "uuid" });
          moves.createIndex("session", "session");
        }
      };
      request.onblocked = () => console.warn("another tab keeps an older terminal open: close it to update the storage");
      request.onsuccess = () => {
        const base = request.result;
        // A newer terminal in another tab upgrades the storage: let it, reopen on next use.
        base.onversionchange = () => {
          base.close();
          opening = null;
        };
        resolve(base);
      };
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

const done = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

/** Run ``work(stores)`` in one transaction; resolves with its result once committed. */
async function transact(names, mode, work) {
  const base = await db();
  return new Promise((resolve, reject) => {
    const tx = base.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    Promise.resolve(work(stores))
      .then((value) => {
        result = value;
      })
      .catch((error) => {
        try {
          tx.abort();
        } catch {
          /* already finished */
        }
        reject(error);
      });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("storage transaction aborted"));
  });
}

/** Store tickets and queue what must be sent for them, in one transaction. */
export function ticketSave(tickets, entries = []) {
  return transact(["tickets", "outbox"], "readwrite", async ({ tickets: ticketStore, outbox }) => {
    for (const ticket of tickets) await done(ticketStore.put(ticket));
    for (const entry of entries) await done(outbox.add({ attempts: 0, state: "waiting", problem: null, ...entry }));
  });
}

export function ticketGet(uuid) {
  return transact(["tickets"], "readonly", ({ tickets }) => done(tickets.get(uuid)));
}

export function ticketPut(ticket) {
  return transact(["tickets"], "readwrite", ({ tickets }) => done(tickets.put(ticket)));
}

export function ticketsOfSession(session) {
  return transact(["tickets"], "readonly", ({ tickets }) => done(tickets.index("session").getAll(session)));
}

/** Update a ticket in place (no-op when it is unknown). */
export function ticketUpdate(uuid, changes) {
  return transact(["tickets"], "readwrite", async ({ tickets }) => {
    const ticket = await done(tickets.get(uuid));
    if (ticket) await done(tickets.put({ ...ticket, ...changes }));
    return ticket;
  });
}

export function outboxAll() {
  return transact(["outbox"], "readonly", ({ outbox }) => done(outbox.getAll()));
}

export function outboxCount() {
  return transact(["outbox"], "readonly", ({ outbox }) => done(outbox.count()));
}

/** {total, waiting, refused, moves, refusedMoves}: see outbox.counts. */
export async function outboxCounts() {
  return counts(await outboxAll());
}

export function outboxPut(entry) {
  return transact(["outbox"], "readwrite", ({ outbox }) => done(outbox.put(entry)));
}

/**
 * Apply what outbox.settle decided, in one transaction: entries removed and rewritten, the
 * outcome recorded on the tickets and cash moves they carry.
 */
export function outboxApply({ remove = [], put = [], tickets: ticketChanges = [], moves: moveChanges = [] }) {
  return transact(["outbox", "tickets", "moves"], "readwrite", async ({ outbox, tickets, moves }) => {
    for (const seq of remove) await done(outbox.delete(seq));
    for (const entry of put) await done(outbox.put(entry));
    for (const [target, changes] of [
      [tickets, ticketChanges],
      [moves, moveChanges],
    ]) {
      for (const [uuid, change] of changes) {
        const row = await done(target.get(uuid));
        if (row) await done(target.put({ ...row, ...change }));
      }
    }
  });
}

/** Store a cash move and queue it for the server, in one transaction. */
export function moveSave(move, entry) {
  return transact(["moves", "outbox"], "readwrite", async ({ moves, outbox }) => {
    await done(moves.put(move));
    await done(outbox.add({ attempts: 0, state: "waiting", problem: null, ...entry }));
  });
}

export function moveGet(uuid) {
  return transact(["moves"], "readonly", ({ moves }) => done(moves.get(uuid)));
}

export function movesOfSession(session) {
  return transact(["moves"], "readonly", ({ moves }) => done(moves.index("session").getAll(session)));
}

// --- the ticket in progress: one per session, owned by one tab ----------------------------

/** Thrown when another tab has taken the till over (or paid the ticket) meanwhile. */
export class TillTaken extends Error {
  constructor(reason) {
    super(reason === "paid" ? "This ticket was already paid in another tab." : "This till is now used in another tab.");
    this.reason = reason;
  }
}

const cartKey = (session) => `cart:${session}`;

export async function cartGet(session) {
  const row = await transact(["kv"], "readonly", ({ kv }) => done(kv.get(cartKey(session))));
  return row ? row.value : null;
}

/** Take the ticket in progress of ``session`` for ``tab`` (or store ``fallback`` when there is
 * none yet); resolves with the cart. From now on only ``tab`` may change or pay it. */
export function cartClaim(session, tab, fallback) {
  return transact(["kv"], "readwrite", async ({ kv }) => {
    const row = await done(kv.get(cartKey(session)));
    const cart = { ...(row ? row.value : fallback), owner: tab };
    await done(kv.put({ key: cartKey(session), value: cart }));
    return cart;
  });
}

/** Save the cart of ``tab``; refused (TillTaken) once another tab has claimed it. */
export function cartSave(session, tab, cart) {
  return transact(["kv"], "readwrite", async ({ kv }) => {
    const row = await done(kv.get(cartKey(session)));
    const check = mayCommitCart(row?.value, row?.value ? { uuid: row.value.uuid } : cart, tab);
    if (!check.ok) throw new TillTaken(check.reason);
    await done(kv.put({ key: cartKey(session), value: { ...cart, owner: tab } }));
  });
}

export function cartDelete(session) {
  return transact(["kv"], "readwrite", ({ kv }) => done(kv.delete(cartKey(session))));
}

/**
 * Pay or park the cart: store ``tickets``, queue ``entries`` and replace the cart by ``next``,
 * in one transaction, only if the stored cart is still ``cart`` (same ticket) owned by
 * ``tab`` — so a ticket can never be paid twice, by two tabs or two clicks.
 *
 * ``numbering`` ({profile, series, next}: the till, its series and the server's next number)
 * numbers the first ticket when it is paid, from the till's counter taken in this same
 * transaction (numbering.js): the ticket and its queued order get ``number``.
 */
export function cartCommit(session, tab, cart, tickets, entries, next, numbering = null) {
  return transact(["kv", "tickets", "outbox"], "readwrite", async ({ kv, tickets: ticketStore, outbox }) => {
    const row = await done(kv.get(cartKey(session)));
    const check = mayCommitCart(row?.value, cart, tab);
    if (!check.ok) throw new TillTaken(check.reason);
    const paid = tickets[0];
    if (numbering && paid?.state === "paid") {
      const key = numberKey(numbering.profile);
      const counter = await done(kv.get(key));
      const taken = takeNumber(counter?.value, numbering.next, numbering.series);
      paid.number = taken.number;
      paid.number_text = taken.text;
      for (const entry of entries) if (entry.kind === "order" && entry.uuid === paid.uuid) entry.payload.number = taken.number;
      await done(kv.put({ key, value: taken.stored }));
    }
    for (const ticket of tickets) {
      const known = await done(ticketStore.get(ticket.uuid));
      if (known && known.state === "paid") throw new TillTaken("paid");
      await done(ticketStore.put(ticket));
    }
    for (const entry of entries) await done(outbox.add({ attempts: 0, state: "waiting", problem: null, ...entry }));
    await done(kv.put({ key: cartKey(session), value: { ...next, owner: tab } }));
  });
}

export async function kvGet(key) {
  const row = await transact(["kv"], "readonly", ({ kv }) => done(kv.get(key)));
  return row ? row.value : undefined;
}

export function kvSet(key, value) {
  return transact(["kv"], "readwrite", ({ kv }) => done(kv.put({ key, value })));
}
