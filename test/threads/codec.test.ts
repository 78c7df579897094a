/**
 * The queue codec gives what structured clone gives: every value kind it writes itself (numbers incl. -0 and
 * NaN, strings incl. non-Latin-1 and lone surrogates, booleans, null, undefined, plain arrays and objects,
 * nested) and the kinds it leaves to v8 (Date, Map, typed arrays, shared references, cycles, holes).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decode, encode, encoded, reserve, scratch } from "../../src/threads/codec.ts";

/** Encodes and decodes as a queue does: the bytes are copied out of and back into the scratch buffer. */
function roundTrip(value: unknown): unknown {
  encode(value);
  const { tag, number, length } = encoded;
  const bytes = scratch.slice(0, length);
  scratch.fill(0xee, 0, Math.min(scratch.length, length + 16)); // stale bytes must not matter
  reserve(length).set(bytes);
  return decode(tag, number, length);
}

const strings = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) }),
  fc.constantFrom(
    "",
    "a",
    "\u0000",
    "\u00ff",
    "\u0100",
    "\ud800",
    "\udc00x",
    "x".repeat(64),
    "é".repeat(300),
  ),
);
const numbers = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 0, Number.NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 2 ** 53),
);
const leaves = fc.oneof(numbers, strings, fc.boolean(), fc.constant(null), fc.constant(undefined));
const values = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaves, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 8 }),
  object: fc.dictionary(strings, tie("value"), { maxKeys: 8 }),
})).value;

