/**
 * A waiter handed a Lock, an RLock or a semaphore permit and terminated before it woke to collect the grant
 * keeps no waiter cell: once every cell was granted to a thread that then died, the next waiter still gets a
 * cell (it queues in FIFO order), and what the dead held is recovered. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { OwnerDiedError } from "../../src/api/errors.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { CAPACITY, CELL, GRANTED, HEADER } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Lock } from "../../src/threads/lock.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { Semaphore } from "../../src/threads/semaphore.ts";
import { runIn, startWorker, terminateAll, withinBooted } from "./spawn.ts";
import { queuedOn, until } from "./util.ts";

after(terminateAll);

const kinds: [string, () => Lock | RLock | Semaphore][] = [
  ["Lock", () => new Lock()],
  ["RLock", () => new RLock()],
  ["Semaphore", () => new Semaphore(1)],
];

/** An acquire that inherited from a dead thread holds what it got. */
function died(e: unknown): boolean {
  if (e instanceof OwnerDiedError) return true;
  throw e;
}

describe("threads: cells granted to waiters that died before collecting them come back", () => {
  for (const [name, make] of kinds) {
    it(`${name}: every cell granted to a thread terminated before collecting, then a waiter still queues and gets it`, async () => {
      const p = make();
      const i32 = p._core.i32;
      assert.equal(await p.acquire(), true);
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const heir = startWorker(new URL("./dead-grant-worker.ts", import.meta.url), {
        handle: toHandle(p),
        flag,
      });
      const owner = heir.threadId + 1;
      await until(() => Atomics.load(flag, 0) === 1, "the heir queued");
      p.release(); // to the heir's first cell; it passes it on to its next, and so on
      await until(() => Atomics.load(flag, 0) === 2, "every cell granted");
      await withinBooted(heir.terminate(), 20_000, "terminate");
      await until(() => isDead(owner), "the death is recorded");
      for (let k = 0; k < CAPACITY; k++) assert.equal(Atomics.load(i32, HEADER + k * CELL), GRANTED);
      // The dead heir holds it: the next acquirer recovers it.
      assert.equal(await withinBooted(p.acquire({ timeout: 20_000 }).catch(died), 30_000), true);
      // A worker's acquireSync (it reports `ok`: whether it got it, then gives it back).
      const waiter = runIn<boolean>(new URL("./owner-died-worker.ts", import.meta.url), {
        role: "waiter",
        handle: toHandle(p),
        timeout: 20_000,
      });
      await queuedOn(p, 1); // it found a cell
      p.release();
      assert.equal(await withinBooted(waiter, 30_000), true, "the waiter got it");
      assert.equal(await withinBooted(p.acquire({ timeout: 5_000 })), true, "free again");
      p.release();
    });
  }
});
