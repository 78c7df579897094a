/**
 * What only the threads tier's queues have: blocking putSync/getSync from workers, blocking and async
 * callers on one queue, values that cannot be carried, storage that grows past its first size, more
 * waiters than a FIFO has cells, and the many-producer/many-consumer stress of python-semantics.md §4.20.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { QueueEmpty, QueueFull, QueueShutDown } from "../../src/api/errors.ts";
import { Event } from "../../src/threads/event.ts";
import { fromHandle, toHandle } from "../../src/threads/handle.ts";
import {
  ENTRY,
  ENTRY_SEQ,
  Q_ARENA_CAP,
  Q_ARENA_GEN,
  Q_ENTRY_CAP,
  Q_PUTS,
  Q_PUTS_BESIDE,
  Q_TAKES,
  Q_TAKES_BESIDE,
} from "../../src/threads/layout.ts";
import { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "../../src/threads/queue.ts";
import type * as tasks from "./queue-worker.ts";
import { runIn, terminateAll, wire, withinBooted } from "./spawn.ts";
import { until } from "./util.ts";

after(terminateAll);

type Tasks = typeof tasks;
const entry = new URL("./queue-worker.ts", import.meta.url);

function run<K extends keyof Tasks>(
  name: K,
  ...args: Parameters<Tasks[K]>
): Promise<Awaited<ReturnType<Tasks[K]>>> {
  return runIn(entry, { queueTask: name, args: args.map(wire) });
}

/** Every item of the producers `ids`, `count` each, as `produce` numbers them. */
function produced(ids: number[], counts: number[]): number[] {
  return ids.flatMap((id, k) => Array.from({ length: counts[k] as number }, (_, i) => id * 1_000_000 + i));
}

const numeric = (a: number, b: number) => a - b;

