// The outbox as a state machine: what to send next, and what becomes of each entry once the
// server has answered (or has not). Pure: no DOM, no storage, no network; sync.js applies
// the decisions to IndexedDB and the property test (tests/e2e/test_outbox_property.py)
// drives it through random shifts.
//
// The rule: a paid ticket is a fact. An entry leaves the outbox only when the server has
// recorded it: an order answered `created`, `duplicate`, `rescued` or `held`; a cash move
// answered 200/201; a void answered, or found nothing left to void. Everything else keeps
// the entry: a refusal (`rejected`, 403, 404, 409, 422…) marks it `refused` with what the
// server said, shown to a person until they send it again (or, for a cash move they have
// seen refused, withdraw it); a 401 stops all sending until someone signs in; a network
// error, a timeout, 429 or 5xx is retried later.
//
// Entry: {seq, kind: "order" | "void" | "cash_move", session, uuid, payload | reason,
//         attempts, state: "waiting" | "refused", problem, alone}
//   problem: null or {status, code, detail, …} (the server's problem document)
//   alone:   send this order in a batch of its own (a batch was refused as a whole)

export const RECORDED = Object.freeze(["created", "duplicate", "rescued", "held"]);
export const BATCH = 100;

const isWaiting = (entry) => (entry.state || "waiting") === "waiting";
const bySeq = (a, b) => a.seq - b.seq;

/** {waiting, refused, moves, refusedMoves}: how many entries wait, and how many were refused. */
export function counts(entries) {
  const result = { total: entries.length, waiting: 0, refused: 0, moves: 0, refusedMoves: 0 };
  for (const entry of entries) {
    const move = entry.kind === "cash_move";
    if (isWaiting(entry)) result.waiting += 1;
    else result.refused += 1;
    if (move) result.moves += 1;
    if (move && !isWaiting(entry)) result.refusedMoves += 1;
  }
  return result;
}

/**
 * The next thing to do, or null when nothing can be sent now:
 *   {type: "collapse", entries}  a draft never tried and its void: neither needs the server
 *   {type: "void" | "cash_move", entries: [entry]}
 *   {type: "orders", session, entries}  consecutive waiting orders of one session (FIFO)
 */
export function nextStep(entries, { blocked = false, online = true, batch = BATCH } = {}) {
  const sorted = [...entries].sort(bySeq);
  const drafts = new Map(sorted.filter((e) => e.kind === "order" && e.payload?.state === "draft" && !e.attempts).map((e) => [e.uuid, e]));
  const pairs = sorted.filter((e) => e.kind === "void" && drafts.get(e.uuid)?.seq < e.seq);
  if (pairs.length) return { type: "collapse", entries: pairs.flatMap((e) => [drafts.get(e.uuid), e]) };
  if (blocked || !online) return null;
  const waiting = sorted.filter(isWaiting);
  const first = waiting[0];
  if (!first) return null;
  if (first.kind === "void" || first.kind === "cash_move") return { type: first.kind, entries: [first] };
  const group = [first];
  if (!first.alone) {
    for (const entry of waiting.slice(1)) {
      if (entry.kind !== "order" || entry.session !== first.session || entry.alone || group.length >= batch) break;
      group.push(entry);
    }
  }
  return { type: "orders", session: first.session, entries: group };
}

/** A failure that sending again later can change: no network, timeout, busy, server error. */
/** The server (or its database) cannot answer for now: wait and send again, patiently. */
export function isUnavailable(status) {
  return status === 502 || status === 503 || status === 504;
}

