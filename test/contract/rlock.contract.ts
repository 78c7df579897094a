import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError, TimeoutError } from "../../src/api/errors.ts";
import { abortedSignal, isPending, rejectsWith, sleep, throwsWith } from "../helpers.ts";
import { acquireAndLog, exclusiveRounds } from "./bodies/lock.ts";
import {
  rlockAcquireWithin,
  rlockHoldUntil,
  rlockReleaseLevels,
  rlockReleaseOnce,
  rlockTryOnce,
} from "./bodies/rlock.ts";
import { deadlines, type Tier } from "./tier.ts";

/**
 * threading.RLock: owned by one agent (thread), reentrant for it, released level by level and only by it;
 * plus the contract's FIFO hand-off, options bag and scoped use.
 */
export function rlockContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  /** Starts an agent that holds `lock` at `depth` until the returned `letGo` is set. */
  async function heldByAgent(lock: ReturnType<Tier["RLock"]>, depth = 1) {
    const held = tier.Event();
    const letGo = tier.Event();
    const done = agents.spawn(rlockHoldUntil, lock, depth, held, letGo);
    await within(held.wait(), 10_000, "the agent's acquire");
    return { letGo, done };
  }

  describe(`RLock [${tier.name}]`, () => {
    it("starts unlocked; acquire locks it and resolves true; release unlocks it", async () => {
      const lock = tier.RLock();
      assert.equal(await lock.locked(), false);
      assert.equal(await lock.acquire(), true);
      assert.equal(await lock.locked(), true);
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("is reentrant: the owner acquires again at once, and it stays locked until every level is released", async () => {
      const lock = tier.RLock();
      assert.equal(await within(lock.acquire()), true);
      assert.equal(await lock.tryAcquire(), true);
      assert.equal(await within(lock.acquire({ blocking: false })), true);
      assert.equal(await within(lock.acquire({ timeout: 0 })), true);
      for (let level = 4; level > 1; level--) {
        await lock.release();
        assert.equal(await lock.locked(), true, `still locked with ${level - 1} level(s) left`);
      }
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("excludes other agents until the owner has released every level", async () => {
      const lock = tier.RLock();
      await lock.acquire();
      await lock.acquire();
      assert.equal(await agents.spawn(rlockTryOnce, lock), false);
      assert.equal(await agents.spawn(rlockAcquireWithin, lock, 20), false);
      await lock.release();
      assert.equal(await agents.spawn(rlockTryOnce, lock), false, "one level is still held");
      await lock.release();
      assert.equal(await agents.spawn(rlockTryOnce, lock), true);
      assert.equal(await lock.locked(), false);
    });

    it("locked() is true for everyone while another agent holds it", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
      assert.equal(await lock.locked(), true);
      await letGo.set();
      assert.equal(await within(done), 1);
      assert.equal(await lock.locked(), false);
    });

    it("release by an agent that does not own it: RuntimeError('cannot release un-acquired lock'), owner's depth unchanged", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock, 2);
      await throwsWith(() => lock.release(), RuntimeError, {
        code: "ERR_RUNTIME",
        message: "cannot release un-acquired lock",
      });
      assert.equal(await lock.locked(), true);
      assert.equal(await agents.spawn(rlockTryOnce, lock), false, "still excludes others");
      await letGo.set();
      assert.equal(await within(done), 2, "the owner still held both levels");
      assert.equal(await lock.locked(), false);
    });

    it("release of an unlocked RLock: RuntimeError('cannot release un-acquired lock'), still unlocked", async () => {
      const lock = tier.RLock();
      await throwsWith(() => lock.release(), RuntimeError, {
        code: "ERR_RUNTIME",
        message: "cannot release un-acquired lock",
      });
      assert.equal(await lock.locked(), false);
      await lock.acquire();
      await lock.release();
      await throwsWith(() => lock.release(), RuntimeError, { message: "cannot release un-acquired lock" });
      assert.equal(await lock.locked(), false);
    });

    it("an agent's release of the main agent's lock fails the same way, and the main agent keeps it", async () => {
      const lock = tier.RLock();
      await lock.acquire();
      assert.deepEqual(await agents.spawn(rlockReleaseOnce, lock), {
        name: "RuntimeError",
        code: "ERR_RUNTIME",
        message: "cannot release un-acquired lock",
      });
      assert.equal(await lock.locked(), true);
      assert.equal(await rlockReleaseLevels(lock), 1);
      assert.equal(await lock.locked(), false);
    });

    it("hands the lock to the longest waiter, first come first served", async () => {
      const lock = tier.RLock();
      const log = tier.SimpleQueue<string>();
      await lock.acquire();
      const waiting: Promise<boolean>[] = [];
      for (const id of ["a", "b", "c", "d"]) {
        waiting.push(agents.spawn(acquireAndLog, lock, log, id));
        await agents.settle(); // each is waiting before the next arrives
      }
      await lock.release();
      assert.deepEqual(await within(Promise.all(waiting)), [true, true, true, true]);
      const order = [];
      while (!(await log.empty())) order.push(await log.getNowait());
      assert.deepEqual(order, ["a", "b", "c", "d"]);
    });

    it("lets no newcomer barge in between the owner's last release and the waiter it hands the lock to", async () => {
      const lock = tier.RLock();
      await lock.acquire();
      await lock.acquire();
      const held = tier.Event();
      const letGo = tier.Event();
      const waiter = agents.spawn(rlockHoldUntil, lock, 1, held, letGo);
      await agents.settle();
      await lock.release();
      assert.equal(await isPending(waiter, agents.settle), true, "one level left: the waiter still waits");
      await lock.release();
      assert.equal(await lock.tryAcquire(), false, "the lock already belongs to the waiter");
      assert.equal(await lock.acquire({ timeout: 0 }), false);
      await within(held.wait());
      await letGo.set();
      assert.equal(await within(waiter), 1);
      assert.equal(await lock.locked(), false);
    });

    it("never admits two owners: contended run() sections of several agents exclude each other", async () => {
      const lock = tier.RLock();
      const inside = tier.Semaphore(1);
      const runs = Array.from({ length: 4 }, () => agents.spawn(exclusiveRounds, lock, inside, 50));
      assert.deepEqual(await within(Promise.all(runs), 30_000), [0, 0, 0, 0]);
      assert.equal(await lock.locked(), false);
    });

    it("timeout 0 and blocking:false try once: false when another agent owns it", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
      assert.equal(await lock.acquire({ timeout: 0 }), false);
      assert.equal(await lock.acquire({ blocking: false }), false);
      assert.equal(await lock.acquire({ blocking: false, timeout: Number.POSITIVE_INFINITY }), false);
      assert.equal(await lock.tryAcquire(), false);
      await letGo.set();
      await within(done);
      assert.equal(await lock.acquire({ blocking: false }), true);
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("resolves false after the timeout, and the timed-out waiter leaves no trace", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
      const started = Date.now();
      assert.equal(await lock.acquire({ timeout: 50 }), false);
      assert.ok(Date.now() - started >= 45, "waited about the timeout");
      const next = lock.acquire();
      assert.equal(await isPending(next, agents.settle), true);
      await letGo.set(); // the release must reach the live waiter, not the one that left
      assert.equal(await within(next), true);
      assert.equal(await within(done), 1);
      assert.equal(await rlockReleaseLevels(lock), 1);
      assert.equal(await lock.locked(), false);
    });

    it("a release after many waiters timed out reaches the agent still waiting", async () => {
      const lock = tier.RLock();
      await lock.acquire();
      const log = tier.SimpleQueue<string>();
      const leaving = Array.from({ length: 20 }, (_, i) =>
        agents.spawn(acquireAndLog, lock, log, `leaving-${i}`, 10),
      );
      assert.deepEqual(await within(Promise.all(leaving), 30_000), Array(20).fill(false));
      const staying = agents.spawn(acquireAndLog, lock, log, "staying");
      await agents.settle();
      await lock.release();
      assert.equal(await within(staying), true);
      assert.equal(await log.getNowait(), "staying");
      assert.equal(await log.empty(), true);
      assert.equal(await lock.locked(), false);
    });

    it("rejects an aborted waiter with the signal's reason, as if it had never asked", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
      const controller = new AbortController();
      const reason = new Error("stop");
      const aborted = lock.acquire({ signal: controller.signal });
      await agents.settle();
      controller.abort(reason);
      assert.equal(await rejectsWith(aborted, Error), reason);
      const next = lock.acquire();
      await letGo.set();
      assert.equal(await within(next), true, "the agent's release went to the live waiter");
      await within(done);
      assert.equal(await rlockReleaseLevels(lock), 1, "the aborted call added no level");
      assert.equal(await lock.locked(), false);
    });

    it("rejects at once with an already-aborted signal, free or owned, and takes no level", async () => {
      const lock = tier.RLock();
      const reason = new Error("already");
      assert.equal(await rejectsWith(lock.acquire({ signal: abortedSignal(reason) }), Error), reason);
      assert.equal(await lock.locked(), false, "took nothing from a free lock");
      await lock.acquire();
      assert.equal(await rejectsWith(lock.acquire({ signal: abortedSignal(reason) }), Error), reason);
      assert.equal(await rlockReleaseLevels(lock), 1, "added no level to an owned lock");
      assert.equal(await lock.locked(), false);
    });

    it("rejects bad options with TypeError/RangeError and changes nothing, free or owned", async () => {
      const lock = tier.RLock();
      const bad: [unknown, typeof TypeError | typeof RangeError][] = [
        [{ timeout: -1 }, RangeError],
        [{ timeout: Number.NaN }, RangeError],
        [{ timeout: "5" }, TypeError],
        [{ blocking: "no" }, TypeError],
        [{ signal: {} }, TypeError],
        [{ blocking: false, timeout: 5 }, TypeError],
        ["fast", TypeError],
      ];
      for (const [opts, Class] of bad) {
        await rejectsWith(lock.acquire(opts as never), Class);
        assert.equal(await lock.locked(), false, `free lock unchanged after ${JSON.stringify(opts)}`);
      }
      await lock.acquire();
      for (const [opts, Class] of bad) {
        await rejectsWith(lock.acquire(opts as never), Class);
      }
      assert.equal(await rlockReleaseLevels(lock), 1, "a recursive acquire with bad options added no level");
      await rejectsWith(lock.acquire({ blocking: false, timeout: 5 }), TypeError, {
        message: "can't specify a timeout for a non-blocking call",
      });
    });

    it("hold() resolves a guard that releases one level once, and nests in the owner", async () => {
      const lock = tier.RLock();
      {
        await using _outer = await within(lock.hold());
        {
          await using _inner = await within(lock.hold());
          assert.equal(await lock.locked(), true);
        }
        assert.equal(await lock.locked(), true, "the outer level is still held");
        assert.equal(await agents.spawn(rlockTryOnce, lock), false);
      }
      assert.equal(await lock.locked(), false);
      const guard = await lock.hold();
      await guard.release();
      await guard.release(); // a second release is a no-op, not an error
      await guard[Symbol.asyncDispose]();
      assert.equal(await lock.locked(), false);
    });

    it("hold() rejects with TimeoutError when another agent keeps it past the timeout", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
      await rejectsWith(lock.hold({ timeout: 10 }), TimeoutError, { code: "ERR_TIMEOUT" });
      await letGo.set();
      assert.equal(await within(done), 1);
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) resolves fn's result and releases, also when fn throws", async () => {
      const lock = tier.RLock();
      assert.equal(await lock.run(async () => 42), 42);
      assert.equal(await lock.locked(), false);
      const boom = new Error("boom");
      const thrown = await rejectsWith(
        lock.run(() => {
          throw boom;
        }),
        Error,
      );
      assert.equal(thrown, boom);
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) where fn lets go of its level and then throws rejects with fn's error", async () => {
      const lock = tier.RLock();
      const boom = new Error("boom");
      const thrown = await rejectsWith(
        lock.run(async () => {
          await lock.release();
          throw boom;
        }),
        Error,
      );
      assert.equal(thrown, boom, "not the failed release's error");
      assert.equal(await lock.locked(), false);
      await rejectsWith(lock.run(42 as never), TypeError, { message: "fn must be a function" });
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) holds the lock while fn runs, and run() nested in it re-enters", async () => {
      const lock = tier.RLock();
      const result = await within(
        lock.run(async () => {
          assert.equal(await lock.locked(), true);
          assert.equal(await agents.spawn(rlockTryOnce, lock), false, "other agents are excluded");
          return lock.run(async () => lock.run(() => "deep"));
        }),
      );
      assert.equal(result, "deep");
      assert.equal(await lock.locked(), false);
    });

    it("run() with a non-function rejects with TypeError at once, without waiting while another agent keeps it", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
      await within(rejectsWith(lock.run(42 as unknown as () => void), TypeError), 5_000, "run(42)");
      await letGo.set();
      await within(done);
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) rejects with TimeoutError and never calls fn when another agent keeps it", async () => {
      const lock = tier.RLock();
      const { letGo, done } = await heldByAgent(lock);
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
      await letGo.set();
      await within(done);
      assert.equal(await lock.locked(), false);
    });

    it("a waiter whose timeout fires as the lock is handed over either takes it or passes it on", async () => {
      const lock = tier.RLock();
      await lock.acquire();
      const log = tier.SimpleQueue<string>();
      const racing = agents.spawn(acquireAndLog, lock, log, "racing", 20);
      await agents.settle();
      const steady = agents.spawn(acquireAndLog, lock, log, "steady");
      await agents.settle();
      await sleep(20); // the racing waiter's timeout is due about now: either outcome is allowed
      await lock.release();
      const racingGot = await within(racing);
      assert.equal(await within(steady), true, "the steady waiter gets the lock in any case");
      const order = [];
      while (!(await log.empty())) order.push(await log.getNowait());
      assert.deepEqual(order, racingGot ? ["racing", "steady"] : ["steady"]);
      assert.equal(await lock.locked(), false);
    });
  });
}
