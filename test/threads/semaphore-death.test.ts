/**
 * A worker terminated at any point of a real Semaphore operation (a take, a release handing its permit to
 * a waiter or back to the pool, a recovery of a dead holder's permits) costs no permit and makes none:
 * every journaled write, every step's end, every grant and the letting go of GUARD is tried, each in a
 * worker of its own, stopped there for good and terminated. Whoever takes GUARD over undoes the step left
 * unfinished and finishes a release that had begun. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { OwnerDiedError } from "../../src/api/errors.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { CAPACITY, CELL, FREE, HEADER, QUEUED, SIZE, STATE } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Semaphore } from "../../src/threads/semaphore.ts";
import { startWorker, terminateAll, withinBooted } from "./spawn.ts";
import { queuedOn, until } from "./util.ts";

after(terminateAll);

const entry = new URL("./semaphore-death-worker.ts", import.meta.url);

type Op = "acquire" | "release" | "recover";

/** Starts `op` on `sem` in a worker that stops at its `at`-th point. */
function stopped(op: Op, sem: Semaphore, at: number): { worker: Worker; flag: Int32Array } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = startWorker(entry, { op, handle: toHandle(sem), flag, at });
  worker.on("error", () => {});
  return { worker, flag };
}

/** Terminates `worker` and resolves once its death is recorded. */
async function kill(worker: Worker): Promise<void> {
  const owner = worker.threadId + 1;
  await withinBooted(worker.terminate(), 20_000, "terminate");
  await until(() => isDead(owner), "the death is recorded");
}

/** Takes every permit `sem` has, each within a deadline (an inherited one counts): how many. */
async function drain(sem: Semaphore, expected: number): Promise<number> {
  let got = 0;
  for (let k = 0; k < expected; k++) {
    try {
      if (await withinBooted(sem.acquire({ timeout: 10_000 }), 15_000)) got++;
    } catch (e) {
      if (!(e instanceof OwnerDiedError)) throw e;
      got++;
    }
  }
  try {
    if (sem.tryAcquire()) got++;
  } catch (e) {
    if (!(e instanceof OwnerDiedError)) throw e;
    got++;
  }
  return got;
}

/** The FIFO is empty and every cell free. */
function fifoClean(sem: Semaphore): void {
  const i32 = sem._core.i32;
  assert.equal(Atomics.load(i32, SIZE), 0);
  assert.equal(Atomics.load(i32, STATE) & QUEUED, 0);
  for (let k = 0; k < CAPACITY; k++) assert.equal(Atomics.load(i32, HEADER + k * CELL), FREE);
}

/**
 * Runs `one(at)` for every point of an operation that has `points` of them, at once, each on a semaphore of
 * its own; `one` resolves the worker's flag once it stopped. Every point but the last is inside the
 * operation (the worker stopped there), and the last is past its end: so every point was tried.
 */
async function everyPoint(points: number, one: (at: number) => Promise<number>): Promise<void> {
  const results = await Promise.allSettled(Array.from({ length: points + 1 }, (_, k) => one(k + 1)));
  results.forEach((r, k) => {
    if (r.status === "rejected") {
      const reason = r.reason as Error;
      reason.message = `stopped at point ${k + 1}: ${reason.message}`;
      throw reason;
    }
    assert.equal(
      r.value,
      k < points ? 1 : 2,
      `point ${k + 1} of ${points} is ${k < points ? "inside" : "past the end"}`,
    );
  });
}

/** The flag of a worker once it stopped at its point (1) or ended its operation (2). */
async function stop(flag: Int32Array): Promise<number> {
  await until(() => Atomics.load(flag, 0) === 1 || Atomics.load(flag, 0) === 2, "the worker stopped");
  return Atomics.load(flag, 0);
}

describe("threads Semaphore: a worker terminated at any point of an operation loses and makes no permit", () => {
  it("a take without waiting: undone, or the permit comes back with OwnerDiedError", async () => {
    // Its points: STATE, a new table entry and its owner, the counts, the step's end, GUARD let go.
    await everyPoint(7, async (at) => {
      const sem = new Semaphore(2);
      const { worker, flag } = stopped("acquire", sem, at);
      const where = await stop(flag);
      await kill(worker);
      assert.equal(await drain(sem, 2), 2, "both permits, no third");
      sem.release(2);
      assert.equal(sem.value, 2);
      fifoClean(sem);
      return where;
    });
  });

  it("a release to the pool: finished by whoever takes GUARD over", async () => {
    // Its points: what is left to give, the counts, STATE, the step's end, GUARD let go.
    await everyPoint(6, async (at) => {
      const sem = new Semaphore(2);
      const { worker, flag } = stopped("release", sem, at);
      await until(() => Atomics.load(flag, 0) === 3, "the worker holds its permit");
      Atomics.store(flag, 0, 4);
      const where = await stop(flag);
      await kill(worker);
      assert.equal(await drain(sem, 2), 2, "both permits, no third");
      sem.release(2);
      assert.equal(sem.value, 2);
      fifoClean(sem);
      return where;
    });
  });

  it("a release handing its permit to a waiter: the waiter gets it", async () => {
    // Its points: what is left to give, its counts, the waiter's entry (a table of one: the releaser's,
    // which counts nothing now) and counts, STATE, the step's end, the grant, GUARD let go.
    await everyPoint(10, async (at) => {
      const sem = new Semaphore(1);
      const { worker, flag } = stopped("release", sem, at);
      await until(() => Atomics.load(flag, 0) === 3, "the worker holds its permit");
      const waiting = sem.acquire(); // no timeout: nothing may strand it
      waiting.catch(() => {});
      await queuedOn(sem, 1);
      Atomics.store(flag, 0, 4);
      const where = await stop(flag);
      await kill(worker);
      assert.equal(await withinBooted(waiting, 20_000, "the waiter"), true, "granted plainly");
      assert.equal(await drain(sem, 0), 0, "no permit made");
      sem.release();
      assert.equal(sem.value, 1);
      fifoClean(sem);
      return where;
    });
  });

  it("a recovery of a dead holder's permit: it comes back once, with OwnerDiedError", async () => {
    // Its points: the dead entry's count and the total, STATE, the taker's entry (a table of one: the dead
    // one's, which counts nothing now) and counts, the step's end, GUARD let go.
    await everyPoint(8, async (at) => {
      const sem = new Semaphore(1);
      const holder = stopped("release", sem, 1_000); // holds its permit, then is terminated holding it
      await until(() => Atomics.load(holder.flag, 0) === 3, "the holder holds its permit");
      await kill(holder.worker);
      const { worker, flag } = stopped("recover", sem, at);
      const where = await stop(flag);
      await kill(worker);
      assert.equal(await drain(sem, 1), 1, "the permit, and no second");
      sem.release();
      assert.equal(sem.value, 1);
      fifoClean(sem);
      return where;
    });
  });
});