export function isTransient(status) {
  return status === undefined || status === 0 || status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * What becomes of ``step`` given ``outcome``:
 *   {status: 200, body}              the server answered
 *   {status: 4xx/5xx, problem, retryAfter?}
 *   {network: true, message}          no answer at all
 * Returns {remove: [seq], put: [entry], tickets: [[uuid, changes]], moves: [[uuid, changes]],
 *          refused: [entry], block, retry, retryAfter, error}: entries to delete and to
 * rewrite, the outcome to record on tickets and cash moves, the entries newly refused (a
 * person must see them), whether to stop until a sign-in (block) or to try again later.
 */
export function settle(step, outcome) {
  const result = { remove: [], put: [], tickets: [], moves: [], refused: [], block: false, retry: false, retryAfter: null, error: null };
  const entries = step.entries;
  if (step.type === "collapse") {
    result.remove = entries.map((e) => e.seq);
    result.tickets = entries.filter((e) => e.kind === "order").map((e) => [e.uuid, { sync: "void" }]);
    return result;
  }
  const status = outcome.network ? 0 : outcome.status;
  const ok = status >= 200 && status < 300;
  if (!ok) return failed(result, step, outcome, status);

  if (step.type === "void") {
    result.remove.push(entries[0].seq);
    result.tickets.push([entries[0].uuid, { sync: "void" }]);
  } else if (step.type === "cash_move") {
    result.remove.push(entries[0].seq);
    result.moves.push([entries[0].uuid, { sync: "sent", id: outcome.body?.id ?? null, problem: null, error: null }]);
  } else {
    const answers = new Map((outcome.body?.results || []).map((r) => [r.uuid, r]));
    for (const entry of entries) {
      const answer = answers.get(entry.uuid);
      if (!answer) {
        // Not in the answer: nothing is known, so it is sent again.
        result.put.push({ ...entry, attempts: (entry.attempts || 0) + 1 });
        result.retry = true;
        result.error = "The server did not answer for every ticket.";
      } else if (RECORDED.includes(answer.status)) {
        result.remove.push(entry.seq);
        result.tickets.push([
          entry.uuid,
          { sync: "sent", status: answer.status, server_session: answer.session ?? null, problem: answer.status === "held" ? answer.error || null : null },
        ]);
      } else {
        const problem = answer.error || { status: 422, code: answer.status || "rejected", detail: `The server answered “${answer.status}”.` };
        refuse(result, entry, problem);
      }
    }
  }
  return result;
}

function failed(result, step, outcome, status) {
  const entries = step.entries;
  const problem = outcome.problem || { status, detail: outcome.message || `The server answered ${status}.` };
  result.error = problem.detail || outcome.message || `The server answered ${status}.`;
  if (status === 401) {
    // Signed out, expired or revoked: nothing was done; stop until someone signs in.
    result.block = true;
    result.put = entries.map((e) => ({ ...e, attempts: (e.attempts || 0) + 1 }));
    return result;
  }
  if (isTransient(status)) {
    result.retry = true;
    result.unavailable = isUnavailable(status);
    result.retryAfter = outcome.retryAfter ?? null;
    result.put = entries.map((e) => ({ ...e, attempts: (e.attempts || 0) + 1 }));
    return result;
  }
  if (step.type === "void" && (status === 404 || status === 409)) {
    // The draft never arrived, or is no longer a draft: nothing is left to void.
    result.remove.push(entries[0].seq);
    result.tickets.push([entries[0].uuid, { sync: "void" }]);
    return result;
  }
  if (step.type === "orders" && entries.length > 1) {
    // The batch as a whole was refused: send each ticket on its own to find which one.
    result.put = entries.map((e) => ({ ...e, alone: true }));
    result.retry = true;
    result.retryAfter = 0;
    return result;
  }
  for (const entry of entries) refuse(result, entry, { status, ...problem });
  return result;
}

function refuse(result, entry, problem) {
  const kept = { ...entry, attempts: (entry.attempts || 0) + 1, state: "refused", problem };
  result.put.push(kept);
  result.refused.push(kept);
  const change = { sync: "refused", problem };
  if (entry.kind === "cash_move") result.moves.push([entry.uuid, change]);
  else if (entry.kind === "order") result.tickets.push([entry.uuid, change]);
}

/** A person asks to send a refused entry again: it waits again, in a batch of its own. */
export function retry(entry) {
  return { ...entry, state: "waiting", alone: true };
}

/** After a sign-in: entries refused for who was signed in (401/403) wait again. */
export function afterSignIn(entries) {
  return entries.filter((e) => !isWaiting(e) && [401, 403].includes(e.problem?.status)).map(retry);
}

/**
 * A person has seen the refusal of a cash move and takes it back (the cashier corrects it
 * and saves a new one): the only way out of the outbox without the server's record. A
 * ticket cannot be withdrawn: its money was taken.
 */
export function withdraw(entry) {
  if (entry.kind !== "cash_move" || isWaiting(entry)) throw new Error("Only a refused cash move can be withdrawn.");
  return { remove: [entry.seq], moves: [[entry.uuid, { sync: "withdrawn" }]] };
}

/** Whether the cart ``local`` (a tab's copy) may still be paid, given the ``stored`` one:
 * the same ticket, still owned by this tab. A cart paid (or taken over) elsewhere is not. */
export function mayCommitCart(stored, local, tab) {
  if (!stored) return { ok: true };
  if (stored.owner && stored.owner !== tab) return { ok: false, reason: "taken" };
  if (stored.uuid !== local.uuid) return { ok: false, reason: "paid" };
  return { ok: true };
}
