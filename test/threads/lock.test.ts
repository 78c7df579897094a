import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { RuntimeError, TimeoutError } from "../../src/api/errors.ts";
import { Event } from "../../src/threads/event.ts";
import { QUEUED, STATE } from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { abortedSignal, rejectsWith, throwsWith } from "../helpers.ts";
import { runTask, terminateAll, withinBooted } from "./spawn.ts";
import { logged, queuedOn, sharedLog } from "./util.ts";

describe("threads Lock", () => {
  after(terminateAll);

  it("two workers x 100,000 lock-protected plain increments end exact (one blocking, one async)", async () => {
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const runs = [
      runTask("increments", lock, counter, 100_000, "sync"),
      runTask("increments", lock, counter, 100_000, "async"),
    ];
    await withinBooted(Promise.all(runs), 60_000);
    assert.equal(counter[0], 200_000);
    assert.equal(lock.locked(), false);
  });

  it("two workers x 1,000,000 lock-protected plain increments end exact (both blocking)", async () => {
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const runs = [
      runTask("increments", lock, counter, 1_000_000, "sync"),
      runTask("increments", lock, counter, 1_000_000, "sync"),
    ];
    await withinBooted(Promise.all(runs), 120_000);
    assert.equal(counter[0], 2_000_000);
    assert.equal(lock.locked(), false);
  });

  it("main-thread async tasks and blocking workers share it exactly", async () => {
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const worker = runTask("increments", lock, counter, 20_000, "sync");
    const local = (async () => {
      for (let i = 0; i < 2_000; i++) {
        await lock.acquire();
        counter[0] = (counter[0] as number) + 1;
        lock.release();
      }
    })();
    await withinBooted(Promise.all([worker, local]), 60_000);
    assert.equal(counter[0], 22_000);
  });

  it("hands the lock to waiters in arrival order across threads, blocking and async mixed", async () => {
    const lock = new Lock();
    const log = sharedLog(8);
    lock.acquireSync();
    const done: Promise<unknown>[] = [];
    const arrivals: [number, "sync" | "async" | "main"][] = [
      [1, "sync"],
      [2, "async"],
      [3, "main"],
      [4, "sync"],
      [5, "async"],
    ];
    for (const [id, mode] of arrivals) {
      if (mode === "main") {
        done.push(
          lock.acquire().then(() => {
            log[1 + Atomics.add(log, 0, 1)] = id;
            lock.release();
          }),
        );
      } else done.push(runTask("acquireAndLog", lock, log, id, mode));
      await queuedOn(lock, id); // each waits before the next arrives
    }
    lock.release();
    await withinBooted(Promise.all(done));
    assert.deepEqual(logged(log), [1, 2, 3, 4, 5]);
    assert.equal(lock.locked(), false);
  });

  it("lets no newcomer barge in between a release and the waiter it hands the lock to", async () => {
    const lock = new Lock();
    lock.acquireSync();
    const [held, letGo] = [new Event(), new Event()];
    const waiter = runTask("holdUntil", lock, held, letGo, "sync"); // keeps the lock until letGo is set
    await queuedOn(lock, 1);
    lock.release();
    // The worker may not have run yet, but the lock is already its own.
    assert.equal(lock.tryAcquire(), false, "the lock already belongs to the waiter");
    assert.equal(await withinBooted(held.wait()), true);
    assert.equal(lock.tryAcquire(), false);
    letGo.set();
    await withinBooted(waiter);
    assert.equal(lock.tryAcquire(), true);
  });

  it("a blocking waiter that times out leaves no ghost: the next release reaches the live waiter", async () => {
    const lock = new Lock();
    lock.acquireSync();
    const timed = await withinBooted(runTask("acquireSyncFor", lock, 50));
    assert.equal(timed.ok, false);
    assert.ok(timed.waited >= 45, `blocked ${timed.waited} ms`);
    assert.equal(queued(lock), 0);
    const next = lock.acquire();
    await queuedOn(lock, 1);
    lock.release();
    assert.equal(await withinBooted(next), true);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.equal(Atomics.load(lock._core.i32, STATE), 0, "no QUEUED bit left behind");
  });

  it("50 async waiters that time out leave the FIFO empty; a waiter behind them still gets the lock", async () => {
    const lock = new Lock();
    await lock.acquire();
    const leaving = Array.from({ length: 50 }, () => lock.acquire({ timeout: 10 }));
    const staying = lock.acquire();
    assert.deepEqual(await withinBooted(Promise.all(leaving)), Array(50).fill(false));
    assert.equal(queued(lock), 1);
    lock.release();
    assert.equal(await withinBooted(staying), true);
    lock.release();
    assert.equal(Atomics.load(lock._core.i32, STATE), 0);
  });

  it("more waiters than cells: the overflow still waits, and every waiter gets the lock once", async () => {
    const lock = new Lock();
    await lock.acquire();
    let inside = 0;
    let most = 0;
    const all = Array.from({ length: 150 }, () =>
      lock.run(async () => {
        most = Math.max(most, ++inside);
        await Promise.resolve();
        inside--;
      }),
    );
    lock.release();
    await withinBooted(Promise.all(all));
    assert.equal(most, 1);
    assert.equal(lock.locked(), false);
    assert.equal(queued(lock), 0);
  });

  it("an aborted async waiter leaves at once; the release goes to the next waiter", async () => {
    const lock = new Lock();
    await lock.acquire();
    const controller = new AbortController();
    const reason = new Error("stop");
    const aborted = lock.acquire({ signal: controller.signal });
    const next = lock.acquire();
    controller.abort(reason);
    assert.equal(await rejectsWith(aborted, Error), reason);
    assert.equal(queued(lock), 1);
    lock.release();
    assert.equal(await withinBooted(next), true);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  it("keeps a timeout above 2^31 ms (async and blocking)", async () => {
    const lock = new Lock();
    const held = new Event();
    const letGo = new Event();
    const holder = runTask("holdUntil", lock, held, letGo, "sync");
    await withinBooted(held.wait());
    const controller = new AbortController();
    const waiter = lock.acquire({ timeout: 2 ** 31 + 1000, signal: controller.signal });
    const blocking = runTask("acquireSyncFor", lock, 2 ** 31 + 1000);
    await queuedOn(lock, 2);
    controller.abort(new Error("done"));
    await rejectsWith(waiter, Error, { message: "done" });
    letGo.set();
    const result = await withinBooted(blocking);
    assert.equal(result.ok, true, "the blocking waiter was still waiting, then got it");
    await withinBooted(holder);
    assert.equal(lock.locked(), true); // acquireSyncFor keeps what it acquired
  });

  it("rejects an already-aborted signal at once, even when free; acquireSync throws it", async () => {
    const lock = new Lock();
    const reason = new Error("already");
    assert.equal(await rejectsWith(lock.acquire({ signal: abortedSignal(reason) }), Error), reason);
    assert.throws(
      () => lock.acquireSync({ signal: abortedSignal(reason) }),
      (e) => e === reason,
    );
    assert.equal(lock.locked(), false);
  });

  it("misuse: release unlocked -> RuntimeError; bad options -> TypeError/RangeError, nothing changed", async () => {
    const lock = new Lock();
    await throwsWith(() => lock.release(), RuntimeError, { message: "release unlocked lock" });
    for (const opts of [{ timeout: -1 }, { timeout: Number.NaN }, { blocking: false, timeout: 5 }]) {
      await rejectsWith(lock.acquire(opts), opts.blocking === false ? TypeError : RangeError);
      assert.throws(() => lock.acquireSync(opts), opts.blocking === false ? TypeError : RangeError);
    }
    assert.throws(() => lock.acquireSync({ signal: {} as AbortSignal }), TypeError);
    assert.equal(lock.locked(), false);
  });

  it("blocking:false and timeout:0 try once; a worker may release the main thread's lock (as Python)", async () => {
    const lock = new Lock();
    lock.acquireSync();
    assert.equal(lock.acquireSync({ blocking: false }), false);
    assert.equal(await lock.acquire({ timeout: 0 }), false);
    assert.equal(await withinBooted(runTask("releaseForeign", lock)), null);
    assert.equal(lock.locked(), false);
  });

  it("hold() and run() work across threads; run rejects with TimeoutError when the lock stays held", async () => {
    const lock = new Lock();
    const held = new Event();
    const letGo = new Event();
    const holder = runTask("holdUntil", lock, held, letGo, "async");
    await withinBooted(held.wait());
    await rejectsWith(lock.hold({ timeout: 20 }), TimeoutError);
    letGo.set();
    assert.equal(await withinBooted(lock.run(() => 42)), 42);
    await withinBooted(holder);
    assert.equal(lock.locked(), false);
  });
});

function queued(lock: Lock): number {
  const size = lock._core.size;
  assert.equal((Atomics.load(lock._core.i32, STATE) & QUEUED) !== 0, size > 0, "QUEUED iff someone waits");
  return size;
}
