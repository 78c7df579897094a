import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueueEmpty, QueueFull, QueueShutDown, ThreadingError, ValueError } from "../../src/api/errors.ts";
import type * as api from "../../src/api/primitives.ts";
import { abortedSignal, isPending, rejectsWith, sleep, throwsWith } from "../helpers.ts";
import { queueConsumeAll, queueGetOne, queueIterate, queueProduce, queuePutOne } from "./bodies/queue.ts";
import { deadlines, type Tier } from "./tier.ts";

/** Gets every item present now, without waiting. */
export async function drainNow<T>(queue: api.SimpleQueue<T>): Promise<T[]> {
  const items: T[] = [];
  while (!(await queue.empty())) items.push(await queue.getNowait());
  return items;
}

/** Whether `join()` resolves at once: every item put has been marked done. */
async function joinsAtOnce(queue: api.Queue<unknown>): Promise<boolean> {
  return await queue.join({ timeout: 0 });
}

/** Settles with how `promise` settled; handles the rejection at once, so a later check cannot leave it unhandled. */
function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

const SHUT_DOWN = { code: "ERR_QUEUE_SHUT_DOWN" };
const EMPTY = { code: "ERR_QUEUE_EMPTY" };
const FULL = { code: "ERR_QUEUE_FULL" };