describe("threads Queue: blocking calls from workers", () => {
  it("putSync and getSync move every item in order between two workers through a small bounded queue", async () => {
    const q = new Queue<number>(4);
    const items = Array.from({ length: 3_000 }, (_, i) => i);
    const [put, got] = await withinBooted(
      Promise.all([run("putAll", q, items, "sync"), run("getN", q, items.length, "sync")]),
      60_000,
    );
    assert.equal(put, items.length);
    assert.deepEqual(got, items);
    assert.equal(q.qsize(), 0);
  });

  it("getSync with a timeout throws QueueEmpty in a worker; putSync on a full queue with a timeout throws QueueFull", async () => {
    const q = new Queue<number>(1);
    await assert.rejects(run("getN", q, 1, "sync", 30), { name: "QueueEmpty" });
    q.putNowait(1);
    assert.throws(() => q.putSync(2, { timeout: 20 }), { name: "QueueFull" });
    assert.throws(() => q.putSync(2, { blocking: false }), { name: "QueueFull" });
    assert.equal(q.getSync(), 1);
    assert.throws(() => q.getSync({ timeout: 0 }), { name: "QueueEmpty" });
    assert.equal(q.qsize(), 0);
  });

  it("join against a taskDone on another thread (neither takes a mutex): each join resolves, and only once every item is done", async () => {
    const q = new Queue<number>(1);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const n = 2_000;
    const worker = run("getAndDone", q, n, counter);
    for (let i = 0; i < n; i++) {
      await q.put(i);
      // The worker's last taskDone races this join: whichever comes first, the join must resolve. (Its
      // timeout only ends a hang: the first join waits for the worker to start.)
      assert.equal(await withinBooted(q.join({ timeout: 240_000 })), true, `join ${i}`);
      assert.ok(Atomics.load(counter, 0) >= i + 1, `join ${i} resolved before item ${i} was done`);
    }
    assert.equal(await withinBooted(worker), n);
    assert.throws(() => q.taskDone(), { name: "ValueError" });
  });

  it("a join that queues after a later put is not woken by the taskDone that came before that put", async () => {
    const q = new Queue<string>();
    q.putNowait("A");
    q.getNowait();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const done = run("taskDonePaused", q, flag); // marks A done on a worker
    await until(
      () => Atomics.load(flag, 0) === 1 || Atomics.load(flag, 0) === 3,
      "the worker's taskDone neither paused nor ended",
    );
    q.putNowait("B"); // unfinished again
    const joined = q.join({ timeout: 300 }); // queues now, while the taskDone may be paused after its zero
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
    assert.equal(await withinBooted(joined), false, "B is still unfinished: the join waits, then times out");
    assert.equal(await withinBooted(done), true);
    assert.equal(q.getNowait(), "B");
    q.taskDone();
    assert.equal(await withinBooted(q.join({ timeout: 5_000 })), true);
  });

  it("joinSync waits for every taskDone and returns false on timeout", () => {
    const q = new Queue<number>();
    assert.equal(q.joinSync(), true);
    q.putNowait(1);
    assert.equal(q.joinSync({ timeout: 20 }), false);
    q.getNowait();
    q.taskDone();
    assert.equal(q.joinSync({ timeout: 0 }), true);
  });

  it("blocking and async callers mix on one queue: every item is got exactly once", async () => {
    const q = new Queue<number>(8);
    const producers = [
      run("produce", q, 1, 2_000, "sync"),
      run("produce", q, 2, 2_000, "async"),
      run("produce", q, 3, 2_000, "sync"),
    ];
    const consumers = [run("consume", q, "sync"), run("consume", q, "async")];
    const mine: number[] = [];
    const local = (async () => {
      for (;;) {
        try {
          mine.push(await q.get());
        } catch (error) {
          if (error instanceof QueueShutDown) return;
          throw error;
        }
        q.taskDone();
      }
    })();
    assert.deepEqual(await withinBooted(Promise.all(producers), 60_000), [2_000, 2_000, 2_000]);
    assert.equal(await withinBooted(q.join(), 60_000), true);
    q.shutdown();
    const lists = await withinBooted(Promise.all(consumers), 60_000);
    await withinBooted(local);
    const got = [...(lists.flat() as number[]), ...mine].sort(numeric);
    assert.deepEqual(got, produced([1, 2, 3], [2_000, 2_000, 2_000]).sort(numeric));
    assert.equal(q.qsize(), 0);
  });
});

