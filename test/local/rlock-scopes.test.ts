/**
 * RLock ownership in the local tier (API.md, "RLock ownership in the local tier"): the owner is the innermost
 * `rlock.run()` scope, else the current Thread (the main thread outside any). Concurrent run() calls exclude
 * each other; nested calls re-enter; two Threads exclude each other; plain acquire()/hold() from two tasks of
 * the same thread re-enter; nothing deadlocks on itself.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Condition, Event, RLock, RuntimeError, Thread, TimeoutError } from "../../src/index.ts";
import { rlockReleaseLevels } from "../contract/bodies/rlock.ts";
import { isPending, rejectsWith, throwsWith, within } from "../helpers.ts";
import { localTier } from "./tier.ts";

const settle = localTier.agents.settle;

/** A promise with its resolve function, to hold a task at a known point. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Runs `target` in a new started Thread; resolves what it returns, rejects with what it throws. */
function inThread<T>(target: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    new Thread({ target: () => target().then(resolve, reject) }).start();
  });
}

describe("RLock ownership in the local tier", () => {
  describe("run() scopes", () => {
    it("concurrent run() calls exclude each other, even from one thread", async () => {
      const lock = new RLock();
      const first = gate();
      const log: string[] = [];
      const a = lock.run(async () => {
        log.push("a in");
        await first.opened;
        log.push("a out");
        return "a";
      });
      const b = lock.run(async () => {
        log.push("b in");
        return "b";
      });
      assert.equal(await isPending(b, settle), true, "b waits while a's scope holds the lock");
      assert.deepEqual(log, ["a in"]);
      assert.equal(lock.tryAcquire(), false, "the main thread outside the scopes does not own it either");
      first.open();
      assert.deepEqual(await within(Promise.all([a, b])), ["a", "b"]);
      assert.deepEqual(log, ["a in", "a out", "b in"]);
      assert.equal(lock.locked(), false);
    });

    it("concurrent run() calls are served in the order they were made", async () => {
      const lock = new RLock();
      const first = gate();
      const order: number[] = [];
      const runs = [0, 1, 2, 3].map((i) =>
        lock.run(async () => {
          if (i === 0) await first.opened;
          order.push(i);
        }),
      );
      await settle();
      first.open();
      await within(Promise.all(runs));
      assert.deepEqual(order, [0, 1, 2, 3]);
    });

    it("run() nested in run() re-enters, at any depth, and acquire()/hold() inside re-enter too", async () => {
      const lock = new RLock();
      const result = await within(
        lock.run(async () => {
          assert.equal(await within(lock.acquire()), true);
          {
            using _guard = await within(lock.hold());
            assert.equal(lock.tryAcquire(), true);
            lock.release();
          }
          lock.release();
          return lock.run(() => lock.run(async () => lock.run(() => 42)));
        }),
      );
      assert.equal(result, 42);
      assert.equal(lock.locked(), false);
    });

    it("run() re-enters through another RLock's run() nested in it", async () => {
      const outer = new RLock();
      const inner = new RLock();
      const result = await within(
        outer.run(() =>
          inner.run(async () => {
            assert.equal(await within(outer.acquire()), true);
            outer.release();
            return outer.run(() => inner.run(() => "both"));
          }),
        ),
      );
      assert.equal(result, "both");
      assert.equal(outer.locked(), false);
      assert.equal(inner.locked(), false);
    });

    it("tasks awaited inside a run() scope share its ownership", async () => {
      const lock = new RLock();
      await within(
        lock.run(async () => {
          const both = await within(Promise.all([lock.acquire(), lock.acquire()]));
          assert.deepEqual(both, [true, true]);
          lock.release();
          lock.release();
        }),
      );
      assert.equal(lock.locked(), false);
    });

    it("code of the thread outside a run() scope does not own what the scope holds", async () => {
      const lock = new RLock();
      const inside = gate();
      const leave = gate();
      const scoped = lock.run(async () => {
        inside.open();
        await leave.opened;
      });
      await within(inside.opened);
      assert.equal(lock.locked(), true);
      await throwsWith(() => lock.release(), RuntimeError, {
        code: "ERR_RUNTIME",
        message: "cannot release un-acquired lock",
      });
      assert.equal(lock.tryAcquire(), false);
      const waiting = lock.acquire();
      assert.equal(await isPending(waiting, settle), true);
      leave.open();
      await within(scoped);
      assert.equal(await within(waiting), true, "it gets the lock once the scope is done");
      assert.equal(await rlockReleaseLevels(lock), 1);
    });

    it("run() inside code that holds the lock plainly re-enters (the scope is nested in the thread)", async () => {
      const lock = new RLock();
      await lock.acquire();
      assert.equal(await within(lock.run(() => "nested")), "nested");
      assert.equal(await rlockReleaseLevels(lock), 1);
    });

    it("a Thread started inside a run() scope does not inherit its ownership", async () => {
      const lock = new RLock();
      const got = await within(
        lock.run(() => inThread(async () => [lock.tryAcquire(), await lock.acquire({ timeout: 10 })])),
      );
      assert.deepEqual(got, [false, false]);
      assert.equal(lock.locked(), false);
    });
  });

  describe("threads", () => {
    it("two Threads exclude each other", async () => {
      const lock = new RLock();
      const held = new Event();
      const letGo = new Event();
      const first = inThread(async () => {
        await lock.acquire();
        await lock.acquire();
        held.set();
        await letGo.wait();
        return rlockReleaseLevels(lock);
      });
      await within(held.wait());
      let secondGot = false;
      const triedBoth = new Event();
      const second = inThread(async () => {
        const tried = lock.tryAcquire();
        const timedOut = await lock.acquire({ timeout: 10 });
        triedBoth.set();
        await lock.acquire();
        secondGot = true;
        lock.release();
        return [tried, timedOut];
      });
      await within(triedBoth.wait());
      assert.equal(await isPending(second, settle), true);
      assert.equal(secondGot, false);
      const mainRun = lock.run(() => "main");
      assert.equal(await isPending(mainRun, settle), true, "the main thread's run() waits too");
      letGo.set();
      assert.equal(await within(first), 2);
      assert.deepEqual(await within(second), [false, false]);
      assert.equal(secondGot, true);
      assert.equal(await within(mainRun), "main");
      assert.equal(lock.locked(), false);
    });

    it("plain acquire() and hold() from two tasks of the same thread re-enter", async () => {
      const lock = new RLock();
      await lock.acquire();
      const otherTask = (async () => {
        const got = await lock.acquire({ timeout: 0 });
        const guard = await within(lock.hold());
        guard.release();
        return got;
      })();
      assert.equal(await within(otherTask), true);
      assert.equal(await rlockReleaseLevels(lock), 2, "both tasks' levels belong to the main thread");

      const inOneThread = await within(
        inThread(async () => {
          const hold = gate();
          const tasks = [0, 1, 2].map(async () => {
            const got = await lock.acquire({ timeout: 0 });
            await hold.opened;
            return got;
          });
          await settle();
          hold.open();
          const results = await Promise.all(tasks);
          return [results, await rlockReleaseLevels(lock)];
        }),
      );
      assert.deepEqual(inOneThread, [[true, true, true], 3]);
      assert.equal(lock.locked(), false);
    });

    it("release by a Thread that does not own it: RuntimeError, and the owner keeps its depth", async () => {
      const lock = new RLock();
      await lock.acquire();
      await lock.acquire();
      const error = await within(
        inThread(async () => {
          try {
            lock.release();
            return null;
          } catch (e) {
            return e;
          }
        }),
      );
      assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${String(error)}`);
      assert.equal(error.code, "ERR_RUNTIME");
      assert.equal(error.message, "cannot release un-acquired lock");
      assert.equal(lock.locked(), true);
      assert.equal(await rlockReleaseLevels(lock), 2);
      assert.equal(lock.locked(), false);
    });

    it("the main thread's release of a Thread's lock is a RuntimeError too", async () => {
      const lock = new RLock();
      const held = new Event();
      const letGo = new Event();
      const thread = inThread(async () => {
        await lock.acquire();
        held.set();
        await letGo.wait();
        return rlockReleaseLevels(lock);
      });
      await within(held.wait());
      await throwsWith(() => lock.release(), RuntimeError, { message: "cannot release un-acquired lock" });
      letGo.set();
      assert.equal(await within(thread), 1);
      assert.equal(lock.locked(), false);
    });
  });

  describe("nothing deadlocks on itself", () => {
    it("any mix of run(), hold() and acquire() nested in one Thread completes", async () => {
      const a = new RLock();
      const b = new RLock();
      const result = await within(
        inThread(async () => {
          using _held = await a.hold();
          await b.acquire();
          const value = await a.run(() =>
            b.run(async () => {
              using _again = await b.hold();
              return a.run(async () => {
                const reentered = await a.acquire({ timeout: 0 });
                a.release();
                return reentered ? "done" : "excluded";
              });
            }),
          );
          b.release();
          return value;
        }),
        2_000,
        "nested scopes of one Thread",
      );
      assert.equal(result, "done");
      assert.equal(a.locked(), false);
      assert.equal(b.locked(), false);
    });

    it("a Condition wait inside run() is notified by a concurrent run() and resumes owning the scope", async () => {
      const lock = new RLock();
      const cond = new Condition(lock);
      let ready = false;
      const waiter = cond.run(async () => {
        await lock.acquire(); // depth 2 in this scope
        const value = await cond.waitFor(() => ready);
        assert.equal(lock.tryAcquire(), true, "the scope owns the lock again");
        const nested = await within(lock.run(() => "nested"));
        lock.release();
        lock.release(); // the run() level is left for run() to release
        return [value, nested, lock.locked()];
      });
      const notifier = cond.run(() => {
        ready = true;
        cond.notify();
      });
      await within(notifier);
      assert.deepEqual(await within(waiter), [true, "nested", true]);
      assert.equal(lock.locked(), false);
    });

    it("a run() that times out waiting for a sibling scope rejects instead of hanging", async () => {
      const lock = new RLock();
      const leave = gate();
      const holder = lock.run(() => leave.opened);
      await settle();
      let called = false;
      await rejectsWith(
        lock.run(
          () => {
            called = true;
          },
          { timeout: 10 },
        ),
        TimeoutError,
      );
      assert.equal(called, false);
      leave.open();
      await within(holder);
      assert.equal(lock.locked(), false);
    });
  });
});
