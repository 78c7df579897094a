import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError, TimeoutError } from "../../src/api/errors.ts";
import { abortedSignal, isPending, rejectsWith, throwsWith } from "../helpers.ts";
import { acquireAndLog, exclusiveRounds, holdUntil } from "./bodies/lock.ts";
import { deadlines, type Tier } from "./tier.ts";

/** threading.Lock, plus the contract's FIFO hand-off, options bag and scoped use. */
export function lockContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  describe(`Lock [${tier.name}]`, () => {
    it("starts unlocked; acquire locks it and resolves true; release unlocks it", async () => {
      const lock = tier.Lock();
      assert.equal(await lock.locked(), false);
      assert.equal(await lock.acquire(), true);
      assert.equal(await lock.locked(), true);
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("tryAcquire takes a free lock and refuses a held one, without waiting", async () => {
      const lock = tier.Lock();
      assert.equal(await lock.tryAcquire(), true);
      assert.equal(await lock.tryAcquire(), false);
      await lock.release();
    });

    it("is not reentrant: a second acquire by the holder waits (and times out)", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      assert.equal(await lock.acquire({ timeout: 20 }), false);
      assert.equal(await lock.locked(), true);
      await lock.release();
    });

    it("timeout 0 and blocking:false try once and resolve false when held", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      assert.equal(await lock.acquire({ timeout: 0 }), false);
      assert.equal(await lock.acquire({ blocking: false }), false);
      assert.equal(await lock.acquire({ blocking: false, timeout: Number.POSITIVE_INFINITY }), false);
      await lock.release();
      assert.equal(await lock.acquire({ blocking: false }), true);
      await lock.release();
    });

    it("may be released by an agent other than the one that acquired it (as Python)", async () => {
      const lock = tier.Lock();
      const held = tier.Event();
      const letGo = tier.Event();
      const agent = agents.spawn(holdUntil, lock, held, letGo);
      await within(held.wait());
      await lock.release(); // the main agent releases the agent's lock
      assert.equal(await lock.locked(), false);
      await lock.acquire(); // so that the agent's own release finds it locked
      await letGo.set();
      await within(agent);
      assert.equal(await lock.locked(), false);
    });

    it("hands the lock to the longest waiter, first come first served", async () => {
      const lock = tier.Lock();
      const log = tier.SimpleQueue<string>();
      await lock.acquire();
      const agentsDone: Promise<boolean>[] = [];
      for (const id of ["a", "b", "c", "d"]) {
        agentsDone.push(agents.spawn(acquireAndLog, lock, log, id));
        await agents.settle(); // each is waiting before the next arrives
      }
      await lock.release();
      await within(Promise.all(agentsDone));
      const order = [];
      while (!(await log.empty())) order.push(await log.getNowait());
      assert.deepEqual(order, ["a", "b", "c", "d"]);
    });

    it("lets no newcomer barge in between a release and the waiter it hands the lock to", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      const waiter = lock.acquire();
      await tier.agents.settle();
      await lock.release();
      assert.equal(await lock.tryAcquire(), false, "the lock already belongs to the waiter");
      assert.equal(await lock.acquire({ timeout: 0 }), false);
      assert.equal(await within(waiter), true);
      await lock.release();
    });

    it("never admits two holders: contended run() sections exclude each other", async () => {
      const lock = tier.Lock();
      const inside = tier.Semaphore(1);
      const runs = Array.from({ length: 4 }, () => agents.spawn(exclusiveRounds, lock, inside, 50));
      const violations = await within(Promise.all(runs), 30_000);
      assert.deepEqual(violations, [0, 0, 0, 0]);
      assert.equal(await lock.locked(), false);
    });

    it("resolves false after the timeout, and the timed-out waiter leaves no trace", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      const started = Date.now();
      assert.equal(await lock.acquire({ timeout: 50 }), false);
      assert.ok(Date.now() - started >= 45, "waited about the timeout");
      const next = lock.acquire();
      await lock.release(); // must go to the live waiter, not the one that left
      assert.equal(await within(next), true);
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("a release after many waiters timed out reaches the one still waiting", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      const leaving = Array.from({ length: 50 }, () => lock.acquire({ timeout: 10 }));
      const staying = lock.acquire();
      assert.deepEqual(await within(Promise.all(leaving)), Array(50).fill(false));
      await lock.release();
      assert.equal(await within(staying), true);
      await lock.release();
    });

    it("keeps a timeout longer than 2^31 ms instead of firing at once", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      const controller = new AbortController();
      const waiter = lock.acquire({ timeout: 2 ** 31 + 1000, signal: controller.signal });
      assert.equal(await isPending(waiter, agents.settle), true);
      controller.abort(new Error("done"));
      await rejectsWith(waiter, Error, { message: "done" });
      await lock.release();
    });

    it("rejects an aborted waiter with the signal's reason, as if it had never asked", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      const controller = new AbortController();
      const reason = new Error("stop");
      const aborted = lock.acquire({ signal: controller.signal });
      const next = lock.acquire();
      controller.abort(reason);
      assert.equal(await rejectsWith(aborted, Error), reason);
      await lock.release();
      assert.equal(await within(next), true, "the release went to the next waiter");
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("rejects at once with an already-aborted signal, even when the lock is free", async () => {
      const lock = tier.Lock();
      const reason = new Error("already");
      assert.equal(await rejectsWith(lock.acquire({ signal: abortedSignal(reason) }), Error), reason);
      assert.equal(await lock.locked(), false, "took nothing");
    });

    it("an abort after the hand-off is too late: the waiter keeps the lock", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      const controller = new AbortController();
      const waiter = lock.acquire({ signal: controller.signal });
      await agents.settle();
      await lock.release();
      controller.abort();
      // Either outcome is allowed by the contract only if nothing is lost: granted and held, or rejected and free.
      const granted = await waiter.then(
        () => true,
        () => false,
      );
      assert.equal(await lock.locked(), granted);
      if (granted) await lock.release();
    });

    it("release of an unlocked lock: RuntimeError('release unlocked lock'), still unlocked", async () => {
      const lock = tier.Lock();
      await throwsWith(() => lock.release(), RuntimeError, {
        code: "ERR_RUNTIME",
        message: "release unlocked lock",
      });
      assert.equal(await lock.locked(), false);
    });

    it("rejects bad options with TypeError/RangeError and changes nothing", async () => {
      const lock = tier.Lock();
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
        assert.equal(await lock.locked(), false, `state unchanged after ${JSON.stringify(opts)}`);
      }
      await rejectsWith(lock.acquire({ blocking: false, timeout: 5 }), TypeError, {
        message: "can't specify a timeout for a non-blocking call",
      });
    });

    it("hold() resolves a guard that releases once, through await using or by hand", async () => {
      const lock = tier.Lock();
      {
        await using _guard = await lock.hold();
        assert.equal(await lock.locked(), true);
      }
      assert.equal(await lock.locked(), false);
      const guard = await lock.hold();
      await guard.release();
      await guard.release(); // a second release is a no-op, not an error
      await guard[Symbol.asyncDispose]();
      assert.equal(await lock.locked(), false);
    });

    it("hold() rejects with TimeoutError when the timeout passes", async () => {
      const lock = tier.Lock();
      await lock.acquire();
      await rejectsWith(lock.hold({ timeout: 10 }), TimeoutError, { code: "ERR_TIMEOUT" });
      await lock.release();
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) resolves fn's result and releases, also when fn throws", async () => {
      const lock = tier.Lock();
      assert.equal(await lock.run(async () => 42), 42);
      assert.equal(await lock.locked(), false);
      const boom = new Error("boom");
      assert.equal(
        await rejectsWith(
          lock.run(() => {
            throw boom;
          }),
          Error,
        ),
        boom,
      );
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) where fn lets go of the lock itself and then throws rejects with fn's error", async () => {
      const lock = tier.Lock();
      const boom = new Error("boom");
      const letGoAndThrow = async () => {
        await lock.release();
        throw boom;
      };
      // The lock free, so run takes it at once.
      assert.equal(await rejectsWith(lock.run(letGoAndThrow), Error), boom, "not the failed release's error");
      assert.equal(await lock.locked(), false);
      // The lock held, so run waits for it first.
      await lock.acquire();
      const queued = lock.run(letGoAndThrow);
      await lock.release();
      assert.equal(await rejectsWith(within(queued), Error), boom, "not the failed release's error");
      assert.equal(await lock.locked(), false);
    });

    it("run(fn) where fn lets go of the lock itself and returns rejects with the release's RuntimeError", async () => {
      const lock = tier.Lock();
      await rejectsWith(
        lock.run(async () => {
          await lock.release();
          return 1;
        }),
        RuntimeError,
        { message: "release unlocked lock" },
      );
      assert.equal(await lock.locked(), false);
    });

    it("run() with a non-function rejects with TypeError before waiting, and nothing changes", async () => {
      const lock = tier.Lock();
      await lock.acquire(); // held: a run that waited first would not settle
      for (const fn of [undefined, null, 42, "fn", {}]) {
        await rejectsWith(within(lock.run(fn as never)), TypeError, { message: "fn must be a function" });
        await rejectsWith(within(lock.run(fn as never, { timeout: 10 })), TypeError);
      }
      assert.equal(await lock.locked(), true);
      await lock.release();
      await rejectsWith(within(lock.run(42 as never)), TypeError);
      assert.equal(await lock.locked(), false, "a free lock is not taken either");
    });

    it("run(fn) rejects with TimeoutError and never calls fn when the lock stays held", async () => {
      const lock = tier.Lock();
      await lock.acquire();
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
      await lock.release();
    });
  });
}
