/**
 * PriorityQueue's order on the local tier: the default comparison (numbers, strings, arrays compared
 * element by element as Python compares tuples) and the `compare` option, which other tiers cannot share.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PriorityQueue, QueueFull } from "../../src/index.ts";
import { isPending, rejectsWith, throwsWith, within } from "../helpers.ts";

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};
const settle = () => turns();

function drain<T>(q: PriorityQueue<T>): T[] {
  const items: T[] = [];
  while (!q.empty()) items.push(q.getNowait());
  return items;
}

/** Deterministic pseudo-random numbers (a linear congruential generator): the same run every time. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Puts every item, expecting `Class` for `bad`, and checks the queue kept exactly `expected`, counted once each. */
function assertUnchanged<T>(q: PriorityQueue<T>, expected: T[]): void {
  assert.equal(q.qsize(), expected.length);
  assert.deepEqual(drain(q), expected);
  for (let i = 0; i < expected.length; i++) q.taskDone();
  assert.throws(() => q.taskDone(), { name: "ValueError" }, "the refused item was not counted");
}

describe("PriorityQueue default order", () => {
  it("orders numbers ascending, including negatives, fractions and infinities", () => {
    const q = new PriorityQueue<number>();
    for (const n of [3, -1, 2.5, Number.POSITIVE_INFINITY, 0, -Number.POSITIVE_INFINITY, 2]) q.putNowait(n);
    assert.deepEqual(drain(q), [Number.NEGATIVE_INFINITY, -1, 0, 2, 2.5, 3, Number.POSITIVE_INFINITY]);
  });

  it("orders strings by code unit, as Python orders str", () => {
    const q = new PriorityQueue<string>();
    for (const s of ["b", "apples", "B", "apple", "", "a"]) q.putNowait(s);
    assert.deepEqual(drain(q), ["", "B", "a", "apple", "apples", "b"]);
  });

  it("orders arrays element by element, as Python orders tuples; a prefix comes first", () => {
    const q = new PriorityQueue<unknown[]>();
    for (const item of [[2, 0], [1, 3], [1], [1, 2, 0], [1, 2], [0, 9, 9]]) q.putNowait(item);
    assert.deepEqual(drain(q), [[0, 9, 9], [1], [1, 2], [1, 2, 0], [1, 3], [2, 0]]);
  });

  it("orders nested arrays and strings inside arrays", () => {
    const q = new PriorityQueue<unknown[]>();
    for (const item of [
      [[1, 2], "b"],
      [[1, 1], "z"],
      [[1, 2], "a"],
      [[0], "q"],
    ])
      q.putNowait(item);
    assert.deepEqual(drain(q), [
      [[0], "q"],
      [[1, 1], "z"],
      [[1, 2], "a"],
      [[1, 2], "b"],
    ]);
  });

  it("treats objects inside arrays as equal, so [priority, job] entries work and ties stay first in, first out", () => {
    const q = new PriorityQueue<[number, { name: string }]>();
    const order = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for (const [i, name] of order.entries()) q.putNowait([i % 3, { name }]);
    assert.deepEqual(
      drain(q).map(([p, { name }]) => `${p}${name}`),
      ["0a", "0d", "0g", "1b", "1e", "1h", "2c", "2f", "2i"],
    );
  });

  it("decides at the first differing element: later elements of another kind are never compared", () => {
    const q = new PriorityQueue<unknown[]>();
    q.putNowait([2, "x"]);
    q.putNowait([1, 5]);
    assert.deepEqual(drain(q), [
      [1, 5],
      [2, "x"],
    ]);
  });

  it("refuses an item of another top-level kind with a TypeError, and the queue is unchanged", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(2);
    q.putNowait(1);
    for (const bad of ["1", [1], { priority: 0 }, null, undefined, true]) {
      assert.throws(() => q.putNowait(bad), TypeError, `refused ${JSON.stringify(bad)}`);
    }
    assertUnchanged(q, [1, 2]);
  });

  it("refuses plain objects with a TypeError once there is something to compare them with", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait({ a: 1 });
    assert.throws(() => q.putNowait({ a: 0 }), TypeError);
    assert.equal(q.qsize(), 1);
  });

  it("refuses an array whose elements of different kinds have to be compared, and the queue is unchanged", () => {
    const q = new PriorityQueue<unknown[]>();
    q.putNowait([1, "a"]);
    assert.throws(() => q.putNowait([1, 2]), TypeError, "a number against a string");
    assert.throws(() => q.putNowait([1, { job: 1 }]), TypeError, "an object against a string");
    assert.throws(() => q.putNowait(["1", "a"]), TypeError, "a string against a number");
    assertUnchanged(q, [[1, "a"]]);
  });

  it("put() rejects (does not throw) with the TypeError, and the item is not counted", async () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(1);
    let result: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      result = q.put("one");
    });
    await rejectsWith(result!, TypeError);
    assertUnchanged(q, [1]);
  });

  it("the TypeError names the kinds it cannot order and points to { compare }", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(1);
    assert.throws(() => q.putNowait("x"), { name: "TypeError", message: /number.*string.*compare/ });
  });
});

