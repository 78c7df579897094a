/**
 * Worker entry of ./dead-grant.test.ts: queues CAPACITY cells of its own on the primitive it was sent (as
 * CAPACITY waiters of one thread), and once the test releases, passes the primitive from each granted cell
 * to the next by releasing it, so every cell ends GRANTED to this thread without being collected. Then it
 * stays until terminated. `flag[0]`: 1 once queued, 2 once every cell is granted.
 */
import { workerData } from "node:worker_threads";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import { CAPACITY } from "../../src/threads/layout.ts";
import type { Lock } from "../../src/threads/lock.ts";
import { ME } from "../../src/threads/runtime.ts";

const { handle, flag } = workerData as { handle: Handle; flag: Int32Array };
const p = fromHandle(handle) as Lock; // or an RLock or a Semaphore: the same core calls
const core = p._core;
const cells: number[] = [];
for (let i = 0; i < CAPACITY; i++) cells.push(core.enter(p, ME, 1));
Atomics.store(flag, 0, 1);
for (let i = 0; i < CAPACITY; i++) {
  while (!core.granted(cells[i]!)) Atomics.wait(core.i32, cells[i]!, Atomics.load(core.i32, cells[i]!), 10);
  if (i + 1 < CAPACITY) p.release(); // hands it to our next cell
}
Atomics.store(flag, 0, 2);
Atomics.wait(flag, 0, 2);
