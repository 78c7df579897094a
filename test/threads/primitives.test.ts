import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { RuntimeError, ValueError } from "../../src/api/errors.ts";
import { Event } from "../../src/threads/event.ts";
import { GUARD, QUEUED, STATE } from "../../src/threads/layout.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../../src/threads/semaphore.ts";
import { abortedSignal, rejectsWith, throwsWith } from "../helpers.ts";
import { runTask, terminateAll, withinBooted } from "./spawn.ts";
import { logged, queuedOn, sharedLog, until } from "./util.ts";

after(terminateAll);

describe("threads RLock", () => {
  it("two workers x 50,000 nested (depth 2) plain increments end exact", async () => {
    const lock = new RLock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    await withinBooted(
      Promise.all([
        runTask("increments", lock, counter, 50_000, "sync"),
        runTask("increments", lock, counter, 50_000, "async"),
      ]),
      60_000,
    );
    assert.equal(counter[0], 100_000);
    assert.equal(lock.locked(), false);
  });

  it("is owned by the thread: it re-enters here, and another thread's release is a RuntimeError", async () => {
    const lock = new RLock();
    assert.equal(await lock.acquire(), true);
    assert.equal(lock.acquireSync(), true);
    assert.equal(lock.tryAcquire(), true);
    const error = await withinBooted(runTask("releaseForeign", lock));
    assert.deepEqual(error, {
      name: "RuntimeError",
      code: "ERR_RUNTIME",
      message: "cannot release un-acquired lock",
    });
    assert.equal((await withinBooted(runTask("acquireSyncFor", lock, 20))).ok, false);
    lock.release();
    lock.release();
    assert.equal(lock.locked(), true, "one level left");
    lock.release();
    assert.equal(lock.locked(), false);
    await throwsWith(() => lock.release(), RuntimeError, { message: "cannot release un-acquired lock" });
  });

  it("hands the lock to a waiting worker, which then owns it at its own depth", async () => {
    const lock = new RLock();
    lock.acquireSync();
    const worker = runTask("rlockDepth", lock, 3);
    await queuedOn(lock, 1);
    lock.release();
    assert.equal(await withinBooted(worker), true);
    assert.equal(lock.locked(), false);
  });
});

describe("threads Semaphore", () => {
  it("never admits more holders than permits, across blocking and async workers", async () => {
    const sem = new Semaphore(2);
    const inside = new Int32Array(new SharedArrayBuffer(4));
    const most = await withinBooted(
      Promise.all([
        runTask("permitRounds", sem, inside, 5_000, "sync"),
        runTask("permitRounds", sem, inside, 5_000, "async"),
        runTask("permitRounds", sem, inside, 5_000, "sync"),
      ]),
      60_000,
    );
    assert.ok(Math.max(...most) <= 2, `at most 2 inside, saw ${most}`);
    assert.equal(sem.value, 2);
  });

  it("release(n) wakes exactly n waiters, longest first; the others keep waiting", async () => {
    const sem = new Semaphore(0);
    const log = sharedLog(4);
    const waiters: Promise<boolean>[] = [];
    for (const id of [1, 2, 3]) {
      waiters.push(runTask("acquireAndKeep", sem, log, id, id === 2 ? "async" : "sync"));
      await queuedOn(sem, id); // each waits before the next arrives
    }
    sem.release(2);
    assert.deepEqual(await withinBooted(Promise.all(waiters.slice(0, 2))), [true, true]);
    assert.deepEqual(logged(log).sort(), [1, 2], "the two longest waiters got the permits");
    assert.equal(sem._core.size, 1, "the third still waits");
    assert.equal(sem.value, 0);
    sem.release();
    assert.equal(await withinBooted(waiters[2]!), true);
    assert.equal(sem.value, 0);
    assert.equal(Atomics.load(sem._core.i32, STATE) & QUEUED, 0);
  });

  it("BoundedSemaphore: over-release is a ValueError and changes nothing", async () => {
    const sem = new BoundedSemaphore(2);
    await throwsWith(() => sem.release(), ValueError, { message: "Semaphore released too many times" });
    assert.equal(sem.value, 2);
    assert.equal(sem.tryAcquire(), true);
    await throwsWith(() => sem.release(2), ValueError);
    assert.equal(sem.value, 1);
    sem.release();
    assert.equal(sem.value, 2);
  });

  it("bad values: RangeError/TypeError, nothing changed", () => {
    assert.throws(() => new Semaphore(-1), RangeError);
    assert.throws(() => new Semaphore(1.5), RangeError);
    assert.throws(() => new Semaphore(2 ** 30), RangeError);
    assert.throws(() => new Semaphore("2" as never), TypeError);
    const sem = new Semaphore(1);
    assert.throws(() => sem.release(0), RangeError);
    assert.throws(() => sem.acquireSync({ timeout: -5 }), RangeError);
    assert.equal(sem.value, 1);
  });

  it("an aborted or timed-out waiter takes no permit and leaves no ghost", async () => {
    const sem = new Semaphore(0);
    const controller = new AbortController();
    const aborted = sem.acquire({ signal: controller.signal });
    assert.equal(await sem.acquire({ timeout: 10 }), false);
    controller.abort(new Error("stop"));
    await rejectsWith(aborted, Error, { message: "stop" });
    assert.equal(sem._core.size, 0);
    sem.release();
    assert.equal(sem.value, 1);
    await rejectsWith(sem.acquire({ signal: abortedSignal() }), Error);
    assert.equal(sem.value, 1, "an already-aborted acquire took nothing");
  });
});

