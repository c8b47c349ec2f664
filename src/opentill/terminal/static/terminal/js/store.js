// The browser's own storage (IndexedDB): the ticket buffer, every ticket of the shift and
// cached reference data. Written before anything is sent, so closing the browser or losing
// the network loses nothing.
//
//   outbox  {seq, kind: "order" | "void" | "cash_move", session, uuid, payload | reason, attempts, error}
//           sent first in, first out (a void must follow the draft it voids, a drop the sales
//           that brought the cash)
//   tickets {uuid, session, state: "paid" | "draft", sync: "pending" | "sent" | "rejected" | "void", …}
//   moves   {uuid, session, kind: "drop" | "deposit", payment_method, amount, destination, reason,
//            created_at, sync: "pending" | "sent" | "rejected", error, id}: cash in/out
//   kv      {key, value}: catalog, destinations, profiles

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
    for (const entry of entries) await done(outbox.add({ attempts: 0, error: null, ...entry }));
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

/** {total, moves}: entries waiting in the outbox, and how many of them are cash moves. */
export function outboxCounts() {
  return transact(["outbox"], "readonly", async ({ outbox }) => ({
    total: await done(outbox.count()),
    moves: await done(outbox.index("kind").count("cash_move")),
  }));
}

export function outboxPut(entry) {
  return transact(["outbox"], "readwrite", ({ outbox }) => done(outbox.put(entry)));
}

/** Remove sent entries and record each ticket's outcome, in one transaction. */
export function outboxSettle(seqs, ticketChanges) {
  return transact(["outbox", "tickets"], "readwrite", async ({ outbox, tickets }) => {
    for (const seq of seqs) await done(outbox.delete(seq));
    for (const [uuid, changes] of ticketChanges) {
      const ticket = await done(tickets.get(uuid));
      if (ticket) await done(tickets.put({ ...ticket, ...changes }));
    }
  });
}

/** Store a cash move and queue it for the server, in one transaction. */
export function moveSave(move, entry) {
  return transact(["moves", "outbox"], "readwrite", async ({ moves, outbox }) => {
    await done(moves.put(move));
    await done(outbox.add({ attempts: 0, error: null, ...entry }));
  });
}

export function moveGet(uuid) {
  return transact(["moves"], "readonly", ({ moves }) => done(moves.get(uuid)));
}

/** Remove a sent (or refused) cash move from the outbox and record the outcome. */
export function moveSettle(seq, uuid, changes) {
  return transact(["outbox", "moves"], "readwrite", async ({ outbox, moves }) => {
    await done(outbox.delete(seq));
    const move = await done(moves.get(uuid));
    if (move) await done(moves.put({ ...move, ...changes }));
  });
}

export async function kvGet(key) {
  const row = await transact(["kv"], "readonly", ({ kv }) => done(kv.get(key)));
  return row ? row.value : undefined;
}

export function kvSet(key, value) {
  return transact(["kv"], "readwrite", ({ kv }) => done(kv.put({ key, value })));
}
