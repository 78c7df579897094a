/**
 * A Thread whose target returns has ended, not died, on every runtime (Deno's workers emit no "beforeExit",
 * which once made such a thread count as dead): a Lock it returned holding stays locked, a permit it took
 * stays taken, and nobody gets OwnerDiedError.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BoundedSemaphore, Lock, Thread } from "../../src/threads/index.ts";
import { withinBooted } from "./spawn.ts";

describe("threads Thread that returns holding what it took", () => {
  it("leaves its Lock locked and its permit taken, with no OwnerDiedError", async () => {
    const lock = new Lock();
    const sem = new BoundedSemaphore(1);
    const thread = new Thread({ target: new URL("./targets/holder.ts", import.meta.url), args: [lock, sem] });
    thread.start();
    assert.equal(await withinBooted(thread.join({ timeout: 240_000 }), 25_000), true);
    assert.equal(thread.error, undefined);
    // The worker may still be winding down: give its end every chance to be (wrongly) taken for a death.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(lock.tryAcquire(), false);
    assert.equal(await withinBooted(lock.acquire({ timeout: 100 })), false);
    assert.equal(sem.tryAcquire(), false);
    assert.equal(sem.value, 0);
    lock.release(); // any thread may release a Lock, as in Python
    assert.equal(lock.tryAcquire(), true);
    lock.release();
    sem.release();
    assert.equal(sem.tryAcquire(), true);
    sem.release();
  });
});
