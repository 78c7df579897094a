import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { RuntimeError } from "../../src/api/errors.ts";
import { Condition } from "../../src/threads/condition.ts";
import { fromHandle, toHandle } from "../../src/threads/handle.ts";
import { allocate, COND_PENDING, Kind, OVERFLOW } from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { rejectsWith, throwsWith } from "../helpers.ts";
import { runTask, terminateAll, withinBooted } from "./spawn.ts";
import { queuedOn, until } from "./util.ts";

after(terminateAll);

describe("threads Condition", () => {
  it("ping-pongs 5,000 turns between a blocking worker and async main-thread code: no lost wake-up", async () => {
    const cond = new Condition(new Lock());
    const turn = new Int32Array(new SharedArrayBuffer(4));
    const worker = runTask("pingPong", cond, turn, 5_000, 1, "sync");
    const main = (async () => {
      for (let i = 0; i < 5_000; i++) {
        await cond.acquire();
        await cond.waitFor(() => Atomics.load(turn, 0) === 0);
        Atomics.store(turn, 0, 1);
        cond.notify();
        cond.release();
      }
    })();
    await withinBooted(Promise.all([worker, main]), 60_000);
    assert.equal(Atomics.load(turn, 0), 0);
  });

  it("ping-pongs between two workers, one blocking and one async", async () => {
    const cond = new Condition();
    const turn = new Int32Array(new SharedArrayBuffer(4));
    const both = [
      runTask("pingPong", cond, turn, 5_000, 0, "async"),
      runTask("pingPong", cond, turn, 5_000, 1, "sync"),
    ];
    assert.deepEqual(await withinBooted(Promise.all(both), 60_000), [5_000, 5_000]);
  });

  it("notify(n) wakes exactly n waiters, longest first; notifyAll the rest; RLock depth restored", async () => {
    const lock = new RLock();
    const cond = new Condition(lock);
    const waits: Promise<{ notified: boolean; levels: number }>[] = [];
    for (const [depth, mode] of [
      [1, "sync"],
      [2, "async"],
      [3, "sync"],
    ] as const) {
      waits.push(runTask("condWait", cond, mode, depth));
      await queuedOn(cond, depth); // each waits before the next arrives
    }
    await cond.acquire();
    cond.notify(2);
    assert.equal(cond._core.size, 1, "exactly two tickets were taken out");
    cond.release();
    const [first, second] = await withinBooted(Promise.all(waits.slice(0, 2)));
    assert.deepEqual(first, { notified: true, levels: 1 });
    assert.deepEqual(second, { notified: true, levels: 2 });
    assert.equal(cond._core.size, 1, "the third still waits");
    cond.acquireSync();
    cond.notifyAll();
    cond.release();
    assert.deepEqual(await withinBooted(waits[2]!), { notified: true, levels: 3 });
    assert.equal(lock.locked(), false);
  });

  it("a notify before anyone waits is lost; notify(0) wakes nobody", async () => {
    const cond = new Condition();
    cond.acquireSync();
    cond.notify();
    cond.notifyAll();
    const waiter = runTask("condWait", cond, "sync", 1, 60_000);
    cond.release();
    await queuedOn(cond, 1);
    cond.acquireSync();
    cond.notify(0);
    assert.equal(cond._core.size, 1);
    cond.notify();
    cond.release();
    assert.deepEqual(await withinBooted(waiter), { notified: true, levels: 1 });
  });

  it("wait times out with false and the lock held again, leaving no ticket behind", async () => {
    const cond = new Condition();
    assert.deepEqual(await withinBooted(runTask("condWait", cond, "sync", 2, 30)), {
      notified: false,
      levels: 2,
    });
    assert.deepEqual(await withinBooted(runTask("condWait", cond, "async", 1, 30)), {
      notified: false,
      levels: 1,
    });
    await cond.acquire();
    assert.equal(await cond.wait({ timeout: 10 }), false);
    assert.equal(cond.waitSync({ timeout: 0 }), false);
    assert.equal(cond._lock._isOwned(), true);
    cond.release();
    assert.equal(cond._core.size, 0);
    assert.equal(cond.locked(), false);
  });

  it("an aborted wait takes the lock back, then rejects with the reason", async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    const controller = new AbortController();
    const waiting = cond.wait({ signal: controller.signal });
    await queuedOn(cond, 1);
    assert.equal(cond.locked(), false, "the lock was let go while waiting");
    controller.abort(new Error("stop"));
    await rejectsWith(waiting, Error, { message: "stop" });
    assert.equal(cond.locked(), true);
    assert.equal(cond._core.size, 0);
    cond.release();
  });

  it("misuse: wait/notify without the lock are RuntimeErrors; a foreign lock is a TypeError", async () => {
    const cond = new Condition();
    await rejectsWith(cond.wait(), RuntimeError, { message: "cannot wait on un-acquired lock" });
    assert.throws(() => cond.waitSync(), RuntimeError);
    await throwsWith(() => cond.notify(), RuntimeError, { message: "cannot notify on un-acquired lock" });
    assert.throws(() => cond.notifyAll(), RuntimeError);
    cond.acquireSync();
    assert.throws(() => cond.notify(-1), RangeError);
    cond.release();
    assert.throws(() => new Condition({} as Lock), TypeError);
  });

  it("misuse race: if letting go of a plain Lock throws (another thread released it meanwhile), the ticket leaves the FIFO", async () => {
    for (const mode of ["async", "sync"] as const) {
      const lock = new Lock();
      const cond = new Condition(lock);
      const patched = lock as unknown as { _releaseSave: () => number };
      const real = patched._releaseSave.bind(lock);
      // Another thread's release, between the waiter's ticket and its own release (which then throws).
      patched._releaseSave = () => {
        lock.release();
        return real();
      };
      lock.acquireSync();
      if (mode === "async") {
        await rejectsWith(withinBooted(cond.wait({ timeout: 5_000 })), RuntimeError, {
          message: "release unlocked lock",
        });
      } else {
        throwsWith(() => cond.waitSync({ timeout: 5_000 }), RuntimeError, {
          message: "release unlocked lock",
        });
      }
      delete (patched as Partial<typeof patched>)._releaseSave;
      assert.equal(cond._core.size, 0, `${mode}: no ticket left for a later notify to spend`);
      assert.equal(lock.locked(), false);
      // The Condition works as before: a real waiter gets the next notify.
      const waiter = runTask("condWait", cond, "sync", 1, 15_000);
      await queuedOn(cond, 1);
      await cond.acquire();
      cond.notify();
      cond.release();
      assert.deepEqual(await withinBooted(waiter, 20_000), { notified: true, levels: 1 });
    }
  });

  it("beyond its cells, notify(n) still wakes exactly min(n, waiting): async on main and blocking in workers", async () => {
    const lock = new Lock();
    const cond = Condition._attach(allocate(Kind.Condition, 2).buffer as SharedArrayBuffer, lock);
    const i32 = cond._core.i32;
    const overflowing = () => Atomics.load(i32, OVERFLOW);
    /**
     * Six waiters (two with cells, four without), each with a deadline; resolves how many were notified.
     * Every wait begins once the workers are up, within a few ms of the others: so the notifies, made as soon
     * as all six are counted, come long before any deadline, however long the workers took to start.
     */
    const round = async (notifies: number[]): Promise<number> => {
      const gate = new Int32Array(new SharedArrayBuffer(8));
      const remote = Array.from({ length: 3 }, () => runTask("condWaitOnGo", cond, "sync", 1, 6_000, gate));
      await until(() => Atomics.load(gate, 0) === 3, "three workers ready");
      const local = Array.from({ length: 3 }, () => cond.run(() => cond.wait({ timeout: 6_000 })));
      Atomics.store(gate, 1, 1);
      Atomics.notify(gate, 1);
      await until(() => cond._core.size + overflowing() >= 6, "six waiters did not queue");
      assert.equal(cond._core.size, 2, "two hold cells");
      for (const n of notifies) await cond.run(() => cond.notify(n));
      const results = await withinBooted(
        Promise.all([...local, ...remote.map(async (r) => (await r).notified)]),
        30_000,
      );
      assert.equal(overflowing(), 0, "nobody is left counted");
      assert.equal(Atomics.load(i32, COND_PENDING), 0, "no notify left owed");
      assert.equal(lock.locked(), false);
      return results.filter(Boolean).length;
    };
    assert.equal(await round([1]), 1, "notify(1) with every waiter: one woken (no spurious wake-up)");
    assert.equal(await round([1, 3]), 4, "two notifies reach past the cells: exactly 1 + 3 woken");
  });

  it("beyond its cells: a worker waiter handed the lock ahead of a main-thread waiter hands it on once, and each holds it alone", async () => {
    // Two waiters without a cell are notified together and queue for the lock, the worker's first: the worker
    // gets it, lets go once (handing it to the main thread's waiter) and must not let go a second time.
    const lock = new Lock();
    const cond = Condition._attach(allocate(Kind.Condition, 1).buffer as SharedArrayBuffer, lock);
    const i32 = cond._core.i32;
    const first = cond.run(() => cond.wait()); // holds the only cell
    const remote = runTask("condWait", cond, "sync");
    // Counted while it still holds the lock: once it has let go, this thread's next waiter takes the lock at once.
    await until(
      () => Atomics.load(i32, OVERFLOW) === 1 && !lock.locked(),
      "the worker waits without a cell, the lock let go",
    );
    const local = cond.run(async () => {
      const notified = await cond.wait();
      // Holding the lock until the worker's task has returned: whatever it let go of is seen here.
      const worker = await withinBooted(remote, 30_000);
      return { notified, worker, holds: lock.locked() };
    });
    assert.equal(Atomics.load(i32, OVERFLOW), 2);
    await cond.acquire();
    cond.notify(3); // the cell's waiter onto the lock's FIFO; one owed notify to each waiter without a cell
    // The main thread's waiter can only look once this thread yields: the worker queues for the lock first.
    const deadline = performance.now() + 30_000;
    while (lock._core.size < 2)
      assert.ok(performance.now() < deadline, "the worker did not queue for the lock");
    await until(() => lock._core.size === 3, "the main thread's waiter did not queue for the lock");
    cond.release();
    assert.equal(await withinBooted(first, 30_000), true);
    assert.deepEqual(await withinBooted(local, 30_000), {
      notified: true,
      worker: { notified: true, levels: 1 },
      holds: true,
    });
    assert.equal(Atomics.load(i32, OVERFLOW), 0);
    assert.equal(Atomics.load(i32, COND_PENDING), 0);
    assert.equal(lock.locked(), false);
  });

  it("beyond its cells: a timeout or an abort leaves without a notify; an RLock waiter comes back at its depth", async () => {
    const cond = Condition._attach(allocate(Kind.Condition, 1).buffer as SharedArrayBuffer, new RLock());
    const i32 = cond._core.i32;
    cond.acquireSync();
    const first = cond.wait({ timeout: 10_000 }); // holds the only cell
    await cond.acquire();
    await cond.acquire(); // depth 2
    const controller = new AbortController();
    const second = cond.wait({ timeout: 10_000, signal: controller.signal }).then(
      (v) => ({ v, depth: cond._lock._depth() }),
      (e: unknown) => ({ e, depth: cond._lock._depth() }),
    );
    await cond.acquire();
    assert.equal(Atomics.load(i32, OVERFLOW), 1, "the second waiter has no cell");
    assert.equal(cond.waitSync({ timeout: 30 }), false, "a blocking waiter without a cell times out");
    const reason = new Error("stop");
    controller.abort(reason);
    cond.release();
    assert.deepEqual(await withinBooted(second), { e: reason, depth: 2 });
    cond.release();
    cond.release();
    assert.equal(Atomics.load(i32, OVERFLOW), 0);
    await cond.run(() => cond.notify(5));
    assert.equal(await withinBooted(first), true);
    cond.release();
    assert.equal(cond.locked(), false);
  });

  it("beyond its cells: a notified RLock waiter without a cell comes back at its depth", async () => {
    const cond = Condition._attach(allocate(Kind.Condition, 1).buffer as SharedArrayBuffer, new RLock());
    await cond.acquire();
    const first = cond.wait({ timeout: 10_000 });
    await cond.acquire();
    await cond.acquire();
    await cond.acquire(); // depth 3, no cell
    const second = cond.wait({ timeout: 10_000 }).then((v) => ({ v, depth: cond._lock._depth() }));
    await cond.run(() => cond.notify(2));
    assert.equal(await withinBooted(first), true);
    cond.release();
    assert.deepEqual(await withinBooted(second), { v: true, depth: 3 });
    for (let i = 0; i < 3; i++) cond.release();
    assert.equal(cond.locked(), false);
  });

  it("a handle carries the Condition and its lock to another thread", () => {
    const lock = new Lock();
    const cond = new Condition(lock);
    const copy = fromHandle(structuredClone(toHandle(cond)));
    assert.ok(copy instanceof Condition);
    cond.acquireSync();
    assert.equal(copy.locked(), true, "the copy sees the same lock");
    assert.equal(copy.tryAcquire(), false);
    cond.release();
  });
});