describe("threads queue codec", () => {
  it("round-trips the values it writes itself exactly as structuredClone does", () => {
    fc.assert(
      fc.property(values, (v) => {
        assert.deepStrictEqual(roundTrip(v), structuredClone(v));
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps -0, NaN, empty strings and lone surrogates", () => {
    assert.ok(Object.is(roundTrip(-0), -0));
    assert.ok(Object.is((roundTrip([-0]) as number[])[0], -0));
    assert.ok(Object.is((roundTrip({ a: Number.NaN }) as { a: number }).a, Number.NaN));
    assert.equal(roundTrip(""), "");
    assert.deepEqual(roundTrip({ "": "" }), { "": "" });
    for (const s of [
      "\ud800",
      "a\udc00",
      "\udc00\ud800",
      `${"x".repeat(100)}\ud83d`,
      "\ud83d\ude00".repeat(50),
    ]) {
      assert.equal(roundTrip(s), s);
      assert.deepEqual(roundTrip({ [s]: s }), { [s]: s });
    }
  });

  it("recognises repeated keys without mixing up keys of equal length and hash", () => {
    const objs = [];
    for (let i = 0; i < 2000; i++) {
      const k = `k${String.fromCharCode(97 + (i % 26))}${i % 7}`;
      objs.push({ [k]: i, id: i, payload: `p${i}`, [`${k}${k}`]: [k] });
    }
    for (const o of objs) assert.deepStrictEqual(roundTrip(o), structuredClone(o));
  });

  it("gives each object of a repeated shape its own fresh properties, whatever was done to the last", () => {
    const kinds: unknown[] = [
      1,
      0.5,
      -0,
      Number.NaN,
      "s",
      "",
      true,
      null,
      undefined,
      { id: 2, v: 3 },
      [1],
      2 ** 40,
    ];
    let last: Record<string, unknown> | undefined;
    for (let i = 0; i < 400; i++) {
      const o = { id: kinds[i % kinds.length], v: kinds[(i * 5) % kinds.length] };
      const back = roundTrip(o) as Record<string, unknown>;
      const mine = back; // the caller's to change (a deepStrictEqual below narrows back's type)
      assert.deepStrictEqual(back, structuredClone(o));
      assert.deepEqual(Object.keys(back), ["id", "v"]);
      assert.notEqual(back, last);
      if (i % 3 === 0) mine.extra = i;
      if (i % 3 === 1) delete mine.id;
      if (i % 3 === 2) Object.defineProperty(mine, "v", { value: "frozen", writable: false });
      last = mine;
    }
    // The same count with other keys, the same keys in another order, integer-like keys, nested same shapes.
    const others: object[] = [
      { id: 1, w: 2 },
      { v: 1, id: 2 },
      { ix: 1, v: 2 },
      { 1: "a", 0: "b" },
      { id: { id: { id: 1, v: 2 }, v: 3 }, v: [{ id: 4, v: 5 }] },
      { id: 1, v: 2 },
      Object.create(null),
    ];
    for (let r = 0; r < 3; r++) {
      for (const o of others) {
        const back = roundTrip(o);
        assert.deepStrictEqual(back, structuredClone(o));
        assert.equal(Object.getPrototypeOf(back), Object.prototype);
      }
    }
  });

  it("round-trips large arrays and long strings, and deep nesting", () => {
    const big = Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : { i }));
    assert.deepStrictEqual(roundTrip(big), structuredClone(big));
    const long = "abc\u00e9".repeat(100_000);
    assert.equal(roundTrip(long), long);
    const wide = "\u4e2d\ud800".repeat(50_000);
    assert.equal(roundTrip(wide), wide);
    let deep: unknown = "leaf";
    for (let i = 0; i < 200; i++) deep = i % 2 ? [deep] : { d: deep };
    assert.deepStrictEqual(roundTrip(deep), structuredClone(deep));
  });

  it("leaves the other kinds to v8 and gives what structured clone gives", () => {
    const shared = { s: 1 };
    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    const holes: unknown[] = [1, 2, 3];
    delete holes[1];
    const extra = Object.assign([1, 2], { x: 1 });
    const cases: unknown[] = [
      new Date(5),
      new Map([[1, { a: 2 }]]),
      new Set(["a"]),
      new Uint8Array([1, 2, 3]),
      /re/g,
      10n,
      { big: 10n },
      [shared, shared],
      holes,
      extra,
      Object.create(null),
      new (class Point {
        x = 1;
      })(),
      new Error("boom"),
    ];
    for (const v of cases) assert.deepStrictEqual(roundTrip(v), structuredClone(v));
    const pair = roundTrip([shared, shared]) as object[];
    assert.equal(pair[0], pair[1], "a shared reference stays shared");
    const c = roundTrip(cyclic) as { self: unknown };
    assert.equal(c.self, c, "a cycle stays a cycle");
    const many = [...Array.from({ length: 40 }, (_, i) => ({ i })), shared, shared];
    const back = roundTrip(many) as object[];
    assert.deepStrictEqual(back, structuredClone(many));
    assert.equal(back[40], back[41], "sharing is found past the linear seen list");
  });

  it("carries typed arrays as structured clone does: views of one buffer share it, offsets and lengths kept", () => {
    const ab = new ArrayBuffer(8);
    new Uint8Array(ab).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const views = [new Uint8Array(ab), new Uint16Array(ab, 2, 2), new DataView(ab, 1, 3)] as const;
    const back = roundTrip({ views, secret: "not in any buffer" }) as { views: typeof views };
    assert.deepStrictEqual(back, structuredClone({ views, secret: "not in any buffer" }));
    assert.equal(back.views[0].buffer, back.views[1].buffer, "one buffer, as it went in");
    assert.equal(back.views[1].buffer, back.views[2].buffer);
    assert.deepEqual(
      back.views.map((v) => [v.byteOffset, v.byteLength, v.buffer.byteLength]),
      [
        [0, 8, 8],
        [2, 4, 8],
        [1, 3, 8],
      ],
    );
    const sub = roundTrip(new Uint8Array(ab).subarray(2, 5)) as Uint8Array;
    assert.deepEqual(
      [sub.byteOffset, sub.length, [...new Uint8Array(sub.buffer)]],
      [2, 3, [1, 2, 3, 4, 5, 6, 7, 8]],
    );
    const buffer = roundTrip(Buffer.from([9, 8])) as Uint8Array;
    assert.equal(Object.getPrototypeOf(buffer), Uint8Array.prototype, "a Buffer comes back a Uint8Array");
    assert.deepEqual([...buffer], [9, 8]);
  });

  it("throws a TypeError for what structured clone refuses", () => {
    for (const v of [() => 1, Symbol("s"), { f() {} }, [Symbol("t")], [new SharedArrayBuffer(8), () => 1]]) {
      assert.throws(() => encode(v), TypeError);
    }
  });
});
