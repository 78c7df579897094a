/**
 * A thread that dies inside a primitive's GUARD, between taking a waiter off the FIFO and granting it (a
 * release, set(), notify() or put cut short), leaves no live waiter unlinked but never granted: whoever takes
 * GUARD over (a waiter's slice, once the death is recorded) finishes the hand-off or puts the waiter back at
 * the head. Every waiter here waits without a timeout; the test's own deadline catches a hang. (A Semaphore
 * journals its steps: ./semaphore-death.test.ts stops its real code at every point instead.)
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Barrier } from "../../src/threads/barrier.ts";
import { Condition } from "../../src/threads/condition.ts";
import { Event } from "../../src/threads/event.ts";
import type { Futex } from "../../src/threads/futex.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { GUARD } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Lock } from "../../src/threads/lock.ts";
import { Queue } from "../../src/threads/queue.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { runIn, startWorker, terminateAll, wire, withinBooted } from "./spawn.ts";
import { queuedOn, until } from "./util.ts";

after(terminateAll);

/**
 * Runs `waiter` (which queues one waiter on `core`) against a worker that, holding the primitive if `hold`,
 * takes that waiter off the FIFO under GUARD and is terminated there. Resolves, once the death is recorded,
 * the waiter's promise (in a box: not awaited yet).
 */
async function cutShort<T>(
  primitive: object,
  core: Futex,
  waiter: () => Promise<T>,
  opts: { hold?: boolean; raise?: boolean } = {},
): Promise<{ waiting: Promise<T> }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = startWorker(new URL("./guard-death-worker.ts", import.meta.url), {
    handle: toHandle(primitive as Lock),
    flag,
    ...opts,
  });
  const owner = worker.threadId + 1;
  await until(() => Atomics.load(flag, 0) === 1, "the worker is ready");
  const before = core.size;
  const waiting = waiter();
  await queuedOn({ _core: core }, before + 1);
  Atomics.store(flag, 0, 2);
  Atomics.notify(flag, 0);
  await until(() => Atomics.load(flag, 0) === 3, "the worker took the waiter off the FIFO");
  await withinBooted(worker.terminate(), 20_000, "terminate");
  await until(() => isDead(owner), "the death is recorded");
  return { waiting: withinBooted(waiting, 20_000, "the waiter") };
}

/** The waiter's outcome of `cutShort`. */
async function outcome<T>(cut: Promise<{ waiting: Promise<T> }>): Promise<T> {
  return (await cut).waiting;
}

describe("threads: a death inside GUARD leaves no waiter unlinked and never granted", () => {
  it("Lock: the releaser died handing the lock on; the heir gets it", async () => {
    const lock = new Lock();
    assert.equal(await outcome(cutShort(lock, lock._core, () => lock.acquire(), { hold: true })), true);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.equal(await withinBooted(lock.acquire({ timeout: 5_000 })), true, "an ordinary lock again");
    lock.release();
  });

  it("RLock: the releaser died handing the lock on; the heir gets it at the depth it brought", async () => {
    const rlock = new RLock();
    assert.equal(await outcome(cutShort(rlock, rlock._core, () => rlock.acquire(), { hold: true })), true);
    assert.equal(rlock._isOwned(), true);
    assert.equal(rlock._depth(), 1);
    rlock.release();
    assert.equal(rlock.locked(), false);
  });

  it("Event: a set() died granting its waiters; they are granted", async () => {
    const event = new Event();
    assert.equal(await outcome(cutShort(event, event._core, () => event.wait(), { raise: true })), true);
    assert.equal(event.isSet(), true);
  });

  it("Condition: a notify() died moving its waiter; the waiter wakes notified and holds the lock again", async () => {
    const lock = new Lock();
    const cond = new Condition(lock);
    const notified = await outcome(
      cutShort(cond, cond._core, async () => {
        await cond.acquire();
        return cond.wait();
      }),
    );
    assert.equal(notified, true);
    assert.equal(lock.locked(), true, "the waiter holds the lock again");
    cond.release();
  });

  it("Queue: a put died handing its item to a getter; the getter is put back first in line and gets the next item", async () => {
    const q = new Queue<number>();
    const { waiting } = await cutShort(q, q._gets, () => q.get());
    // Once the getter is back in the FIFO (a slice of its own took GUARD over), a put hands it the item.
    await until(() => q._gets.size === 1 && Atomics.load(q._gets.i32, GUARD) === 0, "the getter put back");
    q.putNowait(7);
    assert.equal(await waiting, 7);
    assert.equal(q.qsize(), 0);
  });

  it("Barrier: a round's hand-out died after taking a party off; the party is put back and the round forms", async () => {
    const barrier = new Barrier(2);
    // The party waits in a worker: a waiter's slice may take GUARD (Barrier.recover), and on the main thread
    // it would block the event loop that must terminate the worker holding GUARD here (held for good, as no
    // real holder ever does).
    const party = (): Promise<{ index?: number }> =>
      runIn(new URL("./barrier-worker.ts", import.meta.url), {
        name: "once",
        args: [wire(barrier), "sync", 30_000],
      });
    const { waiting } = await cutShort(barrier, barrier._core, party);
    const core = barrier._core;
    await until(() => core.size === 1 && Atomics.load(core.i32, GUARD) === 0, "the party put back");
    const second = await withinBooted(barrier.wait({ timeout: 20_000 }), 20_000);
    assert.deepEqual([(await waiting).index, second].sort(), [0, 1]);
  });
});
