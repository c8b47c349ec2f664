// numbering.js: the till's ticket counter, taken when a ticket is paid. Worked cases.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { js } from "./cases.mjs";

const { takeNumber, formatNumber, seriesOf, numberKey } = await import(js("numbering.js"));

describe("ticket numbers", () => {
  test("a till's first ticket is number 1, printed TILL1-000001", () => {
    assert.deepEqual(takeNumber(undefined, 1, "TILL1"), { number: 1, text: "TILL1-000001", stored: { series: "TILL1", next: 2 } });
    assert.deepEqual(takeNumber(undefined, undefined, "TILL1").number, 1); // offline, never numbered
  });

  test("the counter goes on, offline (no server number) and across a reload", () => {
    let stored;
    const given = [];
    for (let i = 0; i < 3; i += 1) {
      const taken = takeNumber(stored, undefined, "TILL1");
      given.push(taken.text);
      stored = JSON.parse(JSON.stringify(taken.stored)); // as IndexedDB keeps it
    }
    assert.deepEqual(given, ["TILL1-000001", "TILL1-000002", "TILL1-000003"]);
    assert.deepEqual(stored, { series: "TILL1", next: 4 });
  });

  test("two sessions of a till offline stay continuous: the next session's server number lags", () => {
    // Session A gave 1, 2, 3 offline; the server has only 1 and 2 (next 3) when B starts.
    const afterA = { series: "TILL1", next: 4 };
    const b1 = takeNumber(afterA, 3, "TILL1");
    const b2 = takeNumber(b1.stored, 3, "TILL1");
    assert.deepEqual([b1.number, b2.number], [4, 5]);
  });

  test("a new device (no counter) starts where the server is; the server ahead wins", () => {
    assert.equal(takeNumber(undefined, 124, "TILL1").text, "TILL1-000124");
    assert.equal(takeNumber({ series: "TILL1", next: 7 }, 40, "TILL1").number, 40);
  });

  test("a counter that is not a positive integer is not trusted", () => {
    assert.equal(takeNumber({ next: "12" }, 5, "T").number, 5);
    assert.equal(takeNumber({ next: -3 }, undefined, "T").number, 1);
    assert.equal(takeNumber({ next: 2.5 }, 2, "T").number, 2);
  });

  test("formats and series", () => {
    assert.equal(formatNumber("TILL1", 123), "TILL1-000123");
    assert.equal(formatNumber("BAR", 1234567), "BAR-1234567");
    assert.equal(seriesOf({ number_series: "TILL2", name: "X/2026/0001" }), "TILL2");
    assert.equal(seriesOf({ name: "till1/2026/0004" }), "TILL1"); // a session stored before numbering
    assert.equal(takeNumber({ series: "TILL1", next: 9 }, 2).text, "TILL1-000009"); // series from the counter
    assert.equal(numberKey(3), "number:3");
  });
});
