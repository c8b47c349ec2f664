// outbox.js: what the terminal sends next and what becomes of each entry once the server has
// answered. Pure state machine; the browser property test (tests/e2e/test_outbox_property.py)
// drives it through random shifts, these are its worked cases.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { js } from "./cases.mjs";

const outbox = await import(js("outbox.js"));
const { nextStep, settle, counts, retry, afterSignIn, withdraw, mayCommitCart, isTransient, isUnavailable } = outbox;

const paid = (seq, session = 1, extra = {}) => ({ seq, kind: "order", session, uuid: `o${seq}`, payload: { state: "paid" }, attempts: 0, ...extra });
const draft = (seq, extra = {}) => ({ ...paid(seq), payload: { state: "draft" }, ...extra });
const voiding = (seq, uuid) => ({ seq, kind: "void", session: 1, uuid, reason: "customer left", attempts: 0 });
const move = (seq, extra = {}) => ({ seq, kind: "cash_move", session: 1, uuid: `m${seq}`, payload: {}, attempts: 0, ...extra });

describe("nextStep", () => {
  test("nothing waiting, offline or blocked: nothing to send", () => {
    assert.equal(nextStep([]), null);
    assert.equal(nextStep([paid(1)], { online: false }), null);
    assert.equal(nextStep([paid(1)], { blocked: true }), null);
    assert.equal(nextStep([paid(1, 1, { state: "refused" })]), null);
  });

  test("waiting orders of one session go together, oldest first, up to the batch size", () => {
    const step = nextStep([paid(3), paid(1), paid(2), paid(4, 2)], { batch: 100 });
    assert.deepEqual(step, { type: "orders", session: 1, entries: [paid(1), paid(2), paid(3)] });
    assert.deepEqual(nextStep([paid(1), paid(2), paid(3)], { batch: 2 }).entries.map((e) => e.seq), [1, 2]);
  });

  test("a batch stops at a cash move and at an order sent alone", () => {
    assert.deepEqual(nextStep([paid(1), move(2), paid(3)]).entries.map((e) => e.seq), [1]);
    assert.deepEqual(nextStep([paid(1), paid(2, 1, { alone: true })]).entries.map((e) => e.seq), [1]);
    assert.deepEqual(nextStep([paid(1, 1, { alone: true }), paid(2)]).entries.map((e) => e.seq), [1]);
  });

  test("a cash move or a void first goes on its own", () => {
    assert.deepEqual(nextStep([move(1), paid(2)]), { type: "cash_move", entries: [move(1)] });
    assert.deepEqual(nextStep([voiding(1, "x"), paid(2)]), { type: "void", entries: [voiding(1, "x")] });
  });

  test("a draft never sent and its void cancel out without the server, even offline", () => {
    const entries = [draft(1), paid(2), voiding(3, "o1")];
    assert.deepEqual(nextStep(entries, { online: false }), { type: "collapse", entries: [draft(1), voiding(3, "o1")] });
    // Once tried, the draft may be on the server: the void must be sent.
    assert.equal(nextStep([draft(1, { attempts: 1 }), voiding(2, "o1")]).type, "orders");
  });
});