describe("PriorityQueue compare option", () => {
  it("orders by the given compare: negative when the first comes out first", () => {
    const q = new PriorityQueue<number>(0, { compare: (a, b) => b - a });
    for (const n of [1, 5, 3, 4, 2]) q.putNowait(n);
    assert.deepEqual(drain(q), [5, 4, 3, 2, 1]);
  });

  it("lets any item be queued, ordered by a key; equal keys come out in put order", () => {
    interface Job {
      priority: number;
      name: string;
    }
    const q = new PriorityQueue<Job>(0, { compare: (a, b) => a.priority - b.priority });
    const jobs = ["a", "b", "c", "d", "e", "f"].map((name, i) => ({ priority: (i * 7) % 3, name }));
    for (const job of jobs) q.putNowait(job);
    assert.deepEqual(
      drain(q).map((job) => job.name),
      ["a", "d", "b", "e", "c", "f"],
    );
  });

  it("calls compare with the items themselves", () => {
    const seen = new Set<unknown>();
    const a = { k: 2 };
    const b = { k: 1 };
    const q = new PriorityQueue<{ k: number }>(0, {
      compare: (x, y) => {
        seen.add(x);
        seen.add(y);
        return x.k - y.k;
      },
    });
    q.putNowait(a);
    q.putNowait(b);
    assert.deepEqual(drain(q), [b, a]);
    assert.deepEqual(
      [...seen].sort((x, y) => (x as { k: number }).k - (y as { k: number }).k),
      [b, a],
    );
  });

  it("a compare that throws while an item is put leaves the queue unchanged, and the error reaches the caller", async () => {
    const boom = new Error("cannot compare");
    let poisoned = false;
    const q = new PriorityQueue<number>(0, {
      compare: (a, b) => {
        if (poisoned && (a === 42 || b === 42)) throw boom;
        return a - b;
      },
    });
    const items = [50, 10, 30, 20, 60, 40, 70, 0];
    for (const n of items) q.putNowait(n);
    poisoned = true;
    assert.throws(
      () => q.putNowait(42),
      (e) => e === boom,
    );
    assert.equal(await rejectsWith(q.put(42), Error), boom);
    poisoned = false;
    assertUnchanged(q, [0, 10, 20, 30, 40, 50, 60, 70]);
  });

  it("a compare that throws part-way up the heap leaves the heap unchanged", () => {
    let calls = 0;
    let failAt = -1;
    const q = new PriorityQueue<number>(0, {
      compare: (a, b) => {
        if (++calls === failAt) throw new Error("third comparison");
        return a - b;
      },
    });
    for (let i = 100; i > 0; i -= 3) q.putNowait(i);
    calls = 0;
    failAt = 3; // the new least item climbs several levels; the third comparison fails
    assert.throws(() => q.putNowait(-1), /third comparison/);
    failAt = -1;
    const expected = [];
    for (let i = 100; i > 0; i -= 3) expected.push(i);
    assertUnchanged(
      q,
      expected.sort((a, b) => a - b),
    );
  });

  it("a compare that throws while an item is taken leaves the queue unchanged; get rejects with the error", async () => {
    let calls = 0;
    let failAt = -1;
    const q = new PriorityQueue<number>(0, {
      compare: (a, b) => {
        if (++calls === failAt) throw new Error("cannot compare now");
        return a - b;
      },
    });
    const items = Array.from({ length: 40 }, (_, i) => (i * 17) % 41);
    for (const n of items) q.putNowait(n);
    calls = 0;
    failAt = 3; // part-way down the heap
    assert.throws(() => q.getNowait(), /cannot compare now/);
    calls = 0;
    let result: Promise<number> | undefined;
    assert.doesNotThrow(() => {
      result = q.get();
    }, "get() returns a promise; it does not throw");
    await rejectsWith(result!, Error, { message: "cannot compare now" });
    failAt = -1;
    assertUnchanged(
      q,
      items.sort((a, b) => a - b),
    );
  });

  it("a waiting putter whose item cannot be ordered fails with the error; the slot goes to the next putter", async () => {
    const q = new PriorityQueue<unknown>(2);
    q.putNowait(2);
    q.putNowait(1);
    const bad = q.put({ job: "no priority" });
    const good = q.put(0);
    assert.equal(await isPending(bad, settle), true);
    assert.equal(q.getNowait(), 1);
    q.taskDone();
    await rejectsWith(within(bad), TypeError);
    await within(good);
    assertUnchanged(q, [0, 2]);
  });

  it("options must be an object", () => {
    for (const options of ["x", 5, null, false]) {
      assert.throws(() => new PriorityQueue(0, options as never), TypeError, `options ${String(options)}`);
    }
  });

  it("compare must be a function", () => {
    for (const compare of [1, "asc", {}, null]) {
      assert.throws(() => new PriorityQueue(0, { compare: compare as never }), TypeError);
    }
  });

  it("honours maxsize with a compare", async () => {
    const q = new PriorityQueue<number>(1, { compare: (a, b) => b - a });
    q.putNowait(1);
    await throwsWith(() => q.putNowait(2), QueueFull);
    assert.equal(q.maxsize, 1);
  });
});

