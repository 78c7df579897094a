import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimeoutError, ValueError } from "../../src/api/errors.ts";
import type * as api from "../../src/api/primitives.ts";
import { abortedSignal, isPending, rejectsWith, sleep, throwsWith } from "../helpers.ts";
import { semaphoreAcquireAndLog, semaphoreBoundedRounds } from "./bodies/semaphore.ts";
import { deadlines, type Tier } from "./tier.ts";

/**
 * threading.Semaphore and BoundedSemaphore: a counter of permits, release(n), the bounded over-release check;
 * plus the contract's FIFO hand-off (no over-admission), options bag, abort and scoped use.
 */
export function semaphoreContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  async function drain(log: api.SimpleQueue<string>): Promise<string[]> {
    const items = [];
    while (!(await log.empty())) items.push(await log.getNowait());
    return items;
  }

  /** Starts agents that each wait for a permit and log their id, one after the other (each queued first). */
  async function queueAgents(sem: api.Semaphore, log: api.SimpleQueue<string>, ids: string[]) {
    const waiting: Promise<boolean>[] = [];
    for (const id of ids) {
      waiting.push(agents.spawn(semaphoreAcquireAndLog, sem, log, id));
      await agents.settle(); // each is waiting before the next arrives
    }
    for (const w of waiting) assert.equal(await isPending(w, agents.settle), true);
    return waiting;
  }

  for (const kind of ["Semaphore", "BoundedSemaphore"] as const) {
    const make = (value?: number): api.Semaphore =>
      kind === "Semaphore" ? tier.Semaphore(value) : tier.BoundedSemaphore(value);

    describe(`${kind} [${tier.name}]`, () => {
      it("starts with 1 permit by default, or the value given (0 allowed); value counts the permits", async () => {
        assert.equal(await make().value, 1);
        assert.equal(await make(0).value, 0);
        const sem = make(3);
        assert.equal(await sem.value, 3);
        assert.equal(await sem.acquire(), true);
        assert.equal(await sem.tryAcquire(), true);
        assert.equal(await sem.value, 1);
        await sem.release();
        assert.equal(await sem.value, 2);
        await sem.release();
        assert.equal(await sem.value, 3);
      });

      it("admits as many holders as it has permits; the next waits until a release", async () => {
        const sem = make(2);
        assert.equal(await within(sem.acquire()), true);
        assert.equal(await within(sem.acquire()), true);
        assert.equal(await sem.value, 0);
        assert.equal(await sem.tryAcquire(), false);
        const third = sem.acquire();
        assert.equal(await isPending(third, agents.settle), true);
        await sem.release();
        assert.equal(await within(third), true);
        assert.equal(await sem.value, 0, "the permit went to the waiter");
        await sem.release();
        await sem.release();
        assert.equal(await sem.value, 2);
      });

      it("a permit may be released by an agent other than the one that took it", async () => {
        const sem = make(1);
        const log = tier.SimpleQueue<string>();
        assert.equal(await agents.spawn(semaphoreAcquireAndLog, sem, log, "taker"), true);
        assert.equal(await sem.value, 0);
        await sem.release();
        assert.equal(await sem.value, 1);
      });

      it("hands each permit to the longest waiter, first come first served", async () => {
        const sem = make(4);
        for (let i = 0; i < 4; i++) await sem.acquire();
        const log = tier.SimpleQueue<string>();
        const ids = ["a", "b", "c", "d"];
        const waiting = await queueAgents(sem, log, ids);
        for (const id of ids) {
          await sem.release();
          assert.equal(await within(log.get()), id);
        }
        assert.deepEqual(await within(Promise.all(waiting)), [true, true, true, true]);
        assert.equal(await sem.value, 0);
      });

      it("lets no newcomer barge in between a release and the waiter it hands the permit to", async () => {
        const sem = make(1);
        await sem.acquire();
        const waiter = sem.acquire();
        await agents.settle();
        await sem.release();
        assert.equal(await sem.value, 0, "the permit already belongs to the waiter");
        assert.equal(await sem.tryAcquire(), false);
        assert.equal(await sem.acquire({ timeout: 0 }), false);
        assert.equal(await within(waiter), true);
        await sem.release();
        assert.equal(await sem.value, 1);
      });

      it("release(n) wakes n waiters, the longest first, and keeps what nobody waits for", async () => {
        const sem = make(5);
        for (let i = 0; i < 5; i++) await sem.acquire();
        const log = tier.SimpleQueue<string>();
        const waiting = await queueAgents(sem, log, ["a", "b", "c", "d", "e"]);
        await sem.release(3);
        assert.deepEqual(await within(Promise.all(waiting.slice(0, 3))), [true, true, true]);
        for (const w of waiting.slice(3)) assert.equal(await isPending(w, agents.settle), true);
        assert.deepEqual((await drain(log)).sort(), ["a", "b", "c"]);
        assert.equal(await sem.value, 0);
        await sem.release(4); // 2 waiters, 2 left over
        assert.deepEqual(await within(Promise.all(waiting.slice(3))), [true, true]);
        assert.deepEqual((await drain(log)).sort(), ["d", "e"]);
        assert.equal(await sem.value, 2);
      });

      it("tryAcquire is false while waiters queue: no over-admission", async () => {
        const sem = make(2);
        await sem.acquire();
        await sem.acquire();
        const log = tier.SimpleQueue<string>();
        const waiting = await queueAgents(sem, log, ["a", "b"]);
        await sem.release();
        assert.equal(await sem.tryAcquire(), false, "the released permit is the first waiter's");
        assert.equal(await sem.acquire({ blocking: false }), false);
        assert.equal(await sem.value, 0);
        await within(waiting[0]!);
        assert.equal(await isPending(waiting[1]!, agents.settle), true);
        await sem.release();
        await within(waiting[1]!);
        assert.equal(await sem.tryAcquire(), false);
        assert.equal(await sem.value, 0);
      });

      it("never admits more holders than permits: contended run() sections", async () => {
        const sem = make(2);
        const inside = tier.Semaphore(2);
        const runs = Array.from({ length: 5 }, () => agents.spawn(semaphoreBoundedRounds, sem, inside, 40));
        assert.deepEqual(await within(Promise.all(runs), 30_000), [0, 0, 0, 0, 0]);
        assert.equal(await sem.value, 2);
        assert.equal(await inside.value, 2);
      });

      it("timeout 0 and blocking:false try once: false without a permit, true with one", async () => {
        const sem = make(1);
        assert.equal(await sem.acquire({ timeout: 0 }), true);
        assert.equal(await sem.acquire({ timeout: 0 }), false);
        assert.equal(await sem.acquire({ blocking: false }), false);
        assert.equal(await sem.acquire({ blocking: false, timeout: Number.POSITIVE_INFINITY }), false);
        await sem.release();
        assert.equal(await sem.acquire({ blocking: false }), true);
        assert.equal(await sem.value, 0);
        await sem.release();
      });

      it("resolves false after the timeout, and the timed-out waiter leaves no trace", async () => {
        const sem = make(1);
        await sem.acquire();
        const started = Date.now();
        assert.equal(await sem.acquire({ timeout: 50 }), false);
        assert.ok(Date.now() - started >= 45, "waited about the timeout");
        const next = sem.acquire();
        await sem.release(); // must go to the live waiter, not the one that left
        assert.equal(await within(next), true);
        assert.equal(await sem.value, 0);
        await sem.release();
        assert.equal(await sem.value, 1, "no permit was kept for the waiter that left");
      });

      it("a release after many waiters timed out reaches the one still waiting", async () => {
        const sem = make(1);
        await sem.acquire();
        const leaving = Array.from({ length: 50 }, () => sem.acquire({ timeout: 10 }));
        const staying = sem.acquire();
        assert.deepEqual(await within(Promise.all(leaving)), Array(50).fill(false));
        await sem.release();
        assert.equal(await within(staying), true);
        assert.equal(await sem.value, 0);
      });

      it("keeps a timeout longer than 2^31 ms instead of firing at once", async () => {
        const sem = make(1);
        await sem.acquire();
        const controller = new AbortController();
        const waiter = sem.acquire({ timeout: 2 ** 31 + 1000, signal: controller.signal });
        assert.equal(await isPending(waiter, agents.settle), true);
        controller.abort(new Error("done"));
        await rejectsWith(waiter, Error, { message: "done" });
        await sem.release();
        assert.equal(await sem.value, 1);
      });

      it("rejects an aborted waiter with the signal's reason, as if it had never asked", async () => {
        const sem = make(1);
        await sem.acquire();
        const controller = new AbortController();
        const reason = new Error("stop");
        const aborted = sem.acquire({ signal: controller.signal });
        const next = sem.acquire();
        controller.abort(reason);
        assert.equal(await rejectsWith(aborted, Error), reason);
        await sem.release();
        assert.equal(await within(next), true, "the release went to the next waiter");
        await sem.release();
        assert.equal(await sem.value, 1);
      });

      it("rejects at once with an already-aborted signal, even with permits free, and takes none", async () => {
        const sem = make(2);
        const reason = new Error("already");
        assert.equal(await rejectsWith(sem.acquire({ signal: abortedSignal(reason) }), Error), reason);
        assert.equal(await sem.value, 2);
        await rejectsWith(sem.hold({ signal: abortedSignal(reason) }), Error);
        assert.equal(await sem.value, 2);
      });

      it("loses no permit and grants none twice while many waiters time out or abort around releases", async () => {
        const sem = make(13);
        for (let i = 0; i < 13; i++) await sem.acquire();
        const controllers = Array.from({ length: 30 }, () => new AbortController());
        const leaving: Promise<boolean>[] = [];
        for (let i = 0; i < 30; i++) {
          leaving.push(sem.acquire({ timeout: 5 + (i % 10) }));
          leaving.push(sem.acquire({ signal: controllers[i]!.signal }));
        }
        const staying = Array.from({ length: 5 }, () => sem.acquire());
        await sem.release(3); // to the three longest waiters, all of them leavers
        for (const c of controllers) c.abort(new Error("gone"));
        const outcomes = await within(Promise.allSettled(leaving));
        const granted = outcomes.filter((o) => o.status === "fulfilled" && o.value === true).length;
        assert.equal(granted, 3, "exactly the three permits released were granted to leavers");
        await sem.release(10); // five to the live waiters, five kept
        assert.deepEqual(await within(Promise.all(staying)), [true, true, true, true, true]);
        assert.equal(await sem.value, 5);
      });

      it("a waiter whose timeout fires as a permit is handed over either takes it or passes it on", async () => {
        const sem = make(1);
        await sem.acquire();
        const racing = sem.acquire({ timeout: 20 });
        const steady = sem.acquire();
        await sleep(20); // the racing waiter's timeout is due about now: either outcome is allowed
        await sem.release();
        if (await within(racing)) {
          assert.equal(await isPending(steady, agents.settle), true, "one permit, one waiter served");
          await sem.release();
        }
        assert.equal(await within(steady), true, "the permit was not lost");
        assert.equal(await sem.value, 0);
      });

      it("rejects bad options with TypeError/RangeError and changes nothing", async () => {
        const sem = make(1);
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
          await rejectsWith(sem.acquire(opts as never), Class);
          assert.equal(await sem.value, 1, `value unchanged after ${JSON.stringify(opts)}`);
        }
        await rejectsWith(sem.acquire({ blocking: false, timeout: 5 }), TypeError, {
          message: "can't specify a timeout for a non-blocking call",
        });
      });

      it("rejects an initial value that is not a non-negative integer: RangeError/TypeError", async () => {
        for (const value of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_SAFE_INTEGER]) {
          await throwsWith(() => make(value), RangeError);
        }
        await throwsWith(() => make("2" as never), TypeError);
      });

      it("release(n) with n not an integer >= 1: RangeError/TypeError, nothing changes, nobody woken", async () => {
        const sem = make(1);
        await sem.acquire();
        const waiter = sem.acquire();
        const bad: [unknown, typeof TypeError | typeof RangeError][] = [
          [0, RangeError],
          [-1, RangeError],
          [1.5, RangeError],
          [Number.NaN, RangeError],
          ["1", TypeError],
        ];
        for (const [n, Class] of bad) await throwsWith(() => sem.release(n as number), Class);
        assert.equal(await sem.value, 0);
        assert.equal(await isPending(waiter, agents.settle), true);
        await sem.release();
        assert.equal(await within(waiter), true);
      });

      it("hold() takes a permit and resolves a guard that gives it back once", async () => {
        const sem = make(2);
        const first = await within(sem.hold());
        {
          await using _second = await within(sem.hold());
          assert.equal(await sem.value, 0);
        }
        assert.equal(await sem.value, 1);
        await first.release();
        await first.release(); // a second release is a no-op: no permit is made up
        await first[Symbol.asyncDispose]();
        assert.equal(await sem.value, 2);
      });

      it("hold() rejects with TimeoutError when no permit comes in time", async () => {
        const sem = make(0);
        await rejectsWith(sem.hold({ timeout: 10 }), TimeoutError, { code: "ERR_TIMEOUT" });
        assert.equal(await sem.value, 0);
      });

      it("run(fn) resolves fn's result and gives the permit back, also when fn throws", async () => {
        const sem = make(1);
        assert.equal(await sem.run(async () => await sem.value), 0, "fn runs holding the permit");
        assert.equal(await sem.value, 1);
        const boom = new Error("boom");
        assert.equal(
          await rejectsWith(
            sem.run(() => {
              throw boom;
            }),
            Error,
          ),
          boom,
        );
        assert.equal(await sem.value, 1);
      });

      it("run() with a non-function rejects with TypeError at once, without waiting for a permit", async () => {
        const sem = make(0);
        await within(rejectsWith(sem.run("fn" as unknown as () => void), TypeError), 5_000, "run('fn')");
        assert.equal(await sem.value, 0);
        const free = make(1);
        await rejectsWith(free.run(undefined as unknown as () => void), TypeError);
        assert.equal(await free.value, 1, "no permit taken for a bad fn");
      });

      it("run(fn) rejects with TimeoutError and never calls fn when no permit comes", async () => {
        const sem = make(1);
        await sem.acquire();
        let called = false;
        await rejectsWith(
          sem.run(
            () => {
              called = true;
            },
            { timeout: 10 },
          ),
          TimeoutError,
        );
        assert.equal(called, false);
        assert.equal(await sem.value, 0);
      });

      if (kind === "Semaphore") {
        it("is unbounded: releasing more than was acquired adds permits", async () => {
          const sem = make(1);
          await sem.release();
          assert.equal(await sem.value, 2);
          await sem.release(5);
          assert.equal(await sem.value, 7);
          assert.equal(await sem.tryAcquire(), true);
          assert.equal(await sem.value, 6);
        });
      } else {
        it("over-release: ValueError('Semaphore released too many times'), nothing changes", async () => {
          const sem = make(2);
          const error = await throwsWith(() => sem.release(), ValueError, {
            code: "ERR_VALUE",
            message: "Semaphore released too many times",
          });
          assert.equal(error.name, "ValueError");
          assert.equal(await sem.value, 2);
          await sem.acquire();
          await sem.release();
          await throwsWith(() => sem.release(), ValueError, { message: "Semaphore released too many times" });
          assert.equal(await sem.value, 2);
        });

        it("release(n) overshooting the initial value: ValueError, and not even part of n is released", async () => {
          const sem = make(3);
          await sem.acquire();
          await sem.acquire();
          assert.equal(await sem.value, 1);
          await throwsWith(() => sem.release(3), ValueError, {
            message: "Semaphore released too many times",
          });
          assert.equal(await sem.value, 1);
          await sem.release(2);
          assert.equal(await sem.value, 3);
        });

        it("an overshooting release(n) wakes no waiter", async () => {
          const sem = make(1);
          await sem.acquire();
          const waiter = sem.acquire();
          await agents.settle();
          await throwsWith(() => sem.release(2), ValueError, {
            message: "Semaphore released too many times",
          });
          assert.equal(await isPending(waiter, agents.settle), true);
          assert.equal(await sem.value, 0);
          await sem.release();
          assert.equal(await within(waiter), true);
          assert.equal(await sem.value, 0);
        });

        it("a guard released twice gives back one permit, so it never over-releases", async () => {
          const sem = make(1);
          const guard = await sem.hold();
          await guard.release();
          await guard.release();
          await guard[Symbol.asyncDispose]();
          assert.equal(await sem.value, 1);
        });
      }
    });
  }
}