describe("settle", () => {
  const batch = { type: "orders", session: 1, entries: [paid(1), paid(2), paid(3), paid(4)] };

  test("recorded answers leave the outbox; a rejected one is refused; a missing one is sent again", () => {
    const result = settle(batch, {
      status: 200,
      body: {
        results: [
          { uuid: "o1", status: "created", session: 1 },
          { uuid: "o2", status: "held", session: 1, error: { code: "payment_mismatch", status: 422 } },
          { uuid: "o3", status: "rejected", error: { code: "validation_error", status: 422, detail: "bad" } },
        ],
      },
    });
    assert.deepEqual(result.remove, [1, 2]);
    assert.deepEqual(result.tickets[0], ["o1", { sync: "sent", status: "created", server_session: 1, problem: null }]);
    assert.deepEqual(result.tickets[1][1].problem, { code: "payment_mismatch", status: 422 });
    assert.deepEqual(result.refused.map((e) => [e.seq, e.state, e.attempts, e.problem.code]), [[3, "refused", 1, "validation_error"]]);
    assert.deepEqual(result.put.map((e) => [e.seq, e.state ?? "waiting", e.attempts]), [[3, "refused", 1], [4, "waiting", 1]]);
    assert.equal(result.retry, true);
  });

  test("duplicate and rescued are recorded too", () => {
    const step = { type: "orders", session: 1, entries: [paid(1), paid(2)] };
    const result = settle(step, { status: 200, body: { results: [{ uuid: "o1", status: "duplicate" }, { uuid: "o2", status: "rescued" }] } });
    assert.deepEqual(result.remove, [1, 2]);
    assert.deepEqual(result.put, []);
  });

  test("401: nothing was done, stop until someone signs in", () => {
    const result = settle(batch, { status: 401, problem: { status: 401, code: "unauthorized", detail: "Sign in." } });
    assert.equal(result.block, true);
    assert.deepEqual(result.remove, []);
    assert.deepEqual(result.put.map((e) => e.attempts), [1, 1, 1, 1]);
  });

  test("no network, 429 and 5xx: kept and tried again; 502/503/504 say the server is unavailable", () => {
    for (const [outcome, unavailable] of [
      [{ network: true, message: "offline" }, false],
      [{ status: 429, retryAfter: 7 }, false],
      [{ status: 500 }, false],
      [{ status: 503, retryAfter: 30 }, true],
    ]) {
      const result = settle(batch, outcome);
      assert.equal(result.retry, true);
      assert.equal(result.unavailable, unavailable);
      assert.equal(result.retryAfter, outcome.retryAfter ?? null);
      assert.deepEqual(result.remove, []);
      assert.equal(result.put.length, 4);
    }
    assert.equal(isTransient(408), true);
    assert.equal(isTransient(422), false);
    assert.equal(isUnavailable(504), true);
    assert.equal(isUnavailable(500), false);
  });

  test("a batch refused as a whole is split: each ticket sent alone", () => {
    const result = settle(batch, { status: 422, problem: { status: 422, code: "validation_error", detail: "no" } });
    assert.deepEqual(result.put.map((e) => e.alone), [true, true, true, true]);
    assert.deepEqual(result.refused, []);
    assert.equal(result.retryAfter, 0);
  });

  test("a single ticket refused is kept, refused, for a person", () => {
    const result = settle({ type: "orders", session: 1, entries: [paid(1)] }, { status: 403, problem: { status: 403, code: "forbidden", detail: "no" } });
    assert.deepEqual(result.refused.map((e) => [e.seq, e.problem.code]), [[1, "forbidden"]]);
    assert.deepEqual(result.tickets, [["o1", { sync: "refused", problem: { status: 403, code: "forbidden", detail: "no" } }]]);
  });

  test("a void that finds nothing to void (404, 409) is done", () => {
    for (const status of [404, 409]) {
      const result = settle({ type: "void", entries: [voiding(5, "o1")] }, { status });
      assert.deepEqual(result.remove, [5]);
      assert.deepEqual(result.tickets, [["o1", { sync: "void" }]]);
    }
  });

  test("a cash move answered leaves with its server id; a collapse needs no answer", () => {
    const sent = settle({ type: "cash_move", entries: [move(2)] }, { status: 201, body: { id: 44 } });
    assert.deepEqual(sent.moves, [["m2", { sync: "sent", id: 44, problem: null, error: null }]]);
    const gone = settle({ type: "collapse", entries: [draft(1), voiding(3, "o1")] }, {});
    assert.deepEqual(gone.remove, [1, 3]);
    assert.deepEqual(gone.tickets, [["o1", { sync: "void" }]]);
  });
});

describe("a person's choices", () => {
  test("counts of waiting and refused entries", () => {
    const entries = [paid(1), paid(2, 1, { state: "refused" }), move(3), move(4, { state: "refused" })];
    assert.deepEqual(counts(entries), { total: 4, waiting: 2, refused: 2, moves: 2, refusedMoves: 1 });
  });

  test("sent again: waiting, alone; after a sign-in only 401/403 refusals wait again", () => {
    assert.deepEqual(retry(paid(1, 1, { state: "refused" })), { ...paid(1), state: "waiting", alone: true });
    const entries = [
      paid(1, 1, { state: "refused", problem: { status: 403 } }),
      paid(2, 1, { state: "refused", problem: { status: 422 } }),
      paid(3),
    ];
    assert.deepEqual(afterSignIn(entries).map((e) => e.seq), [1]);
  });

  test("only a refused cash move can be withdrawn; a ticket never", () => {
    assert.deepEqual(withdraw(move(4, { state: "refused" })), { remove: [4], moves: [["m4", { sync: "withdrawn" }]] });
    assert.throws(() => withdraw(move(4)));
    assert.throws(() => withdraw(paid(1, 1, { state: "refused" })));
  });

  test("a cart paid or taken over elsewhere may not be paid here", () => {
    assert.deepEqual(mayCommitCart(null, { uuid: "a" }, "tab1"), { ok: true });
    assert.deepEqual(mayCommitCart({ uuid: "a", owner: "tab1" }, { uuid: "a" }, "tab1"), { ok: true });
    assert.deepEqual(mayCommitCart({ uuid: "a", owner: "tab2" }, { uuid: "a" }, "tab1"), { ok: false, reason: "taken" });
    assert.deepEqual(mayCommitCart({ uuid: "b" }, { uuid: "a" }, "tab1"), { ok: false, reason: "paid" });
  });
});
