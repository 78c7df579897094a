/**
 * `run(fn)` on the local tier when the lock is free: it is taken at once, `fn` runs in the same step, and a
 * synchronous `fn` has let go before `run` returns. These are the cases the fast path must keep exact.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Lock, RLock, RuntimeError, Semaphore, TimeoutError } from "../../src/index.ts";

/** Rejects if `promise` has not settled within `ms`, so that a lock left held fails instead of hanging. */
function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe("local run(fn) on a free lock", () => {
  it("runs a synchronous fn holding the lock and has released it when run() returns", async () => {
    const lock = new Lock();
    let heldInside = false;
    const done = lock.run(() => {
      heldInside = lock.locked();
      return "value";
    });
    assert.equal(heldInside, true);
    assert.equal(lock.locked(), false);
    assert.equal(await within(done), "value");
  });

  it("a synchronous throw rejects run() with it and releases", async () => {
    const lock = new Lock();
    const boom = new Error("boom");
    const done = lock.run(() => {
      throw boom;
    });
    assert.equal(lock.locked(), false);
    await assert.rejects(within(done), (e) => e === boom);
  });

  it("holds the lock until a returned thenable settles, then releases and resolves its value", async () => {
    const lock = new Lock();
    let settle: (v: number) => void = () => {};
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a native promise is the case under test
    const thenable = { then: (resolve: (v: number) => void) => (settle = resolve) };
    const done = lock.run(() => thenable as unknown as Promise<number>);
    await new Promise((r) => setImmediate(r));
    assert.equal(lock.locked(), true, "held while fn's result is pending");
    settle(7);
    assert.equal(await within(done), 7);
    assert.equal(lock.locked(), false);
  });

  it("releases after a returned promise rejects, and rejects with its reason", async () => {
    const sem = new Semaphore(1);
    const boom = new Error("boom");
    await assert.rejects(within(sem.run(() => Promise.reject(boom))), (e) => e === boom);
    assert.equal(sem.value, 1);
  });

  it("resolves a returned plain object as is (an object without then is not awaited)", async () => {
    const lock = new Lock();
    // biome-ignore lint/suspicious/noThenProperty: a `then` that is not a function must not make it awaited
    const value = { then: 1 };
    assert.equal(await within(lock.run(() => value)), value);
    assert.equal(lock.locked(), false);
  });

  it("an already-aborted signal rejects with its reason, never calls fn and takes nothing", async () => {
    const lock = new Lock();
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    let called = false;
    const done = lock.run(
      () => {
        called = true;
      },
      { signal: controller.signal },
    );
    assert.equal(lock.locked(), false);
    await assert.rejects(within(done), (e) => e === controller.signal.reason);
    assert.equal(called, false);
  });

  it("bad options reject with TypeError/RangeError, never call fn and take nothing", async () => {
    const lock = new Lock();
    let called = false;
    const fn = () => {
      called = true;
    };
    await assert.rejects(within(lock.run(fn, { timeout: -1 })), RangeError);
    await assert.rejects(within(lock.run(fn, { blocking: false, timeout: 5 })), TypeError);
    assert.equal(called, false);
    assert.equal(lock.locked(), false);
  });

  it("a busy lock with blocking:false rejects with TimeoutError and never calls fn", async () => {
    const lock = new Lock();
    lock.tryAcquire();
    let called = false;
    const done = lock.run(
      () => {
        called = true;
      },
      { blocking: false },
    );
    await assert.rejects(within(done), TimeoutError);
    assert.equal(called, false);
    assert.equal(lock.locked(), true);
  });

  it("an fn that lets go of the lock itself makes run() reject with RuntimeError, never throw", async () => {
    const lock = new Lock();
    let done: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      done = lock.run(() => lock.release());
    });
    await assert.rejects(within(done!), RuntimeError);
    assert.equal(lock.locked(), false);
  });

  it("RLock: a synchronous fn owns the lock in its scope, and nested synchronous run() re-enters", async () => {
    const lock = new RLock();
    const depth = (d: number): Promise<number> | number =>
      d === 0 ? (lock.locked() ? 1 : 0) : lock.run(() => depth(d - 1));
    assert.equal(await within(Promise.resolve(depth(5))), 1);
    assert.equal(lock.locked(), false);
  });
});