describe("threads Event", () => {
  it("set() with waiters raises the flag only once it holds the guard they queue under: a clear() and a later wait cannot slip between", async () => {
    const event = new Event();
    const first = event.wait({ timeout: 240_000 }); // only a hang: the setter's start-up comes within it
    await queuedOn(event, 1);
    event._core.lock(); // the FIFO's guard, as a waiter that queues holds it
    const setter = runTask("setEvent", event);
    try {
      await until(() => (Atomics.load(event._core.i32, GUARD) & 1) !== 0, "the setter waits for the guard");
      assert.equal(event.isSet(), false, "not raised before the setter holds the guard");
    } finally {
      event._core.unlock();
    }
    assert.equal(await withinBooted(setter), true);
    assert.equal(await withinBooted(first), true);
    assert.equal(event.isSet(), true);
  });

  it("set() wakes every waiter on every thread, blocking and async; each resolves true though cleared after", async () => {
    const event = new Event();
    const waits = [
      runTask("waitEvent", event, "sync"),
      runTask("waitEvent", event, "async"),
      runTask("waitEvent", event, "sync", 60_000),
      event.wait(),
    ];
    await queuedOn(event, 4);
    event.set();
    event.clear();
    assert.deepEqual(await withinBooted(Promise.all(waits)), [true, true, true, true]);
    assert.equal(event._core.size, 0);
    assert.equal(event.isSet(), false);
  });

  it("wait resolves at once when set, false after a timeout, and leaves no ghost", async () => {
    const event = new Event();
    assert.equal(await withinBooted(runTask("waitEvent", event, "sync", 20)), false);
    assert.equal(await event.wait({ timeout: 10 }), false);
    assert.equal(event.waitSync({ timeout: 0 }), false);
    assert.equal(event._core.size, 0);
    assert.equal(Atomics.load(event._core.i32, STATE), 0);
    event.set();
    assert.equal(await event.wait(), true);
    assert.equal(event.waitSync(), true);
    assert.equal(await withinBooted(runTask("waitEvent", event, "async")), true);
  });

  it("a set flag lets a try through while the set() that woke the last waiter is still leaving the core", async () => {
    // The moment a granted waiter has woken but its setter has not yet cleared QUEUED and left GUARD.
    const event = new Event();
    event._core.lock();
    Atomics.or(event._core.i32, STATE, 1 | QUEUED);
    try {
      assert.equal(event.waitSync({ timeout: 0 }), true);
      assert.equal(await event.wait({ timeout: 0 }), true);
      assert.equal(event.waitSync(), true);
    } finally {
      Atomics.and(event._core.i32, STATE, ~QUEUED);
      event._core.unlock();
    }
  });
});