describe("threads Queue: what can be carried", () => {
  it("a value structured clone refuses is a TypeError, and the queue is unchanged (here and in a worker)", async () => {
    const q = new Queue<unknown>(2);
    q.putNowait("kept");
    for (const bad of [
      () => 1,
      Symbol("s"),
      { nested: { f() {} } },
      [Symbol("t")],
      [new SharedArrayBuffer(8), () => 1],
    ]) {
      assert.throws(() => q.putNowait(bad), TypeError);
      await assert.rejects(q.put(bad), TypeError);
      assert.throws(() => q.putSync(bad), TypeError);
    }
    const fromWorker = await withinBooted(run("putUncloneable", q));
    assert.deepEqual(fromWorker, { names: Array(5).fill("TypeError"), qsize: 1 });
    assert.equal(q.qsize(), 1);
    assert.equal(q.getNowait(), "kept");
    q.taskDone();
    assert.equal(q.joinSync({ timeout: 0 }), true, "no refused item was counted");
  });

  it("a refused value is not handed to a waiting getter", async () => {
    const q = new Queue<unknown>();
    const getter = run("getN", q, 1, "async");
    while (q._gets.size === 0) await new Promise((r) => setTimeout(r, 2));
    assert.throws(() => q.putNowait(() => 0), TypeError);
    q.putNowait("real");
    assert.deepEqual(await withinBooted(getter), ["real"]);
  });

  it("carries what structured clone carries, across two threads, as structured clone would", async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const shared = { s: 1 };
    const sparse: unknown[] = [1, 2, 3];
    delete sparse[1]; // a hole
    const values: unknown[] = [
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      -123456789,
      1.5,
      12n,
      true,
      null,
      undefined,
      "",
      "Latin-1 é",
      "日本語 and a lone surrogate \ud800",
      "x".repeat(10_000),
      "€".repeat(5_000),
      [1, "two", [3, [4]], { five: 5 }],
      { id: 7, payload: "p".repeat(32), nested: { deep: [null, undefined, false] } },
      Object.assign(Object.create(null), { bare: 1 }),
      sparse,
      Object.assign([1, 2], { extra: "prop" }),
      new Date(1234),
      /re+/gi,
      new Map<unknown, unknown>([[1, { a: 1 }]]),
      new Set(["a", 2]),
      new Uint8Array([1, 2, 3]),
      new Float64Array([0.5]),
      new ArrayBuffer(4),
      new Point(1, 2),
      cyclic,
      { a: shared, b: shared },
      new RangeError("boom"),
    ];
    const to = new Queue<unknown>();
    const from = new Queue<unknown>();
    for (const v of values) to.putNowait(v);
    assert.equal(await withinBooted(run("echo", to, from, values.length)), values.length);
    const back: unknown[] = [];
    while (!from.empty()) back.push(from.getNowait());
    assert.equal(back.length, values.length);
    for (let i = 0; i < values.length; i++) {
      assert.deepStrictEqual(back[i], structuredClone(values[i]), `value ${i}`);
    }
    const loop = back[values.indexOf(cyclic)] as Record<string, unknown>;
    assert.equal(loop.self, loop, "cycles are kept");
    const twice = back[values.indexOf(values.at(-2))] as { a: unknown; b: unknown };
    assert.equal(twice.a, twice.b, "shared references stay shared");
  });
});

