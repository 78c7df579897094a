import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueueEmpty, QueueFull, QueueShutDown, ValueError } from "../../src/api/errors.ts";
import { abortedSignal, isPending, rejectsWith, throwsWith } from "../helpers.ts";
import { queueGetOne, queueIterate, queuePutOne } from "./bodies/queue.ts";
import { drainNow } from "./queue.contract.ts";
import { deadlines, type Tier } from "./tier.ts";

type Entry = [number, { job: string }];

/** queue.LifoQueue, queue.PriorityQueue (made stable) and queue.SimpleQueue. */
export function queueKindsContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  describe(`LifoQueue [${tier.name}]`, () => {
    it("gives back the most recently put item first ([111, 333, 222] -> 222, 333, 111)", async () => {
      const q = tier.LifoQueue<number>();
      for (const n of [111, 333, 222]) await q.put(n);
      assert.deepEqual(await drainNow(q), [222, 333, 111]);
    });

    it("is bounded by maxsize: putNowait on a full one throws QueueFull; a freed slot goes to the waiting putter", async () => {
      const q = tier.LifoQueue<number>(2);
      assert.equal(q.maxsize, 2);
      await q.put(1);
      await q.put(2);
      assert.equal(await q.full(), true);
      await throwsWith(() => q.putNowait(9), QueueFull);
      const putter = agents.spawn(queuePutOne<number>, q, 3);
      assert.equal(await isPending(putter, agents.settle), true);
      assert.equal(await q.get(), 2, "the top of the stack");
      await within(putter);
      assert.deepEqual(await drainNow(q), [3, 1]);
    });

    it("hands an item put while getters wait to the longest-waiting getter", async () => {
      const q = tier.LifoQueue<string>();
      const first = agents.spawn(queueGetOne<string>, q);
      await agents.settle();
      const second = agents.spawn(queueGetOne<string>, q);
      await agents.settle();
      await q.put("a");
      await q.put("b");
      assert.deepEqual(await within(Promise.all([first, second])), ["a", "b"]);
    });

    it("shares Queue's taskDone, join and shutdown", async () => {
      const q = tier.LifoQueue<number>();
      for (const n of [1, 2, 3]) await q.put(n);
      await q.shutdown();
      await rejectsWith(q.put(4), QueueShutDown);
      const seen: number[] = [];
      for await (const n of q) seen.push(n);
      assert.deepEqual(seen, [3, 2, 1]);
      assert.equal(await within(q.join()), true);
      await throwsWith(() => q.taskDone(), ValueError);
    });
  });

  describe(`PriorityQueue [${tier.name}]`, () => {
    it("gives back the lowest item first ([111, 333, 222] -> 111, 222, 333)", async () => {
      const q = tier.PriorityQueue<number>();
      for (const n of [111, 333, 222]) await q.put(n);
      assert.deepEqual(await drainNow(q), [111, 222, 333]);
    });

    it("orders strings", async () => {
      const q = tier.PriorityQueue<string>();
      for (const s of ["pear", "apple", "fig", "banana"]) await q.put(s);
      assert.deepEqual(await drainNow(q), ["apple", "banana", "fig", "pear"]);
    });

    it("orders [priority, job] entries by priority, and is stable: equal priorities come out in put order", async () => {
      const q = tier.PriorityQueue<Entry>();
      const entries: Entry[] = [
        [2, { job: "c1" }],
        [1, { job: "b1" }],
        [2, { job: "c2" }],
        [0, { job: "a1" }],
        [1, { job: "b2" }],
        [2, { job: "c3" }],
        [1, { job: "b3" }],
        [0, { job: "a2" }],
      ];
      for (const entry of entries) await q.put(entry);
      const jobs = (await drainNow(q)).map(([, { job }]) => job);
      assert.deepEqual(jobs, ["a1", "a2", "b1", "b2", "b3", "c1", "c2", "c3"]);
    });

    it("is stable across interleaved puts and gets", async () => {
      const q = tier.PriorityQueue<Entry>();
      const out: string[] = [];
      let n = 0;
      for (let round = 0; round < 20; round++) {
        for (let k = 0; k < 3; k++) await q.put([(round + k) % 3, { job: `j${n++}` }]);
        out.push((await q.get())[1].job);
      }
      out.push(...(await drainNow(q)).map(([, { job }]) => job));
      assert.equal(new Set(out).size, 60);
      // Within each priority, the jobs come out in put order.
      const order = new Map<number, number[]>();
      for (const job of out) {
        const i = Number(job.slice(1));
        const round = Math.floor(i / 3);
        const priority = (round + (i % 3)) % 3;
        order.set(priority, [...(order.get(priority) ?? []), i]);
      }
      for (const seq of order.values()) {
        assert.deepEqual(
          seq,
          [...seq].sort((a, b) => a - b),
        );
      }
    });

    it("is bounded by maxsize; a freed slot takes the waiting putter's item into the order", async () => {
      const q = tier.PriorityQueue<number>(2);
      await q.put(5);
      await q.put(1);
      await throwsWith(() => q.putNowait(0), QueueFull);
      const putter = agents.spawn(queuePutOne<number>, q, 0);
      assert.equal(await isPending(putter, agents.settle), true);
      assert.equal(await q.get(), 1);
      await within(putter);
      assert.deepEqual(await drainNow(q), [0, 5]);
    });

    it("hands an item put while getters wait to the longest-waiting getter", async () => {
      const q = tier.PriorityQueue<number>();
      const first = agents.spawn(queueGetOne<number>, q);
      await agents.settle();
      const second = agents.spawn(queueGetOne<number>, q);
      await agents.settle();
      await q.put(9);
      await q.put(1);
      assert.deepEqual(await within(Promise.all([first, second])), [9, 1]);
    });

    it("an item that cannot be ordered with those queued is a TypeError, and the queue is unchanged", async () => {
      const q = tier.PriorityQueue<unknown>();
      await q.put(2);
      await q.put(1);
      await rejectsWith(q.put("x"), TypeError);
      await throwsWith(() => q.putNowait("y"), TypeError);
      assert.equal(await q.qsize(), 2);
      assert.deepEqual(await drainNow(q), [1, 2]);
      await q.taskDone();
      await q.taskDone();
      assert.equal(await q.join({ timeout: 0 }), true, "the refused items were not counted");
    });

    it("shares Queue's taskDone, join, shutdown and iteration", async () => {
      const q = tier.PriorityQueue<number>(3);
      const loop = agents.spawn(queueIterate<number>, q);
      for (const n of [3, 1, 2]) await q.put(n);
      assert.equal(await within(q.join()), true);
      await q.shutdown();
      assert.equal((await within(loop)).length, 3);
      await rejectsWith(q.put(4), QueueShutDown);
      await rejectsWith(q.get(), QueueShutDown);
    });
  });

  describe(`SimpleQueue [${tier.name}]`, () => {
    it("gives items back first in, first out, through put/get and putNowait/getNowait", async () => {
      const q = tier.SimpleQueue<number>();
      await q.put(111);
      await q.putNowait(333);
      await q.put(222);
      assert.equal(await q.qsize(), 3);
      assert.equal(await q.empty(), false);
      assert.equal(await q.get(), 111);
      assert.equal(await q.getNowait(), 333);
      assert.equal(await q.get({ timeout: 0 }), 222);
      assert.equal(await q.qsize(), 0);
      assert.equal(await q.empty(), true);
    });

    it("is unbounded: put never waits", async () => {
      const q = tier.SimpleQueue<number>();
      for (let i = 0; i < 10_000; i++) await q.putNowait(i);
      await within(q.put(10_000, { timeout: 0 }));
      assert.equal(await q.qsize(), 10_001);
    });

    it("getNowait on an empty queue throws QueueEmpty; a timed get rejects with QueueEmpty", async () => {
      const q = tier.SimpleQueue<number>();
      await throwsWith(() => q.getNowait(), QueueEmpty, { code: "ERR_QUEUE_EMPTY" });
      await rejectsWith(q.get({ blocking: false }), QueueEmpty);
      await rejectsWith(q.get({ timeout: 20 }), QueueEmpty, { code: "ERR_QUEUE_EMPTY" });
      assert.equal(await q.qsize(), 0);
    });

    it("get waits for an item; waiting getters are served first come, first served", async () => {
      const q = tier.SimpleQueue<string>();
      const getters: Promise<string>[] = [];
      for (let i = 0; i < 3; i++) {
        getters.push(agents.spawn(queueGetOne<string>, q));
        await agents.settle();
      }
      assert.equal(await isPending(Promise.race(getters), agents.settle), true);
      for (const item of ["a", "b", "c"]) await q.put(item);
      assert.deepEqual(await within(Promise.all(getters)), ["a", "b", "c"]);
      assert.equal(await q.empty(), true);
    });

    it("an aborted getter gets no item; an already-aborted signal rejects at once and takes nothing", async () => {
      const q = tier.SimpleQueue<string>();
      const controller = new AbortController();
      const aborted = q.get({ signal: controller.signal });
      const next = q.get();
      controller.abort(new Error("stop"));
      await rejectsWith(aborted, Error, { message: "stop" });
      await q.put("x");
      assert.equal(await within(next), "x");
      await q.put("y");
      await rejectsWith(q.get({ signal: abortedSignal() }), Error);
      await rejectsWith(q.put("z", { signal: abortedSignal() }), Error);
      assert.deepEqual(await drainNow(q), ["y"]);
    });

    it("rejects bad options with TypeError/RangeError and changes nothing", async () => {
      const q = tier.SimpleQueue<number>();
      await q.put(1);
      for (const [opts, Class] of [
        [{ timeout: -1 }, RangeError],
        [{ timeout: "5" }, TypeError],
        [{ blocking: false, timeout: 5 }, TypeError],
      ] as const) {
        await rejectsWith(q.get(opts as never), Class);
        await rejectsWith(q.put(2, opts as never), Class);
      }
      assert.deepEqual(await drainNow(q), [1]);
    });

    it("carries many items between agents without loss", async () => {
      const q = tier.SimpleQueue<number>();
      // 100 tasks, but not 100 worker threads or processes (each costs a runtime's start-up).
      const getters = Array.from({ length: agents.kind === "tasks" ? 100 : 12 }, () =>
        agents.spawn(queueGetOne<number>, q),
      );
      for (let i = 0; i < 200; i++) await q.put(i);
      const got = await within(Promise.all(getters), 60_000);
      assert.deepEqual(
        [...got, ...(await drainNow(q))].sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i),
      );
    });
  });
}