/** queue.Queue (3.13, with shutdown), plus the contract's FIFO hand-off, options bag, abort and iteration. */
export function queueContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  describe(`Queue [${tier.name}]`, () => {
    describe("basics", () => {
      it("gives items back first in, first out", async () => {
        const q = tier.Queue<number>();
        for (const n of [111, 333, 222]) await q.put(n);
        assert.deepEqual([await q.get(), await q.get(), await q.get()], [111, 333, 222]);
        await q.putNowait(1);
        await q.putNowait(2);
        assert.deepEqual([await q.getNowait(), await q.getNowait()], [1, 2]);
      });

      it("keeps items of any structured-cloneable kind as they were put", async () => {
        const q = tier.Queue<unknown>();
        const items = [0, "", null, false, { a: [1, 2] }, [3, "x"], 2.5];
        for (const item of items) await q.put(item);
        assert.deepEqual(await drainNow(q), items);
      });

      it("qsize, empty and full follow the items present", async () => {
        const q = tier.Queue<number>(2);
        assert.equal(q.maxsize, 2);
        assert.equal(await q.qsize(), 0);
        assert.equal(await q.empty(), true);
        assert.equal(await q.full(), false);
        await q.put(1);
        assert.equal(await q.qsize(), 1);
        assert.equal(await q.empty(), false);
        assert.equal(await q.full(), false);
        await q.put(2);
        assert.equal(await q.qsize(), 2);
        assert.equal(await q.full(), true);
        await q.get();
        assert.equal(await q.qsize(), 1);
        assert.equal(await q.full(), false);
      });

      it("maxsize 0 (the default) and negative maxsize are unbounded: never full, put never waits", async () => {
        for (const q of [tier.Queue<number>(), tier.Queue<number>(0), tier.Queue<number>(-5)]) {
          for (let i = 0; i < 1000; i++) await q.putNowait(i);
          await within(q.put(1000, { timeout: 0 }));
          assert.equal(await q.full(), false);
          assert.equal(await q.qsize(), 1001);
        }
        assert.equal(tier.Queue().maxsize, 0);
        assert.equal(tier.Queue(-5).maxsize, -5);
      });

      it("getNowait on an empty queue throws QueueEmpty and changes nothing", async () => {
        const q = tier.Queue<number>();
        await throwsWith(() => q.getNowait(), QueueEmpty, EMPTY);
        await q.put(7);
        assert.equal(await q.getNowait(), 7);
        await throwsWith(() => q.getNowait(), QueueEmpty, EMPTY);
        assert.equal(await q.qsize(), 0);
      });

      it("get with timeout 0 or blocking:false on an empty queue rejects with QueueEmpty at once", async () => {
        const q = tier.Queue<number>();
        await rejectsWith(q.get({ timeout: 0 }), QueueEmpty, EMPTY);
        await rejectsWith(q.get({ blocking: false }), QueueEmpty, EMPTY);
        await rejectsWith(q.get({ blocking: false, timeout: Number.POSITIVE_INFINITY }), QueueEmpty, EMPTY);
        await q.put(1);
        assert.equal(await q.get({ blocking: false }), 1);
        await q.put(2);
        assert.equal(await q.get({ timeout: 0 }), 2);
      });
    });

    describe("maxsize backpressure", () => {
      it("putNowait on a full queue throws QueueFull and does not put the item", async () => {
        const q = tier.Queue<number>(2);
        await q.putNowait(1);
        await q.putNowait(2);
        await throwsWith(() => q.putNowait(3), QueueFull, FULL);
        assert.equal(await q.qsize(), 2);
        assert.deepEqual(await drainNow(q), [1, 2]);
      });

      it("put with timeout 0 or blocking:false on a full queue rejects with QueueFull at once", async () => {
        const q = tier.Queue<number>(1);
        await q.put(1);
        await rejectsWith(q.put(2, { timeout: 0 }), QueueFull, FULL);
        await rejectsWith(q.put(3, { blocking: false }), QueueFull, FULL);
        assert.deepEqual(await drainNow(q), [1]);
        await q.put(4, { blocking: false });
        assert.deepEqual(await drainNow(q), [4]);
      });

      it("put waits while the queue is full and resolves when a get frees a slot", async () => {
        const q = tier.Queue<string>(1);
        await q.put("first");
        const putter = agents.spawn(queuePutOne<string>, q, "second");
        assert.equal(await isPending(putter, agents.settle), true, "the putter waits while full");
        assert.equal(await q.qsize(), 1);
        assert.equal(await q.get(), "first");
        await within(putter);
        assert.equal(await q.qsize(), 1);
        assert.equal(await q.full(), true);
        assert.equal(await q.get(), "second");
      });

      it("get waits while the queue is empty and resolves with the next item put", async () => {
        const q = tier.Queue<string>();
        const getter = agents.spawn(queueGetOne<string>, q);
        assert.equal(await isPending(getter, agents.settle), true, "the getter waits while empty");
        await q.put("x");
        assert.equal(await within(getter), "x");
        assert.equal(await q.qsize(), 0);
      });

      it("get with a timeout rejects with QueueEmpty once the time has passed", async () => {
        const q = tier.Queue<number>();
        const started = Date.now();
        await rejectsWith(q.get({ timeout: 30 }), QueueEmpty, EMPTY);
        assert.ok(Date.now() - started >= 25, "waited about the timeout");
        assert.equal(await q.qsize(), 0);
      });

      it("put with a timeout on a full queue rejects with QueueFull and does not put the item", async () => {
        const q = tier.Queue<number>(1);
        await q.put(1);
        const started = Date.now();
        await rejectsWith(q.put(2, { timeout: 30 }), QueueFull, FULL);
        assert.ok(Date.now() - started >= 25, "waited about the timeout");
        assert.deepEqual(await drainNow(q), [1]);
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true, "the timed-out item was never counted");
      });

      it("a timed get that is served in time resolves with the item", async () => {
        const q = tier.Queue<number>();
        const getter = q.get({ timeout: 60_000 });
        await agents.settle();
        await q.put(5);
        assert.equal(await within(getter), 5);
      });

      it("keeps a timeout longer than 2^31 ms instead of firing at once", async () => {
        const q = tier.Queue<number>(1);
        await q.put(0);
        const controller = new AbortController();
        const getter = tier.Queue<number>().get({ timeout: 2 ** 31 + 1000, signal: controller.signal });
        const putter = q.put(1, { timeout: 2 ** 31 + 1000, signal: controller.signal });
        assert.equal(await isPending(getter, agents.settle), true);
        assert.equal(await isPending(putter, agents.settle), true);
        controller.abort(new Error("done"));
        await rejectsWith(getter, Error, { message: "done" });
        await rejectsWith(putter, Error, { message: "done" });
      });
    });

    describe("direct hand-off, first come first served", () => {
      it("an item put while getters wait goes to the longest-waiting getter", async () => {
        const q = tier.Queue<string>();
        const getters: Promise<string>[] = [];
        for (let i = 0; i < 4; i++) {
          getters.push(agents.spawn(queueGetOne<string>, q));
          await agents.settle(); // each is waiting before the next arrives
        }
        for (const item of ["a", "b", "c", "d"]) await q.put(item);
        assert.deepEqual(await within(Promise.all(getters)), ["a", "b", "c", "d"]);
        assert.equal(await q.qsize(), 0);
      });

      it("a slot freed while putters wait goes to the longest-waiting putter", async () => {
        const q = tier.Queue<string>(1);
        await q.put("0");
        const putters: Promise<void>[] = [];
        for (const item of ["a", "b", "c", "d"]) {
          putters.push(agents.spawn(queuePutOne<string>, q, item));
          await agents.settle();
        }
        const got: string[] = [];
        for (let i = 0; i < 5; i++) got.push(await within(q.get()));
        await within(Promise.all(putters));
        assert.deepEqual(got, ["0", "a", "b", "c", "d"]);
        assert.equal(await q.qsize(), 0);
      });

      it("lets no newcomer take an item handed to a waiting getter", async () => {
        const q = tier.Queue<string>();
        const getter = q.get();
        await agents.settle();
        await q.put("handed");
        await throwsWith(() => q.getNowait(), QueueEmpty);
        await rejectsWith(q.get({ timeout: 0 }), QueueEmpty);
        assert.equal(await within(getter), "handed");
      });

      it("lets no newcomer take a slot handed to a waiting putter", async () => {
        const q = tier.Queue<string>(1);
        await q.put("old");
        const putter = q.put("waiting");
        await agents.settle();
        assert.equal(await q.get(), "old");
        assert.equal(await q.full(), true, "the freed slot already holds the waiting putter's item");
        await throwsWith(() => q.putNowait("newcomer"), QueueFull);
        await within(putter);
        assert.deepEqual(await drainNow(q), ["waiting"]);
      });

      it("a bounded queue with waiting putters and getters moves every item exactly once, in order", async () => {
        const q = tier.Queue<number>(2);
        const putters = Array.from({ length: 6 }, (_, i) => q.put(i));
        assert.equal(await q.qsize(), 2);
        const got: number[] = [];
        for (let i = 0; i < 6; i++) got.push(await within(q.get()));
        await within(Promise.all(putters));
        assert.deepEqual(got, [0, 1, 2, 3, 4, 5]);
        const getters = Array.from({ length: 3 }, () => q.get());
        for (let i = 10; i < 13; i++) await q.put(i);
        assert.deepEqual(await within(Promise.all(getters)), [10, 11, 12]);
        assert.equal(await q.qsize(), 0);
      });
    });

    describe("taskDone and join", () => {
      it("join resolves true at once on a fresh queue, and can be called again", async () => {
        const q = tier.Queue<number>();
        assert.equal(await within(q.join()), true);
        assert.equal(await within(q.join()), true);
        assert.equal(await q.join({ timeout: 0 }), true);
      });

      it("join waits for a taskDone for every item put, including items got before join started", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        await q.put(2);
        await q.put(3);
        await q.get(); // got before join
        await q.get();
        const joined = q.join();
        assert.equal(await isPending(joined, agents.settle), true, "three items are unfinished");
        await q.taskDone();
        await q.taskDone();
        assert.equal(await isPending(joined, agents.settle), true, "the third item is still in the queue");
        await q.get();
        assert.equal(await isPending(joined, agents.settle), true, "got but not done");
        await q.taskDone();
        assert.equal(await within(joined), true);
      });

      it("join wakes every joiner when the last item is done", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        const joiners = [q.join(), q.join(), q.join()];
        await q.get();
        assert.equal(await isPending(Promise.race(joiners), agents.settle), true);
        await q.taskDone();
        assert.deepEqual(await within(Promise.all(joiners)), [true, true, true]);
      });

      it("counts items handed straight to a waiting getter", async () => {
        const q = tier.Queue<number>();
        const getter = q.get();
        await agents.settle();
        await q.put(1);
        assert.equal(await within(getter), 1);
        assert.equal(await joinsAtOnce(q), false, "the handed item is unfinished");
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true);
      });

      it("join with a timeout resolves false while items are unfinished", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        const started = Date.now();
        assert.equal(await q.join({ timeout: 30 }), false);
        assert.ok(Date.now() - started >= 25, "waited about the timeout");
        assert.equal(await q.join({ timeout: 0 }), false);
        assert.equal(await q.join({ blocking: false }), false);
        await q.get();
        await q.taskDone();
        assert.equal(await q.join({ timeout: 30 }), true);
      });

      it("taskDone called too often throws ValueError('taskDone() called too many times'), count unchanged", async () => {
        const q = tier.Queue<number>();
        await throwsWith(() => q.taskDone(), ValueError, {
          code: "ERR_VALUE",
          message: "taskDone() called too many times",
        });
        await q.put(1);
        await q.get();
        await q.taskDone();
        await throwsWith(() => q.taskDone(), ValueError, { message: "taskDone() called too many times" });
        // Had the count gone negative, the next put would leave it at 0 and join would not wait.
        await q.put(2);
        assert.equal(await joinsAtOnce(q), false);
        await q.get();
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true);
      });

      it("an aborted join rejects with the signal's reason and other joiners still resolve", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        const controller = new AbortController();
        const aborted = q.join({ signal: controller.signal });
        const other = q.join();
        controller.abort(new Error("stop joining"));
        await rejectsWith(aborted, Error, { message: "stop joining" });
        await q.get();
        await q.taskDone();
        assert.equal(await within(other), true);
      });

      it("with producer and consumer agents, join resolves once every item is done", async () => {
        const q = tier.Queue<number>(5);
        const consumers = [
          agents.spawn(queueConsumeAll<number>, q),
          agents.spawn(queueConsumeAll<number>, q),
        ];
        const producers = [0, 1, 2].map((id) => agents.spawn(queueProduce, q, id, 200));
        assert.deepEqual(await within(Promise.all(producers), 30_000), [200, 200, 200]);
        assert.equal(await within(q.join(), 30_000), true);
        assert.equal(await q.qsize(), 0);
        await q.shutdown();
        const got = (await within(Promise.all(consumers))).flat();
        assert.equal(got.length, 600);
      });
    });

    describe("shutdown (as Python 3.13)", () => {
      it("put and putNowait after shutdown throw QueueShutDown, even with free space or blocking:false", async () => {
        const q = tier.Queue<number>(2);
        await q.put(1);
        await q.shutdown();
        await rejectsWith(q.put(2), QueueShutDown, SHUT_DOWN);
        await rejectsWith(q.put(2, { blocking: false }), QueueShutDown, SHUT_DOWN);
        await rejectsWith(q.put(2, { timeout: 10 }), QueueShutDown, SHUT_DOWN);
        await throwsWith(() => q.putNowait(2), QueueShutDown, SHUT_DOWN);
        assert.equal(await q.qsize(), 1);
      });

      it("put on a shut-down full queue throws QueueShutDown, not QueueFull", async () => {
        const q = tier.Queue<number>(1);
        await q.put(1);
        await q.shutdown();
        await throwsWith(() => q.putNowait(2), QueueShutDown);
        await rejectsWith(q.put(2, { timeout: 0 }), QueueShutDown);
        await rejectsWith(q.put(2, { timeout: 20 }), QueueShutDown);
      });

      it("gets return the remaining items, then throw QueueShutDown (not QueueEmpty), for every kind of get", async () => {
        const q = tier.Queue<number>();
        for (const n of [1, 2, 3, 4]) await q.put(n);
        await q.shutdown();
        assert.equal(await q.get(), 1);
        assert.equal(await q.getNowait(), 2);
        assert.equal(await q.get({ timeout: 10 }), 3);
        assert.equal(await q.get({ blocking: false }), 4);
        await rejectsWith(q.get(), QueueShutDown, SHUT_DOWN);
        await throwsWith(() => q.getNowait(), QueueShutDown, SHUT_DOWN);
        await rejectsWith(q.get({ timeout: 0 }), QueueShutDown, SHUT_DOWN);
        await rejectsWith(q.get({ blocking: false }), QueueShutDown, SHUT_DOWN);
        const started = Date.now();
        await rejectsWith(q.get({ timeout: 5_000 }), QueueShutDown, SHUT_DOWN);
        assert.ok(Date.now() - started < 2_000, "a timed get fails at once instead of waiting");
      });

      it("wakes every blocked putter with QueueShutDown, and their items are not put", async () => {
        const q = tier.Queue<string>(1);
        await q.put("in");
        const putters = ["a", "b", "c"].map((item) => agents.spawn(queuePutOne<string>, q, item));
        const timed = q.put("d", { timeout: 60_000 });
        await agents.settle();
        // Handled before the shutdown: a waiter may be woken before the shutdown's own reply arrives, and
        // the agents' answers may take a while.
        const timedShut = rejectsWith(within(timed), QueueShutDown, SHUT_DOWN);
        const puttersShut = within(Promise.all(putters.map((p) => rejectsWith(p, QueueShutDown, SHUT_DOWN))));
        await q.shutdown();
        await puttersShut;
        await timedShut;
        assert.deepEqual(await drainNow(q), ["in"]);
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true, "no refused item was counted");
      });

      it("wakes every blocked getter with QueueShutDown (gh-117531)", async () => {
        const q = tier.Queue<string>();
        const getters = [0, 1, 2].map(() => agents.spawn(queueGetOne<string>, q));
        const timed = q.get({ timeout: 60_000 });
        assert.equal(await isPending(Promise.race(getters), agents.settle), true);
        // Handled before the shutdown: a waiter may be woken before the shutdown's own reply arrives, and
        // the agents' answers may take a while.
        const timedShut = rejectsWith(within(timed), QueueShutDown, SHUT_DOWN);
        const gettersShut = within(Promise.all(getters.map((g) => rejectsWith(g, QueueShutDown, SHUT_DOWN))));
        await q.shutdown();
        await gettersShut;
        await timedShut;
      });

      it("taskDone and join work as before after a shutdown, and join never throws QueueShutDown", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        await q.put(2);
        await q.shutdown();
        const joined = q.join();
        assert.equal(await q.get(), 1);
        await q.taskDone();
        assert.equal(await isPending(joined, agents.settle), true);
        assert.equal(await q.get(), 2);
        await q.taskDone();
        assert.equal(await within(joined), true);
        assert.equal(await within(q.join()), true);
        await throwsWith(() => q.taskDone(), ValueError);
      });

      it("immediate: drops the items left and counts each as done, so join waits only for items handed out", async () => {
        const q = tier.Queue<number>();
        for (const n of [1, 2, 3, 4]) await q.put(n);
        assert.equal(await q.get(), 1); // handed out, not done
        const joined = q.join();
        await q.shutdown(true);
        assert.equal(await q.qsize(), 0);
        assert.equal(await q.empty(), true);
        await throwsWith(() => q.getNowait(), QueueShutDown);
        assert.equal(await isPending(joined, agents.settle), true, "item 1 is still unfinished");
        await q.taskDone();
        assert.equal(await within(joined), true);
        await throwsWith(() => q.taskDone(), ValueError, { message: "taskDone() called too many times" });
      });

      it("immediate: resolves waiting joiners when nothing was handed out", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        await q.put(2);
        const joined = q.join();
        assert.equal(await isPending(joined, agents.settle), true);
        await q.shutdown(true);
        assert.equal(await within(joined), true);
      });

      it("immediate: the unfinished count is floored at 0", async () => {
        const q = tier.Queue<number>();
        for (const n of [1, 2, 3]) await q.put(n);
        await q.get();
        // Three taskDone for three puts: the count is 0 although two items are still queued.
        await q.taskDone();
        await q.taskDone();
        await q.taskDone();
        await q.shutdown(true);
        assert.equal(await q.qsize(), 0);
        assert.equal(await within(q.join()), true, "the count did not go below zero");
        await throwsWith(() => q.taskDone(), ValueError);
      });

      it("immediate: wakes blocked putters and getters with QueueShutDown", async () => {
        const full = tier.Queue<number>(1);
        await full.put(1);
        const putter = full.put(2);
        const empty = tier.Queue<number>();
        const getter = empty.get();
        await agents.settle();
        // Expected before the shutdowns: the putter may be woken before the second shutdown's reply.
        const putterShut = rejectsWith(within(putter), QueueShutDown);
        const getterShut = rejectsWith(within(getter), QueueShutDown);
        await full.shutdown(true);
        await empty.shutdown(true);
        await putterShut;
        await getterShut;
        assert.equal(await full.qsize(), 0);
        assert.equal(await within(full.join()), true);
      });

      it("may be called again, with either immediate value; a later immediate shutdown drains", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        await q.put(2);
        await q.shutdown();
        await q.shutdown();
        assert.equal(await q.qsize(), 2, "a plain shutdown keeps the items");
        await q.shutdown(true);
        assert.equal(await q.qsize(), 0);
        await q.shutdown(false);
        await q.shutdown(true);
        await rejectsWith(q.put(3), QueueShutDown);
        await rejectsWith(q.get(), QueueShutDown);
        assert.equal(await within(q.join()), true);
      });
    });

    describe("async iteration", () => {
      it("for await gets the items in order and ends once the queue is shut down and drained", async () => {
        const q = tier.Queue<number>();
        for (const n of [1, 2, 3]) await q.put(n);
        await q.shutdown();
        const seen: number[] = [];
        for await (const n of q) seen.push(n);
        assert.deepEqual(seen, [1, 2, 3]);
        assert.equal(await within(q.join()), true, "every iterated item was marked done");
      });

      it("waits for items, and ends when the queue is shut down while it waits", async () => {
        const q = tier.Queue<number>();
        const iterating = agents.spawn(queueIterate<number>, q);
        assert.equal(await isPending(iterating, agents.settle), true);
        await q.put(1);
        await q.put(2);
        assert.equal(await isPending(iterating, agents.settle), true, "still waiting for more");
        await q.shutdown();
        assert.deepEqual(await within(iterating), [1, 2]);
        assert.equal(await within(q.join()), true);
      });

      it("calls taskDone for an item when the loop asks for the next one", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        await q.put(2);
        const it = q[Symbol.asyncIterator]();
        assert.deepEqual(await it.next(), { done: false, value: 1 });
        const joined = q.join();
        assert.equal(await isPending(joined, agents.settle), true, "1 is being handled, 2 is queued");
        assert.deepEqual(await it.next(), { done: false, value: 2 });
        assert.equal(await isPending(joined, agents.settle), true, "1 is done, 2 is being handled");
        await q.shutdown();
        assert.equal((await within(it.next())).done, true);
        assert.equal(await within(joined), true, "2 was marked done when the loop asked for more");
      });

      it("calls taskDone for the current item when the loop is left by break", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        await q.put(2);
        for await (const n of q) {
          assert.equal(n, 1);
          break;
        }
        assert.equal(await q.qsize(), 1, "the loop took only what it used");
        assert.equal(await joinsAtOnce(q), false);
        await q.get();
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true, "the item of the left loop was marked done");
      });

      it("calls taskDone for the current item when the loop body throws", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        const boom = new Error("boom");
        await rejectsWith(
          (async () => {
            for await (const _ of q) throw boom;
          })(),
          Error,
          { message: "boom" },
        );
        assert.equal(await within(q.join()), true);
      });

      it("ends at once after an immediate shutdown, dropping the items left", async () => {
        const q = tier.Queue<number>();
        for (const n of [1, 2, 3]) await q.put(n);
        const seen: number[] = [];
        for await (const n of q) {
          seen.push(n);
          if (n === 1) await q.shutdown(true);
        }
        assert.deepEqual(seen, [1]);
        assert.equal(await within(q.join()), true);
      });

      it("several iterating agents share the items, each exactly once", async () => {
        const q = tier.Queue<number>(3);
        const loops = [0, 1, 2].map(() => agents.spawn(queueIterate<number>, q));
        for (let i = 0; i < 100; i++) await within(q.put(i));
        assert.equal(await within(q.join()), true);
        await q.shutdown();
        const got = (await within(Promise.all(loops))).flat().sort((a, b) => a - b);
        assert.deepEqual(
          got,
          Array.from({ length: 100 }, (_, i) => i),
        );
      });
    });

    describe("abort", () => {
      it("an aborted getter gets no item: the item goes to the next getter", async () => {
        const q = tier.Queue<string>();
        const controller = new AbortController();
        const reason = new Error("stop");
        const aborted = q.get({ signal: controller.signal });
        const next = q.get();
        await agents.settle();
        controller.abort(reason);
        assert.equal(await rejectsWith(aborted, Error), reason);
        await q.put("x");
        assert.equal(await within(next), "x");
        assert.equal(await q.qsize(), 0);
      });

      it("an item put after the only getter aborted stays in the queue", async () => {
        const q = tier.Queue<string>();
        const controller = new AbortController();
        const aborted = q.get({ signal: controller.signal });
        controller.abort(new Error("stop"));
        await rejectsWith(aborted, Error, { message: "stop" });
        await q.put("kept");
        assert.deepEqual(await drainNow(q), ["kept"]);
      });

      it("an aborted putter puts nothing: the freed slot goes to the next putter", async () => {
        const q = tier.Queue<string>(1);
        await q.put("0");
        const controller = new AbortController();
        const reason = new Error("stop");
        const aborted = q.put("a", { signal: controller.signal });
        const next = q.put("b");
        await agents.settle();
        controller.abort(reason);
        assert.equal(await rejectsWith(aborted, Error), reason);
        assert.equal(await q.get(), "0");
        await within(next);
        assert.deepEqual(await drainNow(q), ["b"]);
        await q.taskDone();
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true, "the aborted item was never counted");
      });

      it("an already-aborted signal rejects at once, even when items are available, taking nothing", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        const reason = new Error("already");
        assert.equal(await rejectsWith(q.get({ signal: abortedSignal(reason) }), Error), reason);
        assert.equal(await q.qsize(), 1);
        assert.equal(await q.get(), 1);
      });

      it("an already-aborted signal rejects a put at once, even when there is room, putting nothing", async () => {
        const q = tier.Queue<number>(5);
        const reason = new Error("already");
        assert.equal(await rejectsWith(q.put(1, { signal: abortedSignal(reason) }), Error), reason);
        assert.equal(await q.qsize(), 0);
        assert.equal(await joinsAtOnce(q), true);
        // Also when a getter is waiting: the item must not be handed over.
        const getter = q.get();
        await agents.settle();
        await rejectsWith(q.put(2, { signal: abortedSignal() }), Error);
        assert.equal(await isPending(getter, agents.settle), true);
        await q.put(3);
        assert.equal(await within(getter), 3);
      });

      it("an abort after the hand-off is too late: the getter keeps the item, or the item stays queued", async () => {
        const q = tier.Queue<string>();
        const controller = new AbortController();
        const getter = q.get({ signal: controller.signal });
        await agents.settle();
        await q.put("x");
        controller.abort();
        const got = await getter.then(
          (item) => [item],
          () => [],
        );
        // Either outcome keeps the item exactly once.
        assert.deepEqual([...got, ...(await drainNow(q))], ["x"]);
      });
    });

    describe("timeouts racing hand-offs", () => {
      it("a get that times out leaves no trace: the next put goes to the live getter", async () => {
        const q = tier.Queue<number>();
        const leaving = Array.from({ length: 50 }, () => q.get({ timeout: 10 }));
        const staying = q.get();
        await within(Promise.all(leaving.map((p) => rejectsWith(p, QueueEmpty))));
        await q.put(1);
        assert.equal(await within(staying), 1);
        assert.equal(await q.qsize(), 0);
      });

      it("a put that times out leaves no trace: the freed slot goes to the live putter", async () => {
        const q = tier.Queue<number>(1);
        await q.put(0);
        const leaving = Array.from({ length: 50 }, (_, i) => q.put(100 + i, { timeout: 10 }));
        const staying = q.put(1);
        await within(Promise.all(leaving.map((p) => rejectsWith(p, QueueFull))));
        assert.equal(await q.get(), 0);
        await within(staying);
        assert.deepEqual(await drainNow(q), [1]);
      });

      it("an item put around a getter's deadline is got exactly once: by the getter or from the queue", async () => {
        for (const delay of [5, 10, 15, 20, 25]) {
          const q = tier.Queue<number>();
          const getter = outcome(q.get({ timeout: 15 }));
          await sleep(delay); // only lets real time pass; both outcomes are checked
          await q.put(delay);
          const result = await within(getter);
          if (!result.ok)
            assert.ok(result.error instanceof QueueEmpty, `a timed-out get rejects with QueueEmpty`);
          const got = result.ok ? [result.value] : [];
          assert.deepEqual([...got, ...(await drainNow(q))], [delay], `delay ${delay}`);
        }
      });

      it("a slot freed around a putter's deadline is taken exactly once: by the putter or not at all", async () => {
        for (const delay of [5, 10, 15, 20, 25]) {
          const q = tier.Queue<number>(1);
          await q.put(0);
          const putter = outcome(q.put(1, { timeout: 15 }));
          await sleep(delay); // only lets real time pass; both outcomes are checked
          assert.equal(await q.get(), 0);
          const result = await within(putter);
          if (!result.ok)
            assert.ok(result.error instanceof QueueFull, `a timed-out put rejects with QueueFull`);
          const put = result.ok;
          assert.deepEqual(await drainNow(q), put ? [1] : [], `delay ${delay}`);
          await q.taskDone();
          if (put) await q.taskDone();
          assert.equal(await joinsAtOnce(q), true, "counted exactly the items put");
        }
      });
    });

    describe("bad arguments", () => {
      const bad: [unknown, typeof TypeError | typeof RangeError][] = [
        [{ timeout: -1 }, RangeError],
        [{ timeout: Number.NaN }, RangeError],
        [{ timeout: "5" }, TypeError],
        [{ blocking: "no" }, TypeError],
        [{ signal: {} }, TypeError],
        [{ blocking: false, timeout: 5 }, TypeError],
        ["fast", TypeError],
      ];

      it("get rejects bad options with TypeError/RangeError and takes nothing", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        for (const [opts, Class] of bad) {
          await rejectsWith(q.get(opts as never), Class);
          assert.equal(await q.qsize(), 1, `state unchanged after ${JSON.stringify(opts)}`);
        }
        await rejectsWith(q.get({ blocking: false, timeout: 5 }), TypeError, {
          message: "can't specify a timeout for a non-blocking call",
        });
      });

      it("put rejects bad options with TypeError/RangeError and puts nothing, even with room", async () => {
        const q = tier.Queue<number>(5);
        for (const [opts, Class] of bad) {
          await rejectsWith(q.put(1, opts as never), Class);
          assert.equal(await q.qsize(), 0, `state unchanged after ${JSON.stringify(opts)}`);
        }
        assert.equal(await joinsAtOnce(q), true, "nothing was counted");
      });

      it("put rejects bad options without handing the item to a waiting getter", async () => {
        const q = tier.Queue<number>();
        const getter = q.get();
        await agents.settle();
        for (const [opts, Class] of bad) await rejectsWith(q.put(1, opts as never), Class);
        assert.equal(await isPending(getter, agents.settle), true);
        await q.put(2);
        assert.equal(await within(getter), 2);
      });

      it("join rejects bad options with TypeError/RangeError", async () => {
        const q = tier.Queue<number>();
        await q.put(1);
        for (const [opts, Class] of bad) await rejectsWith(q.join(opts as never), Class);
        await q.get();
        await q.taskDone();
        assert.equal(await joinsAtOnce(q), true);
      });

      it("a maxsize that is not a number is a TypeError", async () => {
        for (const maxsize of ["3", null, {}, Number.NaN]) {
          await throwsWith(() => tier.Queue(maxsize as never), TypeError);
        }
      });
    });

    describe("errors", () => {
      it("are ThreadingErrors with stable codes and names, a fresh instance each time", async () => {
        const q = tier.Queue<number>(1);
        const empty1 = await throwsWith(() => q.getNowait(), QueueEmpty, EMPTY);
        const empty2 = await throwsWith(() => q.getNowait(), QueueEmpty, EMPTY);
        assert.notEqual(empty1, empty2);
        await q.put(1);
        const full = await throwsWith(() => q.putNowait(2), QueueFull, FULL);
        await q.get();
        await q.taskDone();
        const value = await throwsWith(() => q.taskDone(), ValueError, { code: "ERR_VALUE" });
        await q.shutdown();
        const shut1 = await rejectsWith(q.get(), QueueShutDown, SHUT_DOWN);
        const shut2 = await rejectsWith(q.get(), QueueShutDown, SHUT_DOWN);
        assert.notEqual(shut1, shut2);
        for (const [error, name] of [
          [empty1, "QueueEmpty"],
          [full, "QueueFull"],
          [value, "ValueError"],
          [shut1, "QueueShutDown"],
        ] as const) {
          assert.ok(error instanceof ThreadingError);
          assert.equal(error.name, name);
        }
      });
    });

    describe("many producers, many consumers", () => {
      it("4 producers x 2,000 items through a bounded queue of 10 to 4 consumers: nothing lost or doubled", async () => {
        const q = tier.Queue<number>(10);
        const perProducer = 2_000;
        const consumers = [
          agents.spawn(queueConsumeAll<number>, q),
          agents.spawn(queueConsumeAll<number>, q),
          agents.spawn(queueIterate<number>, q),
          agents.spawn(queueIterate<number>, q),
        ];
        const producers = [0, 1, 2, 3].map((id) => agents.spawn(queueProduce, q, id, perProducer));
        assert.deepEqual(await within(Promise.all(producers), 60_000), Array(4).fill(perProducer));
        assert.equal(await within(q.join(), 60_000), true, "every item was got and marked done");
        await q.shutdown();
        const lists = await within(Promise.all(consumers), 60_000);
        const got = lists.flat();
        assert.equal(got.length, 4 * perProducer, "no item lost or doubled");
        assert.equal(new Set(got).size, got.length, "no item doubled");
        const expected = new Set(
          [0, 1, 2, 3].flatMap((id) => Array.from({ length: perProducer }, (_, i) => id * 100_000 + i)),
        );
        assert.ok(
          got.every((item) => expected.has(item)),
          "exactly the items put were got",
        );
        // Each consumer saw each producer's items in the order they were put (FIFO).
        for (const list of lists) {
          const last = new Map<number, number>();
          for (const item of list) {
            const id = Math.floor(item / 100_000);
            assert.ok((last.get(id) ?? -1) < item, "per-producer order kept");
            last.set(id, item);
          }
        }
        assert.equal(await q.qsize(), 0);
        assert.equal(await q.empty(), true);
      });

      it("a shutdown while producers block on a full queue ends everyone; every item put is got exactly once", async () => {
        const q = tier.Queue<number>(10);
        const perProducer = 1_000;
        const producers = [0, 1, 2, 3].map((id) => agents.spawn(queueProduce, q, id, perProducer));
        const first: number[] = [];
        for (let i = 0; i < 25; i++) first.push(await within(q.get()));
        await q.shutdown();
        const counts = await within(Promise.all(producers), 60_000);
        const consumers = [agents.spawn(queueConsumeAll<number>, q), agents.spawn(queueIterate<number>, q)];
        const rest = (await within(Promise.all(consumers), 60_000)).flat();
        const got = [...first, ...rest].sort((a, b) => a - b);
        const put = counts.flatMap((n, id) => Array.from({ length: n }, (_, i) => id * 100_000 + i));
        assert.ok(
          counts.every((n) => n < perProducer),
          "every producer was stopped by the shutdown",
        );
        assert.deepEqual(got, put, "exactly the items put were got, once each");
        assert.equal(await q.qsize(), 0);
      });
    });
  });
}