describe("threads Queue: storage", () => {
  it("an unbounded queue grows far past its first storage; the other thread sees the growth", async () => {
    const q = new Queue<number>();
    const n = 300_000;
    const items = Array.from({ length: n }, (_, i) => i * 1.5);
    assert.equal(await withinBooted(run("putAll", q, items, "sync"), 60_000), n);
    assert.equal(q.qsize(), n);
    for (let i = 0; i < n; i++) if (q.getNowait() !== i * 1.5) assert.fail(`item ${i}`);
    const strings = new Queue<string>();
    assert.equal(await withinBooted(run("putStrings", strings, 20_000, 300), 60_000), 20_000);
    for (let i = 0; i < 20_000; i++) assert.equal(strings.getNowait(), `${i}:${"é".repeat(i % 300)}`);
    // Now grown by this thread while the worker holds views of the old size.
    const back = new Queue<string>();
    for (let i = 0; i < 50_000; i++) back.putNowait(`item ${i}`);
    const got = (await withinBooted(run("getN", back, 50_000, "sync"), 60_000)) as string[];
    assert.equal(got[49_999], "item 49999");
    assert.equal(got.length, 50_000);
  });

  it("a producer and a consumer on two threads (each on its own side's mutex) keep every item whole and in order while the storage wraps, compacts and grows", async () => {
    // Bounded: the bytes wrap around ARENA and compact again and again under a consumer copying others out.
    // Unbounded: the ring and ARENA grow while the consumer reads. Every third item is inline (a number).
    for (const [q, count, max] of [
      [new Queue<number | string>(50), 20_000, 300],
      [new Queue<number | string>(), 30_000, 40],
    ] as const) {
      const [put, wrong] = await withinBooted(
        Promise.all([run("putMixed", q, count, max), run("checkMixed", q, count, max)]),
        60_000,
      );
      assert.equal(put, count);
      assert.equal(wrong, null);
      assert.equal(q.qsize(), 0);
      q.putNowait("after");
      assert.equal(q.getNowait(), "after");
    }
  });

  it("keeps order while its storage wraps, compacts and grows under interleaved puts and gets", () => {
    for (const q of [new Queue<string>(), new LifoQueue<string>(), new PriorityQueue<[number, string]>()]) {
      const model: string[] = [];
      let n = 0;
      for (let round = 0; round < 3_000; round++) {
        for (let k = 0; k < 3; k++) {
          const s = `${n++}${"y".repeat(round % 97)}`;
          if (q instanceof PriorityQueue) q.putNowait([n % 5, s]);
          else (q as Queue<string>).putNowait(s);
          model.push(s);
        }
        const got = q.getNowait();
        const s = Array.isArray(got) ? got[1] : got;
        assert.ok(model.includes(s));
        model.splice(model.indexOf(s), 1);
      }
      assert.equal(q.qsize(), model.length);
    }
  });

  it("serves more waiters than a FIFO has cells, in order of arrival for the first 64", async () => {
    const q = new SimpleQueue<number>();
    const getters = Array.from({ length: 150 }, () => q.get());
    for (let i = 0; i < 200; i++) q.putNowait(i);
    const got = await withinBooted(Promise.all(getters));
    assert.deepEqual(
      got.slice(0, 64),
      Array.from({ length: 64 }, (_, i) => i),
    );
    assert.deepEqual(
      [...got].sort(numeric),
      Array.from({ length: 150 }, (_, i) => i),
    );
    assert.equal(q.qsize(), 50);
  });

  it("the counts of items put and taken wrap at 2^32: a handle made late and one idle meanwhile still see the queue as it is", () => {
    const q = new Queue<number>(4);
    const idle = fromHandle(toHandle(q)); // another Queue object over the same buffers, with its own caches
    idle.putNowait(-1);
    assert.equal(idle.getNowait(), -1);
    const m = q._store.meta;
    for (const start of [2 ** 31 - 8, -8]) {
      // As if that many items had passed through, then cross it.
      Atomics.store(m, Q_PUTS, start);
      Atomics.store(m, Q_TAKES, start);
      for (let i = 0; i < 16; i++) {
        q.putNowait(i);
        assert.equal(q.getNowait(), i);
      }
      const late = fromHandle(toHandle(q));
      for (const h of [late, idle]) assert.throws(() => h.getNowait(), QueueEmpty, "empty, for every handle");
      for (let i = 0; i < 4; i++) q.putNowait(i);
      for (const h of [late, idle]) assert.throws(() => h.putNowait(9), QueueFull, "full, for every handle");
      assert.deepEqual(
        [idle.getNowait(), late.getNowait(), idle.getNowait(), late.getNowait()],
        [0, 1, 2, 3],
      );
      assert.equal(q.qsize(), 0);
    }
    assert.equal(m[Q_PUTS + 1], 1, "the count of items put wrapped once");
    assert.equal(m[Q_TAKES + 1], 1, "and so did the count of items taken");
  });

  it("an item whose getter puts on or gets from a queue while it is put is a TypeError: nothing put, the getter run once", () => {
    const other = new Queue<string>();
    other.putNowait("kept");
    const q = new Queue<unknown>();
    let calls = 0;
    const item = {
      a: "first",
      get b() {
        calls++;
        other.putNowait("z".repeat(50)); // writes this thread's encoding buffer
        return other.getNowait(); // and reads into it
      },
      c: [1, 2, 3],
    };
    assert.throws(() => q.putNowait(item), { name: "TypeError", message: /getters use a queue/ });
    assert.equal(q.qsize(), 0, "nothing of the put happened");
    assert.equal(calls, 1, "its getter ran once");
    assert.deepEqual(
      [other.qsize(), other.getNowait()],
      [1, "z".repeat(50)],
      "its own put and get happened once",
    );
    q.putNowait({ a: "first", b: "second" }); // the encoder is sound afterwards
    assert.deepEqual(q.getNowait(), { a: "first", b: "second" });
  });

  it("a PriorityQueue refuses a compare function (it cannot cross threads) instead of ignoring it", () => {
    const compare = (a: number, b: number) => b - a;
    assert.throws(() => new PriorityQueue<number>(0, { compare } as never), {
      name: "TypeError",
      message: /compare function cannot be shared between threads/,
    });
    assert.throws(() => new PriorityQueue<number>(0, null as never), TypeError);
    const q = new PriorityQueue<number>(0, {});
    for (const n of [3, 1, 2]) q.putNowait(n);
    assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait()], [1, 2, 3]);
  });

  it("a LifoQueue and a PriorityQueue keep their order and bound while their counts wrap at 2^32", () => {
    for (const q of [new LifoQueue<number>(4), new PriorityQueue<number>(4)]) {
      const m = q._store.meta;
      for (const start of [2 ** 31 - 2, -2]) {
        // As if that many items had passed through (their counts sit beside the one mutex word), then cross.
        Atomics.store(m, Q_PUTS_BESIDE, start);
        Atomics.store(m, Q_TAKES_BESIDE, start);
        for (let round = 0; round < 3; round++) {
          for (const x of [3, 1, 2]) q.putNowait(x);
          assert.equal(q.qsize(), 3);
          q.putNowait(0);
          assert.throws(() => q.putNowait(9), QueueFull, "full at its bound");
          const got = [q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()];
          assert.deepEqual(got, q instanceof LifoQueue ? [0, 2, 1, 3] : [0, 1, 2, 3]);
          assert.throws(() => q.getNowait(), QueueEmpty, "empty");
        }
      }
      assert.equal(m[Q_PUTS_BESIDE + 1], 1, "the count of items put wrapped once");
      assert.equal(m[Q_TAKES_BESIDE + 1], 1, "and so did the count of items taken");
    }
  });

  it("a handle idle while 2^32 items pass trusts nothing it saw before: no phantom item, no overfill", () => {
    const q = new Queue<number>(4);
    const idle = fromHandle(toHandle(q));
    for (let i = 0; i < 4; i++) idle.putNowait(i);
    assert.equal(idle.getNowait(), 0); // idle has seen 4 items put
    idle.putNowait(4); // and, as the queue was full, 1 taken
    for (let i = 1; i <= 4; i++) assert.equal(q.getNowait(), i);
    // As if 2^32 - 8 items had passed through since: compared by their low 32 bits alone, what idle saw
    // would say "3 items queued" once the queue is empty, and "room" once it is full again.
    const m = q._store.meta;
    for (const at of [Q_PUTS, Q_TAKES]) {
      const full = (m[at + 1] as number) * 2 ** 32 + ((m[at] as number) >>> 0) + 2 ** 32 - 8;
      m[at + 1] = Math.floor(full / 2 ** 32);
      Atomics.store(m, at, full | 0);
    }
    // Those items would have left, in every entry of the ring, the mark of the last put into it.
    const ring = new Int32Array(q._store.buffers.entries);
    const cap = m[Q_ENTRY_CAP] as number;
    for (let c = (m[Q_PUTS] as number) - cap; c !== m[Q_PUTS]; c = (c + 1) | 0) {
      ring[(c & (cap - 1)) * ENTRY + ENTRY_SEQ] = (c + 1) | 0;
    }
    for (let i = 0; i < 4; i++) q.putNowait(i);
    assert.throws(() => idle.putNowait(9), QueueFull, "full");
    for (let i = 0; i < 4; i++) assert.equal(q.getNowait(), i);
    assert.throws(() => idle.getNowait(), QueueEmpty, "empty");
    assert.equal(q.qsize(), 0);
  });

  it("an item counted but not marked arrived (its producer died between the two stores) is still got, in order", () => {
    const q = new Queue<number>(4);
    const ring = new Int32Array(q._store.buffers.entries);
    const unmark = () => {
      const last = ((q._store.meta[Q_PUTS] as number) - 1) | 0;
      ring[(last & ((q._store.meta[Q_ENTRY_CAP] as number) - 1)) * ENTRY + ENTRY_SEQ] = last;
    };
    q.putNowait(1);
    unmark();
    q.putNowait(2);
    assert.equal(q.qsize(), 2);
    assert.equal(q.getNowait(), 1, "a try takes it with both mutexes");
    assert.equal(q.getNowait(), 2);
    q.putNowait(3);
    unmark();
    assert.equal(q.getSync({ timeout: 5000 }), 3, "and so does a blocking get, after its spin");
    q.putNowait(4);
    unmark();
    q.shutdown();
    assert.equal(q.getNowait(), 4, "and a get after shutdown");
    assert.throws(() => q.getNowait(), QueueShutDown);
  });

  it("a handle made live twice on one thread is the same queue", () => {
    const q = new PriorityQueue<number>(3);
    const again = fromHandle(toHandle(q));
    assert.ok(again instanceof PriorityQueue);
    assert.equal(again.maxsize, 3);
    q.putNowait(2);
    again.putNowait(1);
    assert.equal(q.getNowait(), 1);
    assert.equal(again.getNowait(), 2);
    const s = fromHandle(toHandle(new SimpleQueue<number>()));
    assert.ok(s instanceof SimpleQueue);
  });
});

