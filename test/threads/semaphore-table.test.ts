/**
 * A Semaphore's owner table has an entry per permit of its initial value (up to SEM_OWNERS, the threads the
 * liveness registry tells apart), so it never fills with holders: however many threads hold permits at
 * once, each is counted, and the permits of one that dies come back. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { OwnerDiedError } from "../../src/api/errors.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { SEM_TRACKED, STATE } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Semaphore } from "../../src/threads/semaphore.ts";
import { sleep } from "../helpers.ts";
import { startWorker, terminateAll, withinBooted } from "./spawn.ts";

after(terminateAll);

const entry = new URL("./owner-died-worker.ts", import.meta.url);

/** A worker that takes one permit of `sem` and is terminated holding it; resolves its owner word. */
async function deadHolder(sem: Semaphore): Promise<number> {
  const worker = startWorker(entry, { role: "holder", handle: toHandle(sem), how: "terminate", count: 1 });
  worker.on("error", () => {});
  await withinBooted(new Promise((resolve) => worker.once("message", resolve)), 20_000, "held");
  const owner = worker.threadId + 1;
  await withinBooted(worker.terminate(), 20_000, "terminate");
  const deadline = performance.now() + 20_000;
  while (!isDead(owner)) {
    assert.ok(performance.now() < deadline, "the death is recorded");
    await sleep(2);
  }
  return owner;
}

/** Takes a permit of `sem` as thread `owner` would (one journaled step under GUARD). */
function takeAs(sem: Semaphore, owner: number): void {
  const inner = sem as unknown as {
    set(index: number, value: number): void;
    track(owner: number): void;
    commit(): void;
  };
  const i32 = sem._core.i32;
  sem._core.lock();
  inner.set(STATE, Atomics.load(i32, STATE) - 1);
  inner.track(owner);
  inner.commit();
  sem._core.unlock();
}

describe("threads Semaphore: the owner table", () => {
  it("with 99 threads holding permits at once, a 100th that dies holding one gives it back", async () => {
    const pool = 100;
    const sem = new Semaphore(pool);
    const i32 = sem._core.i32;
    // 99 live holders (owner words the registry does not know: alive), more than a table of 64 held.
    for (let k = 0; k < pool - 1; k++) takeAs(sem, 1_000_000 + k);
    assert.equal(Atomics.load(i32, SEM_TRACKED), pool - 1);
    assert.equal(sem.value, 1);
    const dead = await deadHolder(sem);
    assert.equal(Atomics.load(i32, SEM_TRACKED), pool, "the dying holder was counted too");
    await assert.rejects(
      withinBooted(sem.acquire({ timeout: 10_000 }), 15_000),
      (e: unknown) => e instanceof OwnerDiedError && e.message.includes(`thread ${dead - 1} `),
    );
    assert.equal(sem.tryAcquire(), false, "no permit made");
    sem.release(pool); // this thread's, then the 99 on their holders' behalf
    assert.equal(sem.value, pool);
    assert.equal(Atomics.load(i32, SEM_TRACKED), 0);
  });

  it("holders that come and go reuse the entries of those that hold nothing", async () => {
    const sem = new Semaphore(2);
    for (let k = 0; k < 50; k++) {
      takeAs(sem, 2_000_000 + k);
      sem.release(); // on that holder's behalf: its entry counts nothing now
    }
    const dead = await deadHolder(sem);
    assert.equal(await withinBooted(sem.acquire({ timeout: 10_000 }), 15_000), true, "the free one");
    await assert.rejects(
      withinBooted(sem.acquire({ timeout: 10_000 }), 15_000),
      (e: unknown) => e instanceof OwnerDiedError && e.message.includes(`thread ${dead - 1} `),
    );
    assert.equal(sem.tryAcquire(), false, "no permit made");
    sem.release(2);
    assert.equal(sem.value, 2);
  });
});
