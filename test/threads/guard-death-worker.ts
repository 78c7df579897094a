/**
 * Worker entry of ./guard-death.test.ts: dies inside a primitive's GUARD in the middle of a hand-off, as a
 * release, set() or notify() would if terminated there. With `hold` it first takes the primitive (a Lock or
 * RLock: it is the releaser). It sets `flag[0]` to 1, waits until the test has queued its waiter (2), then
 * takes GUARD (a queue's: its getters'), raises an Event's flag if `raise`, takes the head waiter off the FIFO, and stays there
 * (`flag[0]` 3) until terminated: the waiter is unlinked and never granted.
 */
import { workerData } from "node:worker_threads";
import type { Futex } from "../../src/threads/futex.ts";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import { SET, STATE } from "../../src/threads/layout.ts";

const { handle, flag, hold, raise } = workerData as {
  handle: Handle;
  flag: Int32Array;
  hold?: boolean;
  raise?: boolean;
};
const p = fromHandle(handle) as unknown as { _core?: Futex; _gets?: Futex; acquireSync(): boolean };
if (hold) p.acquireSync();
Atomics.store(flag, 0, 1);
while (Atomics.load(flag, 0) !== 2) Atomics.wait(flag, 0, 1, 50);
const core = (p._core ?? p._gets)!; // a queue: its getters' FIFO
core.lock();
if (raise) Atomics.or(core.i32, STATE, SET);
core.shift();
Atomics.store(flag, 0, 3);
Atomics.wait(flag, 0, 3);
