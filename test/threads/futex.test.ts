/** The core itself: what the uncontended paths touch, keep-alive accounting, cells and the QUEUED bit. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Event } from "../../src/threads/event.ts";
import { Futex, type Taker } from "../../src/threads/futex.ts";
import { fromHandle, isHandle, toHandle } from "../../src/threads/handle.ts";
import {
  allocate,
  CAPACITY,
  CELL,
  FREE,
  GRANTED,
  HEADER,
  Kind,
  QUEUED,
  SIZE,
  SLEEPING,
  STATE,
  WAITING,
} from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { pendingWaits } from "../../src/threads/runtime.ts";
import { BoundedSemaphore, Semaphore } from "../../src/threads/semaphore.ts";
import { runTask, terminateAll, withinBooted } from "./spawn.ts";

after(terminateAll);

function allCellsFree(i32: Int32Array): boolean {
  for (let k = 0; k < CAPACITY; k++) if (Atomics.load(i32, HEADER + k * CELL) !== FREE) return false;
  return true;
}

describe("threads core (futex.ts)", () => {
  it("uncontended acquire/release/set/wait never touch the waiter FIFO, nor its guard but for a Semaphore's journal", async () => {
    const ok = runTask("uncontendedWithoutGuard", new Lock(), new RLock(), new Semaphore(1), new Event());
    assert.equal(await withinBooted(ok, 30_000), true);
  });

  it("every pending async wait holds the process, and gives it back when granted, timed out or aborted", async () => {
    const lock = new Lock();
    lock.acquireSync();
    assert.equal(pendingWaits(), 0);
    const controller = new AbortController();
    const granted = lock.acquire();
    const timed = lock.acquire({ timeout: 20 });
    const aborted = lock.acquire({ signal: controller.signal });
    assert.equal(pendingWaits(), 3);
    assert.equal(await timed, false);
    controller.abort(new Error("stop"));
    await assert.rejects(aborted);
    assert.equal(pendingWaits(), 1);
    lock.release();
    assert.equal(await withinBooted(granted), true);
    assert.equal(pendingWaits(), 0);
    lock.release();
  });

  it("cells are freed by whoever leaves (granted, timed out, aborted); QUEUED is set exactly while someone waits", async () => {
    const sem = new Semaphore(0);
    const i32 = sem._core.i32;
    const controller = new AbortController();
    const waits = [sem.acquire(), sem.acquire({ timeout: 10 }), sem.acquire({ signal: controller.signal })];
    assert.equal(Atomics.load(i32, SIZE), 3);
    assert.equal(Atomics.load(i32, STATE), QUEUED);
    await waits[1];
    controller.abort();
    await assert.rejects(waits[2]!);
    assert.equal(Atomics.load(i32, STATE), QUEUED, "one still waits");
    sem.release(3);
    assert.equal(await withinBooted(waits[0]!), true);
    assert.equal(Atomics.load(i32, STATE), 2, "the two permits nobody waited for are kept, QUEUED cleared");
    assert.equal(allCellsFree(i32), true);
  });

  it("a grant notifies a cell only once its waiter marked it SLEEPING, and a marked sleeper is woken", async () => {
    const core = new Futex(allocate(Kind.Semaphore));
    const never: Taker = { take: () => -1, took() {} };
    const notify = Atomics.notify;
    let notified = 0;
    Atomics.notify = ((i32: Int32Array, index: number, count?: number) => {
      notified++;
      return notify(i32, index, count);
    }) as typeof Atomics.notify;
    try {
      const spinning = core.enter(never, 1, 0);
      assert.equal(Atomics.load(core.i32, spinning), WAITING);
      const sleeping = core.enter(never, 1, 0);
      assert.equal(core.sleepOn(sleeping, 0), "timed-out", "it marks, then sleeps (0 ms here)");
      assert.equal(Atomics.load(core.i32, sleeping), SLEEPING);
      core.lock();
      for (const cell of [core.shift(), core.shift()]) core.grant(cell, 7);
      core.settleQueued();
      core.unlock();
      assert.equal(notified, 1, "only the sleeper's word was notified");
      assert.equal(Atomics.load(core.i32, spinning), GRANTED);
      assert.equal(core.sleepOn(spinning, 10_000), "not-equal", "granted first: it does not sleep");
      assert.equal(core.collect(spinning), 7);
      assert.equal(core.collect(sleeping), 7);
      assert.equal(allCellsFree(core.i32), true);
    } finally {
      Atomics.notify = notify;
    }
    // And across threads: a worker asleep on its cell (seen marked SLEEPING) is handed the lock by a release.
    const lock = new Lock();
    lock.acquireSync();
    const got = runTask("acquireSyncOnce", lock);
    const i32 = lock._core.i32;
    const asleep = async () => {
      for (;;) {
        for (let k = 0; k < CAPACITY; k++) if (Atomics.load(i32, HEADER + k * CELL) === SLEEPING) return;
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    await withinBooted(asleep(), 10_000, "the worker marking its cell SLEEPING");
    lock.release();
    assert.equal(await withinBooted(got, 10_000), true);
    assert.equal(lock.locked(), false);
  });

  it("handles: structured-cloneable, checked, and live on arrival", () => {
    const sem = new BoundedSemaphore(3);
    const handle = structuredClone(toHandle(sem));
    assert.equal(isHandle(handle), true);
    const copy = fromHandle(handle);
    assert.ok(copy instanceof BoundedSemaphore);
    copy.tryAcquire();
    assert.equal(sem.value, 2, "the same permits");
    assert.throws(() => fromHandle({ ...handle, kind: "Lock" } as never), TypeError, "a kind that lies");
    assert.throws(
      () => fromHandle({ threadkit: "threads", kind: "Lock", buffer: new SharedArrayBuffer(8) }),
      TypeError,
    );
    assert.throws(() => toHandle({} as never), TypeError);
    assert.equal(isHandle(allocate(Kind.Lock)), false);
  });
});