describe("threads Queue: many producers, many consumers (python-semantics.md §4.20)", () => {
  it("4 producer and 4 consumer workers, blocking and async, through Queue(16): nothing lost or doubled", async () => {
    const q = new Queue<number>(16);
    const per = 5_000;
    const ids = [1, 2, 3, 4];
    const consumers = [
      run("consume", q, "sync"),
      run("consume", q, "async"),
      run("consume", q, "sync"),
      run("consume", q, "async"),
    ];
    const producers = ids.map((id) => run("produce", q, id, per, id % 2 === 0 ? "sync" : "async"));
    assert.deepEqual(await withinBooted(Promise.all(producers), 120_000), [per, per, per, per]);
    assert.equal(await withinBooted(q.join(), 120_000), true);
    q.shutdown();
    const lists = (await withinBooted(Promise.all(consumers), 120_000)) as number[][];
    const got = lists.flat().sort(numeric);
    assert.equal(got.length, 4 * per, "every item got once");
    assert.deepEqual(got, produced(ids, [per, per, per, per]).sort(numeric));
    for (const list of lists) {
      const last = new Map<number, number>();
      for (const item of list) {
        const id = Math.floor(item / 1_000_000);
        assert.ok((last.get(id) ?? -1) < item, "each producer's items come in the order put");
        last.set(id, item);
      }
    }
    assert.equal(q.qsize(), 0);
  });

  it("a shutdown while 4 producers block ends every worker; every item put is got exactly once", async () => {
    const q = new Queue<number>(8);
    const ids = [1, 2, 3, 4];
    const producers = ids.map((id) => run("produce", q, id, 1_000_000, id % 2 === 0 ? "sync" : "async"));
    const consumers = [run("consume", q, "sync"), run("consume", q, "async")];
    // Let the workers run until a few thousand items have passed, then stop everyone.
    const first: number[] = [];
    while (first.length < 3_000) {
      first.push(await withinBooted(q.get(), 60_000));
      q.taskDone();
    }
    q.shutdown();
    const counts = await withinBooted(Promise.all(producers), 60_000);
    const lists = (await withinBooted(Promise.all(consumers), 60_000)) as number[][];
    const got = [...first, ...lists.flat()].sort(numeric);
    assert.ok(
      counts.every((n) => n < 1_000_000),
      "every producer was stopped",
    );
    assert.deepEqual(got, produced(ids, counts).sort(numeric), "exactly the items put, once each");
    assert.equal(q.qsize(), 0);
    assert.equal(q.empty(), true);
  });
});

