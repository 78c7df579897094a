import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError, TimeoutError } from "../../src/api/errors.ts";
import type * as api from "../../src/api/primitives.ts";
import { abortedSignal, isPending, rejectsWith, sleep, throwsWith } from "../helpers.ts";
import {
  conditionNotify,
  conditionUseUnheld,
  conditionWaitAndLog,
  conditionWaitAtDepth,
} from "./bodies/condition.ts";
import { holdUntil } from "./bodies/lock.ts";
import { rlockReleaseLevels, rlockTryOnce } from "./bodies/rlock.ts";
import { deadlines, type Tier } from "./tier.ts";

/**
 * threading.Condition: wait/notify under the lock, exactly-n FIFO wake-ups, no memory of past notifies, the
 * lock (an RLock at its old depth) re-acquired before wait settles, waitFor with an absolute deadline; plus the
 * contract's options bag, abort and "no lost wake-up".
 */
export function conditionContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  /** Everything a test needs to start waiters that are provably waiting. */
  function setup(lock?: api.Lock | api.RLock) {
    return { cond: tier.Condition(lock), ready: tier.Semaphore(0), log: tier.SimpleQueue<string>() };
  }

  /**
   * Starts an agent that waits on `cond` and resolves once it is waiting: it announces itself on `ready` while
   * holding the lock, so the lock can only be ours again once its `wait()` has let go of it.
   */
  async function startWaiter(
    { cond, ready, log }: ReturnType<typeof setup>,
    id: string,
    timeout?: number,
  ): Promise<{ done: Promise<boolean> }> {
    const done = agents.spawn(conditionWaitAndLog, cond, ready, log, id, timeout);
    await within(ready.acquire(), 10_000, `waiter ${id} starting`);
    await within(cond.acquire(), 10_000, `waiter ${id} letting go of the lock`);
    await cond.release();
    return { done };
  }

  async function drain(log: api.SimpleQueue<string>): Promise<string[]> {
    const items = [];
    while (!(await log.empty())) items.push(await log.getNowait());
    return items;
  }

  /** Waits on a Condition over a plain Lock from a task of the main agent: acquire, wait, release. */
  async function waitOnce(cond: api.Condition, opts?: { timeout?: number; signal?: AbortSignal }) {
    await cond.acquire();
    try {
      return await cond.wait(opts);
    } finally {
      await cond.release();
    }
  }

  describe(`Condition [${tier.name}]`, () => {
    describe("its lock", () => {
      it("is a new RLock by default: reentrant, and released only as often as acquired", async () => {
        const cond = tier.Condition();
        assert.equal(await cond.locked(), false);
        assert.equal(await within(cond.acquire()), true);
        assert.equal(await within(cond.acquire()), true);
        assert.equal(await cond.tryAcquire(), true);
        assert.equal(await agents.spawn(rlockTryOnce, cond), false, "other agents are excluded");
        assert.equal(await rlockReleaseLevels(cond), 3);
        await throwsWith(() => cond.release(), RuntimeError, { message: "cannot release un-acquired lock" });
        assert.equal(await cond.locked(), false);
      });

      it("is the lock it was given: acquire, tryAcquire, release and locked act on it", async () => {
        const lock = tier.Lock();
        const cond = tier.Condition(lock);
        await cond.acquire();
        assert.equal(await lock.locked(), true);
        assert.equal(await cond.tryAcquire(), false, "a plain Lock is not reentrant");
        await lock.release();
        assert.equal(await cond.locked(), false);
        assert.equal(await lock.tryAcquire(), true);
        assert.equal(await cond.locked(), true);
        await cond.release();
        assert.equal(await lock.locked(), false);
        await throwsWith(() => cond.release(), RuntimeError, { message: "release unlocked lock" });
      });

      it("hold() and run() hold the condition's lock", async () => {
        const lock = tier.RLock();
        const cond = tier.Condition(lock);
        {
          await using _guard = await within(cond.hold());
          assert.equal(await lock.locked(), true);
        }
        assert.equal(await lock.locked(), false);
        assert.equal(await cond.run(async () => lock.locked()), true);
        assert.equal(await lock.locked(), false);
        const boom = new Error("boom");
        assert.equal(
          await rejectsWith(
            cond.run(() => {
              throw boom;
            }),
            Error,
          ),
          boom,
        );
        assert.equal(await lock.locked(), false);
      });

      it("hold() and run() reject with TimeoutError while another agent keeps the lock", async () => {
        const cond = tier.Condition();
        const held = tier.Event();
        const letGo = tier.Event();
        const holder = agents.spawn(holdUntil, cond, held, letGo);
        await within(held.wait());
        await rejectsWith(cond.hold({ timeout: 10 }), TimeoutError, { code: "ERR_TIMEOUT" });
        let called = false;
        await rejectsWith(
          cond.run(
            () => {
              called = true;
            },
            { timeout: 10 },
          ),
          TimeoutError,
        );
        assert.equal(called, false);
        await letGo.set();
        await within(holder);
        assert.equal(await cond.locked(), false);
      });
    });

    describe("wait and notify", () => {
      it("notify wakes a waiter, which resolves true", async () => {
        const s = setup();
        const { done } = await startWaiter(s, "w");
        await within(conditionNotify(s.cond, 1));
        assert.equal(await within(done), true);
        assert.deepEqual(await drain(s.log), ["w"]);
        assert.equal(await s.cond.locked(), false);
      });

      it("wakes waiters one at a time in the order they began to wait", async () => {
        const s = setup();
        const ids = ["a", "b", "c", "d"];
        const waiters = [];
        for (const id of ids) waiters.push((await startWaiter(s, id)).done);
        for (const id of ids) {
          await conditionNotify(s.cond, 1);
          assert.equal(await within(s.log.get()), id);
        }
        assert.deepEqual(await within(Promise.all(waiters)), [true, true, true, true]);
      });

      it("notify(n) wakes exactly min(n, waiting), the longest waiters first; notify(0) wakes nobody", async () => {
        const s = setup();
        const ids = ["w0", "w1", "w2", "w3", "w4"];
        const waiters = [];
        for (const id of ids) waiters.push((await startWaiter(s, id)).done);

        await conditionNotify(s.cond, 2);
        assert.deepEqual(await within(Promise.all(waiters.slice(0, 2))), [true, true]);
        for (const w of waiters.slice(2)) assert.equal(await isPending(w, agents.settle), true);
        assert.deepEqual((await drain(s.log)).sort(), ["w0", "w1"]);

        await conditionNotify(s.cond, 0);
        for (const w of waiters.slice(2)) assert.equal(await isPending(w, agents.settle), true);
        assert.deepEqual(await drain(s.log), []);

        await conditionNotify(s.cond, 1);
        assert.equal(await within(waiters[2]!), true);
        for (const w of waiters.slice(3)) assert.equal(await isPending(w, agents.settle), true);
        assert.deepEqual(await drain(s.log), ["w2"]);

        await conditionNotify(s.cond, 10); // more than are waiting: the rest, and no error
        assert.deepEqual(await within(Promise.all(waiters.slice(3))), [true, true]);
        assert.deepEqual((await drain(s.log)).sort(), ["w3", "w4"]);
      });

      it("notifyAll wakes every waiter present, and only those", async () => {
        const s = setup();
        const waiters = [];
        for (const id of ["a", "b", "c"]) waiters.push((await startWaiter(s, id)).done);
        await s.cond.acquire();
        await s.cond.notifyAll();
        await s.cond.release();
        assert.deepEqual(await within(Promise.all(waiters)), [true, true, true]);
        assert.deepEqual((await drain(s.log)).sort(), ["a", "b", "c"]);
        const late = (await startWaiter(s, "late")).done;
        assert.equal(await isPending(late, agents.settle), true, "a later waiter was not woken");
        await conditionNotify(s.cond, 1);
        assert.equal(await within(late), true);
      });

      it("forgets a notify made while nobody waits", async () => {
        const cond = tier.Condition();
        await cond.acquire();
        await cond.notify();
        await cond.notifyAll();
        assert.equal(await cond.wait({ timeout: 20 }), false);
        await cond.release();
        const s = { ready: tier.Semaphore(0), log: tier.SimpleQueue<string>(), cond };
        await conditionNotify(cond, 1);
        const { done } = await startWaiter(s, "late");
        assert.equal(await isPending(done, agents.settle), true, "the earlier notify was not kept for it");
        await conditionNotify(cond, 1);
        assert.equal(await within(done), true);
      });

      it("a notified waiter cannot return before the notifier releases the lock", async () => {
        const s = setup();
        const { done } = await startWaiter(s, "w");
        await s.cond.acquire();
        await s.cond.notify();
        assert.equal(await isPending(done, agents.settle), true, "it must re-acquire the lock first");
        assert.deepEqual(await drain(s.log), []);
        await s.cond.release();
        assert.equal(await within(done), true);
      });

      it("lets go of every level of its RLock while waiting and takes them all back (3 -> 3) when notified", async () => {
        const s = setup();
        const done = agents.spawn(conditionWaitAtDepth, s.cond, 3, s.ready, undefined);
        await within(s.ready.acquire());
        await within(s.cond.acquire(), 10_000, "the waiter letting go of all 3 levels");
        await s.cond.notify();
        assert.equal(await isPending(done, agents.settle), true);
        await s.cond.release();
        assert.deepEqual(await within(done), { notified: true, depth: 3 });
        assert.equal(await s.cond.locked(), false);
      });

      it("works over a plain Lock: the waiter holds the Lock again when wait resolves", async () => {
        const lock = tier.Lock();
        const s = setup(lock);
        const { done } = await startWaiter(s, "w");
        await s.cond.acquire();
        await s.cond.notify();
        await s.cond.release();
        assert.equal(await within(done), true);
        assert.equal(await lock.locked(), false, "the waiter released what wait gave back");
        assert.deepEqual(await drain(s.log), ["w"]);
      });

      it("over a plain Lock counts the lock as held by anyone: another agent may notify while we hold it", async () => {
        const s = setup(tier.Lock());
        const { done } = await startWaiter(s, "w");
        await s.cond.acquire();
        assert.equal(await agents.spawn(conditionUseUnheld, s.cond, "notify"), null);
        await s.cond.release();
        assert.equal(await within(done), true, "that notify woke the waiter");
        assert.equal(
          await agents.spawn(conditionUseUnheld, s.cond, "notify"),
          "ERR_RUNTIME",
          "not when free",
        );
      });

      it("over an RLock only the owner may wait or notify: another agent gets RuntimeError", async () => {
        const s = setup();
        const { done } = await startWaiter(s, "w");
        await s.cond.acquire();
        assert.equal(await agents.spawn(conditionUseUnheld, s.cond, "notify"), "ERR_RUNTIME");
        assert.equal(await agents.spawn(conditionUseUnheld, s.cond, "wait"), "ERR_RUNTIME");
        await s.cond.release();
        assert.equal(await isPending(done, agents.settle), true, "the failed notify woke nobody");
        await conditionNotify(s.cond, 1);
        assert.equal(await within(done), true);
      });
    });

    describe("misuse", () => {
      it("wait without the lock: RuntimeError('cannot wait on un-acquired lock'), nothing changes", async () => {
        for (const lock of [undefined, tier.Lock()]) {
          const s = setup(lock);
          for (const opts of [undefined, { timeout: 10 }, { timeout: 0 }]) {
            await rejectsWith(s.cond.wait(opts), RuntimeError, {
              code: "ERR_RUNTIME",
              message: "cannot wait on un-acquired lock",
            });
            assert.equal(await s.cond.locked(), false);
          }
          const { done } = await startWaiter(s, "w");
          await conditionNotify(s.cond, 1);
          assert.equal(await within(done), true, "the failed waits left nothing to take the notify");
        }
      });

      it("wait while another agent owns the RLock: RuntimeError, and the owner keeps it", async () => {
        const cond = tier.Condition();
        const held = tier.Event();
        const letGo = tier.Event();
        const holder = agents.spawn(holdUntil, cond, held, letGo);
        await within(held.wait());
        await rejectsWith(cond.wait(), RuntimeError, { message: "cannot wait on un-acquired lock" });
        await throwsWith(() => cond.notify(), RuntimeError, { message: "cannot notify on un-acquired lock" });
        assert.equal(await cond.locked(), true);
        await letGo.set();
        await within(holder);
        assert.equal(await cond.locked(), false);
      });

      it("notify/notifyAll without the lock: RuntimeError('cannot notify on un-acquired lock'), nobody woken", async () => {
        for (const lock of [undefined, tier.Lock()]) {
          const s = setup(lock);
          const { done } = await startWaiter(s, "w");
          await throwsWith(() => s.cond.notify(), RuntimeError, {
            code: "ERR_RUNTIME",
            message: "cannot notify on un-acquired lock",
          });
          await throwsWith(() => s.cond.notify(3), RuntimeError, {
            message: "cannot notify on un-acquired lock",
          });
          await throwsWith(() => s.cond.notifyAll(), RuntimeError, {
            code: "ERR_RUNTIME",
            message: "cannot notify on un-acquired lock",
          });
          assert.equal(await isPending(done, agents.settle), true);
          await conditionNotify(s.cond, 1);
          assert.equal(await within(done), true);
        }
      });

      it("notify(n) with n not a non-negative integer: RangeError/TypeError, nobody woken", async () => {
        const s = setup();
        const { done } = await startWaiter(s, "w");
        await s.cond.acquire();
        const bad: [unknown, typeof TypeError | typeof RangeError][] = [
          [-1, RangeError],
          [1.5, RangeError],
          [Number.NaN, RangeError],
          ["1", TypeError],
        ];
        for (const [n, Class] of bad) await throwsWith(() => s.cond.notify(n as number), Class);
        await s.cond.release();
        assert.equal(await isPending(done, agents.settle), true);
        await conditionNotify(s.cond, 1);
        assert.equal(await within(done), true);
      });

      it("wait and waitFor reject bad options with TypeError/RangeError and keep the lock", async () => {
        const cond = tier.Condition();
        await cond.acquire();
        const bad: [unknown, typeof TypeError | typeof RangeError][] = [
          [{ timeout: -1 }, RangeError],
          [{ timeout: Number.NaN }, RangeError],
          [{ timeout: "5" }, TypeError],
          [{ signal: {} }, TypeError],
          ["soon", TypeError],
        ];
        for (const [opts, Class] of bad) {
          await rejectsWith(cond.wait(opts as never), Class);
          await rejectsWith(
            cond.waitFor(() => false, opts as never),
            Class,
          );
        }
        assert.equal(await rlockReleaseLevels(cond), 1, "still held, at the same depth");
      });
    });

    describe("timeouts", () => {
      it("wait resolves false after the timeout, holding the lock again", async () => {
        const cond = tier.Condition();
        await cond.acquire();
        const started = Date.now();
        assert.equal(await cond.wait({ timeout: 30 }), false);
        assert.ok(Date.now() - started >= 25, "waited about the timeout");
        assert.equal(await cond.wait({ timeout: 0 }), false);
        assert.equal(await rlockReleaseLevels(cond), 1);
      });

      it("keeps a timeout longer than 2^31 ms instead of firing at once", async () => {
        const cond = tier.Condition();
        await cond.acquire();
        const controller = new AbortController();
        const waiting = cond.wait({ timeout: 2 ** 31 + 1000, signal: controller.signal });
        assert.equal(await isPending(waiting, agents.settle), true);
        controller.abort(new Error("done"));
        await rejectsWith(waiting, Error, { message: "done" });
        assert.equal(await rlockReleaseLevels(cond), 1);
      });

      it("a waiter that timed out cannot return before it has the lock back, at its old depth (3 -> 3)", async () => {
        const s = setup();
        const go = tier.Semaphore(0);
        const done = agents.spawn(conditionWaitAtDepth, s.cond, 3, s.ready, 20, go);
        await within(s.ready.acquire());
        // In line for the lock before its wait starts: its wait hands us the lock, so its 20 ms cannot run
        // out before we hold it, however slow this side is.
        const ours = s.cond.acquire();
        await go.release();
        await within(ours);
        await sleep(50); // let its timeout pass while we hold the lock
        assert.equal(await isPending(done, agents.settle), true, "it must re-acquire the lock first");
        await s.cond.release();
        assert.deepEqual(await within(done), { notified: false, depth: 3 });
      });

      it("the timed-out waiter leaves no trace: a later notify reaches a live waiter", async () => {
        const s = setup(tier.Lock());
        const leaving = Array.from({ length: 20 }, () => waitOnce(s.cond, { timeout: 10 }));
        const { done } = await startWaiter(s, "staying");
        assert.deepEqual(await within(Promise.all(leaving)), Array(20).fill(false));
        await conditionNotify(s.cond, 1);
        assert.equal(await within(done), true);
        assert.equal(await s.cond.locked(), false);
      });

      it("a waiter whose timeout fires as it is notified loses nothing: it returns true, or the notify goes on", async () => {
        const s = setup();
        const racing = (await startWaiter(s, "racing", 20)).done;
        const steady = (await startWaiter(s, "steady")).done;
        await s.cond.acquire();
        await sleep(20); // the racing waiter's timeout is due about now: either outcome is allowed
        await s.cond.notify(1);
        await s.cond.release();
        if (await within(racing)) {
          assert.equal(await isPending(steady, agents.settle), true, "exactly one waiter was woken");
          await conditionNotify(s.cond, 1);
        }
        assert.equal(await within(steady), true, "the notify was not lost");
        const expected = (await racing) ? ["racing", "steady"] : ["steady"];
        assert.deepEqual((await drain(s.log)).sort(), expected);
      });
    });

    describe("abort", () => {
      it("rejects with the signal's reason once it has every level of its RLock back (3 -> 3)", async () => {
        const cond = tier.Condition();
        for (let i = 0; i < 3; i++) await cond.acquire();
        const controller = new AbortController();
        const reason = new Error("stop");
        const waiting = cond.wait({ signal: controller.signal });
        const held = tier.Event();
        const letGo = tier.Event();
        const holder = agents.spawn(holdUntil, cond, held, letGo);
        await within(held.wait(), 10_000, "another agent taking the lock the waiter let go of");
        controller.abort(reason);
        assert.equal(await isPending(waiting, agents.settle), true, "it must re-acquire the lock first");
        await letGo.set();
        assert.equal(await rejectsWith(waiting, Error), reason);
        await within(holder);
        assert.equal(await rlockReleaseLevels(cond), 3);
        assert.equal(await cond.locked(), false);
      });

      it("an aborted waiter takes no notify: the next one goes to the waiter behind it", async () => {
        const s = setup();
        await s.cond.acquire();
        const controller = new AbortController();
        const reason = new Error("stop");
        const aborted = s.cond.wait({ signal: controller.signal });
        const { done } = await startWaiter(s, "behind");
        controller.abort(reason);
        assert.equal(await rejectsWith(aborted, Error), reason);
        await s.cond.notify(1); // the aborted wait took the lock back for us
        await s.cond.release();
        assert.equal(await within(done), true);
        assert.equal(await s.cond.locked(), false);
      });

      it("rejects at once with an already-aborted signal, still holding the lock and leaving no waiter", async () => {
        const s = setup();
        const reason = new Error("already");
        await s.cond.acquire();
        assert.equal(await rejectsWith(s.cond.wait({ signal: abortedSignal(reason) }), Error), reason);
        assert.equal(
          await rejectsWith(
            s.cond.waitFor(() => false, { signal: abortedSignal(reason) }),
            Error,
          ),
          reason,
        );
        assert.equal(await agents.spawn(rlockTryOnce, s.cond), false, "we still hold the lock");
        await s.cond.release();
        const { done } = await startWaiter(s, "live");
        await conditionNotify(s.cond, 1);
        assert.equal(await within(done), true);
      });

      it("an abort after the notify is too late: the waiter resolves true or passes the notify on", async () => {
        const s = setup(tier.Lock());
        await s.cond.acquire();
        const controller = new AbortController();
        const first = s.cond.wait({ signal: controller.signal });
        const { done } = await startWaiter(s, "second");
        await s.cond.acquire();
        await s.cond.notify(1);
        controller.abort(new Error("late"));
        await s.cond.release();
        const firstNotified = await first.then(
          () => true,
          () => false,
        );
        await s.cond.release(); // `first` took the lock back either way
        if (firstNotified) {
          assert.equal(await isPending(done, agents.settle), true, "exactly one waiter was woken");
          await conditionNotify(s.cond, 1);
        }
        assert.equal(await within(done), true, "the notify was not lost");
        assert.equal(await s.cond.locked(), false);
      });
    });

    describe("waitFor", () => {
      it("resolves a truthy predicate's value at once, even without the lock", async () => {
        const cond = tier.Condition();
        assert.equal(await within(cond.waitFor(() => 7)), 7);
        const value = { ready: true };
        assert.equal(await within(cond.waitFor(() => value)), value);
        const empty: never[] = [];
        assert.equal(await within(cond.waitFor(() => empty)), empty, "[] is truthy in JavaScript");
        assert.equal(await cond.locked(), false);
      });

      it("waits until the predicate is truthy and resolves its last value, not a boolean", async () => {
        const cond = tier.Condition(tier.Lock());
        let state = 0;
        let calls = 0;
        await cond.acquire();
        const waiting = cond.waitFor(() => {
          calls++;
          return state;
        });
        await within(cond.acquire()); // only once waitFor waits
        await cond.notify(); // a wake-up that finds the predicate still false
        await cond.release();
        await within(cond.acquire()); // only once it waits again
        assert.equal(await isPending(waiting, agents.settle), true);
        state = 7;
        await cond.notify();
        await cond.release();
        assert.equal(await within(waiting), 7);
        assert.equal(calls, 3);
        assert.equal(await cond.locked(), true, "it resolves holding the lock");
        await cond.release();
      });

      it("resolves the predicate's last falsy value (not coerced) once the timeout passes, holding the lock", async () => {
        const cond = tier.Condition();
        await cond.acquire();
        assert.equal(await cond.waitFor(() => 0, { timeout: 20 }), 0);
        assert.equal(await cond.waitFor(() => null, { timeout: 10 }), null);
        assert.equal(await cond.waitFor(() => "", { timeout: 0 }), "");
        assert.equal(await cond.waitFor(() => undefined, { blocking: false }), undefined);
        assert.equal(await rlockReleaseLevels(cond), 1);
      });

      it("awaits a predicate that returns a promise, and resolves its value, not the promise", async () => {
        const cond = tier.Condition(tier.Lock());
        let state = 0;
        await cond.acquire();
        assert.equal(
          await within(cond.waitFor(async () => 0, { timeout: 0 })),
          0,
          "a pending promise is not truthy",
        );
        const waiting = cond.waitFor(async () => state);
        await within(cond.acquire()); // only once waitFor waits
        state = 5;
        await cond.notify();
        await cond.release();
        assert.equal(await within(waiting), 5);
        await cond.release();
        assert.equal(
          await within(cond.waitFor(async () => "ready")),
          "ready",
          "truthy at once, without the lock",
        );
        await rejectsWith(cond.waitFor(7 as never), TypeError, { message: "predicate must be a function" });
      });

      it("with a falsy predicate and without the lock: RuntimeError('cannot wait on un-acquired lock')", async () => {
        const cond = tier.Condition();
        await rejectsWith(
          cond.waitFor(() => false),
          RuntimeError,
          { code: "ERR_RUNTIME", message: "cannot wait on un-acquired lock" },
        );
        assert.equal(await cond.locked(), false);
      });

      it("honours an absolute deadline: wake-ups that find the predicate false do not extend it", async () => {
        const cond = tier.Condition(tier.Lock());
        let calls = 0;
        let settled = false;
        await cond.acquire();
        const started = Date.now();
        const waiting = cond
          .waitFor(
            () => {
              calls++;
              return 0;
            },
            { timeout: 100 },
          )
          .then(async (value) => {
            settled = true;
            await cond.release(); // it resolved holding the lock
            return value;
          });
        // Keep waking it: with a deadline restarted on every wake-up it would never time out.
        while (!settled && Date.now() - started < 5_000) {
          await within(cond.acquire());
          await cond.notify();
          await cond.release();
          await sleep(2);
        }
        assert.equal(settled, true, "waitFor with a timeout of 100 ms was still waiting after 5 s");
        assert.equal(await within(waiting), 0);
        assert.ok(Date.now() - started >= 95, "waited about the timeout");
        assert.ok(calls >= 2, `the predicate was checked again after wake-ups (${calls} calls)`);
        assert.equal(await cond.locked(), false);
      });

      it("rejects with the signal's reason on abort, holding the lock again", async () => {
        const cond = tier.Condition();
        await cond.acquire();
        await cond.acquire();
        const controller = new AbortController();
        const reason = new Error("stop");
        const waiting = cond.waitFor(() => false, { signal: controller.signal });
        await agents.settle();
        controller.abort(reason);
        assert.equal(await rejectsWith(waiting, Error), reason);
        assert.equal(await rlockReleaseLevels(cond), 2);
      });
    });
  });
}