describe("PriorityQueue order under load (a stable heap)", () => {
  it("matches a stable sort for many interleaved puts and gets, with many ties", () => {
    for (const seed of [1, 2, 3, 42, 2024]) {
      const random = lcg(seed);
      const q = new PriorityQueue<[number, { seq: number }]>();
      const reference: [number, { seq: number }][] = [];
      const got: number[] = [];
      const expected: number[] = [];
      let seq = 0;
      for (let step = 0; step < 3000; step++) {
        if (random() < 0.6 || reference.length === 0) {
          const entry: [number, { seq: number }] = [Math.floor(random() * 8), { seq: seq++ }];
          q.putNowait(entry);
          reference.push(entry);
        } else {
          got.push(q.getNowait()[1].seq);
          // The least priority, the oldest among equals.
          let best = 0;
          for (let i = 1; i < reference.length; i++) {
            if (reference[i]![0] < reference[best]![0]) best = i;
          }
          expected.push(reference.splice(best, 1)[0]![1].seq);
        }
        assert.equal(q.qsize(), reference.length);
      }
      while (!q.empty()) got.push(q.getNowait()[1].seq);
      reference.sort((a, b) => a[0] - b[0] || a[1].seq - b[1].seq);
      expected.push(...reference.map(([, { seq }]) => seq));
      assert.deepEqual(got, expected, `seed ${seed}`);
    }
  });

  it("a bounded queue with waiting putters still gives the least item first, stably", async () => {
    const q = new PriorityQueue<[number, string]>(3, { compare: (a, b) => a[0] - b[0] });
    const putters = [
      [1, "a"],
      [0, "b"],
      [1, "c"],
      [0, "d"],
      [2, "e"],
      [0, "f"],
    ].map((entry) => q.put(entry as [number, string]));
    await turns();
    // In: a, b, c; waiting: d, e, f (each enters as a slot frees).
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push((await within(q.get()))[1]);
    await within(Promise.all(putters));
    // get b -> d enters; get d -> e enters; get a -> f enters; then f, c, e.
    assert.deepEqual(got, ["b", "d", "a", "f", "c", "e"]);
  });
});