describe("threads Queue: shared memory", () => {
  it("a SharedArrayBuffer and a view of one cross as the same memory, both ways, as postMessage carries them", async () => {
    const q = new Queue<unknown>();
    const replies = new Queue<unknown>();
    const buffer = new SharedArrayBuffer(16);
    const view = new Int32Array(buffer, 8, 2);
    view[0] = 5;
    q.putNowait({ buffer, view });
    const worker = run("shareBack", q, replies);
    const back = (await withinBooted(replies.get({ timeout: 240_000 }), 40_000)) as [
      SharedArrayBuffer,
      Int32Array,
    ];
    assert.equal(Atomics.load(view, 0), 42, "the worker's write through the view is seen here");
    assert.equal(Atomics.load(new Int32Array(buffer), 0), 43, "and through the buffer");
    assert.ok(back[0] instanceof SharedArrayBuffer);
    assert.equal(back[1].buffer, back[0], "a view and its buffer stay one memory");
    assert.equal(Atomics.load(back[1], 0), 7);
    Atomics.store(new Int32Array(back[0]), 0, 99);
    Atomics.notify(new Int32Array(back[0]), 0);
    assert.deepEqual(await withinBooted(worker, 40_000), {
      buffer: true,
      same: true,
      offset: 8,
      before: 5,
      written: 99,
    });
  });

  it("on one thread too: a get gives a fresh object over the same memory; an item dropped unread lets go of it", () => {
    const q = new Queue<unknown>();
    const buffer = new SharedArrayBuffer(8);
    const item = { buffer, list: [new Uint8Array(buffer, 2, 3)] };
    q.putNowait(item);
    const got = q.getNowait() as typeof item;
    assert.notEqual(got, item);
    assert.ok(got.buffer instanceof SharedArrayBuffer && got.list[0]!.buffer === got.buffer);
    got.list[0]![0] = 9;
    assert.equal(new Uint8Array(buffer)[2], 9, "over the same memory");
    // At most 4096 such items are in flight at once: three rounds of 3,000 dropped unread (shutdown
    // immediate) pass only if a drop gives the tickets back.
    for (let round = 0; round < 3; round++) {
      const flood = new Queue<unknown>();
      for (let i = 0; i < 3_000; i++) flood.putNowait(buffer);
      flood.shutdown(true);
    }
    const again = new Queue<unknown>();
    again.putNowait(buffer);
    new Int32Array(again.getNowait() as SharedArrayBuffer)[1] = 3;
    assert.equal(new Int32Array(buffer)[1], 3);
  });
});

