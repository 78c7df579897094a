/**
 * A Semaphore's owner table does not fill with dead holders: a take that finds no entry free first gives back
 * the permits of the dead ones (as a failed take would), so the permits it and later takers hold stay
 * recoverable. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { OwnerDiedError } from "../../src/api/errors.ts";
import { toHandle } from "../../src/threads/handle.ts";
import {
  CAPACITY_WORD,
  CELL,
  HEADER,
  SEM_ENTRY,
  SEM_OWNERS,
  SEM_TRACKED,
  STATE,
} from "../../src/threads/layout.ts";
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

describe("threads Semaphore: the owner table and dead holders", () => {
  it("an uncontended Semaphore(100) whose table is full of dead holders still recovers every permit", async () => {
    const pool = 100;
    const sem = new Semaphore(pool);
    const i32 = sem._core.i32;
    const dead = await deadHolder(sem);
    // As if SEM_OWNERS threads had each died holding a permit (the first really did): every entry taken.
    const table = HEADER + Atomics.load(i32, CAPACITY_WORD) * CELL;
    for (let k = 0; k < SEM_OWNERS; k++) {
      const e = table + k * SEM_ENTRY;
      if (Atomics.load(i32, e) === 0) {
        Atomics.store(i32, e, dead);
        Atomics.store(i32, e + 1, 1);
        Atomics.sub(i32, STATE, 1);
        Atomics.add(i32, SEM_TRACKED, 1);
      }
    }
    assert.equal(sem.value, pool - SEM_OWNERS);
    // A new holder takes a permit without waiting (nothing fails, so nothing else looks for the dead) and dies.
    await deadHolder(sem);
    // Every permit comes back, those of the dead with OwnerDiedError; none lost, none made.
    let inherited = 0;
    for (let k = 0; k < pool; k++) {
      try {
        assert.equal(await withinBooted(sem.acquire({ timeout: 5_000 })), true, `permit ${k}`);
      } catch (e) {
        if (!(e instanceof OwnerDiedError)) throw e;
        inherited++;
      }
    }
    assert.ok(inherited >= SEM_OWNERS, `${inherited} recovered from the dead`);
    assert.equal(sem.tryAcquire(), false, "no permit made");
    sem.release(pool);
    assert.equal(sem.value, pool);
  });
});
