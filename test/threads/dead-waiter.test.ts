/**
 * Nothing is handed to the dead: a waiter whose worker was terminated while it was parked (blocking, in the
 * shared FIFO) is skipped by every hand-off of the core (`Futex.shift`). A queue's item goes to a live
 * getter or stays queued; a Barrier's dead party counts as one that left. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { Barrier } from "../../src/threads/barrier.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { HEAD, Q_HAND_FREE, QUEUED, STATE } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Queue } from "../../src/threads/queue.ts";
import { sleep } from "../helpers.ts";
import { runIn, startWorker, terminateAll, wire, withinBooted } from "./spawn.ts";
import { queuedOn } from "./util.ts";

after(terminateAll);

const entry = new URL("./dead-waiter-worker.ts", import.meta.url);

/** Starts a worker parked in `op` on `primitive`, waits until it has queued, and terminates it. */
async function parkedThenKilled(
  op: "get" | "put" | "barrier",
  primitive: Queue<unknown> | Barrier,
): Promise<Worker> {
  const q = primitive as Queue<unknown>;
  const queued = op === "barrier" ? (primitive as Barrier) : { _core: op === "get" ? q._gets : q._puts };
  const before = queued._core.size;
  const worker = startWorker(entry, { op, handle: toHandle(primitive) });
  const owner = worker.threadId + 1; // read now: a worker's threadId reads -1 once it has exited
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  await queuedOn(queued, before + 1);
  await withinBooted(worker.terminate(), 20_000, "terminate");
  await withinBooted(exited, 20_000, "the worker's exit");
  await eventually(() => isDead(owner), "the death is recorded");
  return worker;
}

/** Resolves once `check()` holds (polled), or rejects after `ms`: a death is recorded on the parent's loop. */
async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
}

describe("threads: nothing is handed to a waiter whose thread died", () => {
  it("Queue: an item put after its only getter's worker died stays queued; join() sees it done once a live getter takes it", async () => {
    const q = new Queue<string>();
    await parkedThenKilled("get", q);
    q.putNowait("precious");
    assert.equal(q.qsize(), 1, "not handed to the dead getter");
    assert.equal(Atomics.load(q._gets.i32, STATE) & QUEUED, 0, "nobody waits: puts take the fast path again");
    assert.equal(await withinBooted(q.get({ timeout: 5_000 })), "precious");
    q.taskDone();
    assert.equal(await withinBooted(q.join({ timeout: 5_000 })), true);
  });

  it("Queue: the item of a putter whose worker died is dropped with it, not put, and its storage is freed", async () => {
    const q = new Queue<string>(1);
    q.putNowait("first");
    const puts = q._puts;
    const before = puts.size;
    const parked = parkedThenKilled("put", q);
    await queuedOn({ _core: puts }, before + 1);
    const hand = puts.value(Atomics.load(puts.i32, HEAD)) - 1; // the HANDS entry holding the putter's item
    await parked;
    assert.equal(q.getNowait(), "first"); // frees the slot: the dead putter is skipped
    assert.equal(q.qsize(), 0, "the dead putter's item did not join the queue");
    assert.equal(Atomics.load(puts.i32, STATE) & QUEUED, 0, "nobody waits: gets take the fast path again");
    const meta = (q as unknown as { _store: { meta: Int32Array } })._store.meta;
    assert.equal(meta[Q_HAND_FREE], hand, "its HANDS entry is back on the free list");
    q.putNowait("second");
    assert.equal(q.getNowait(), "second");
  });

  it("Barrier: a party whose worker died does not count toward the round; indices stay 0..parties-1", async () => {
    const barrier = new Barrier(2);
    await parkedThenKilled("barrier", barrier);
    await eventually(() => barrier.nWaiting === 0, "nWaiting drops when the party's thread dies");
    const other = runIn<{ index?: number; name?: string }>(new URL("./barrier-worker.ts", import.meta.url), {
      name: "arriveAfter",
      args: [wire(barrier), 1, "async"],
    });
    const mine = barrier.wait({ timeout: 240_000 }); // only a hang: the other party's start-up comes within it
    const indices = await withinBooted(Promise.all([mine, other]), 30_000);
    assert.deepEqual([...indices].sort(), [0, 1], "two live parties made the round");
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 0);
  });

  it("Barrier: a live party alone after its partner died waits (and its timeout breaks the barrier)", async () => {
    const barrier = new Barrier(2);
    await parkedThenKilled("barrier", barrier);
    await eventually(() => barrier.nWaiting === 0, "nWaiting drops");
    await assert.rejects(withinBooted(barrier.wait({ timeout: 200 })), { code: "ERR_BROKEN_BARRIER" });
    assert.equal(barrier.broken, true);
  });
});