describe("threads Queue: storage given back after a drain", () => {
  it("a drained large queue replaces its storage; a worker that held it before and one that gets it after keep moving items", async () => {
    const q = new Queue<string>();
    const go = new Event();
    const early = run("getNAfter", q, go, 3); // holds the queue (and its first storage) from before
    const big = "y".repeat(3_000);
    for (let i = 0; i < 2_000; i++) q.putNowait(`${i}:${big}`);
    const meta = q._store.meta;
    assert.ok((meta[Q_ARENA_CAP] as number) > 2 ** 20, "the flood grew the storage");
    for (let i = 0; i < 2_000; i++) assert.equal(q.getNowait(), `${i}:${big}`);
    assert.equal(meta[Q_ARENA_GEN], 1, "replaced once drained");
    assert.ok((meta[Q_ARENA_CAP] as number) <= 4096, "by a small one");
    assert.equal(toHandle(q).queue?.arenaGen, 1, "a handle made now carries the new one, and says so");
    const items = ["a", `b:${big}`, "c"];
    for (const item of items) q.putNowait(item);
    go.set();
    assert.deepEqual(await withinBooted(early, 60_000), items, "the early worker reads the new storage");
    const late = ["d", `e:${big}`];
    assert.equal(await withinBooted(run("putAll", q, late, "sync"), 60_000), 2);
    assert.deepEqual([q.getNowait(), q.getNowait()], late, "and one that got the queue after");
    assert.equal(q.qsize(), 0);
  });
});
