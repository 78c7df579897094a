/**
 * Worker entry of ./mutex-death.test.ts, on a primitive sent as a handle. On a queue: `hold` takes both of
 * the queue's mutexes (as any put or get that must wait does, for a few instructions) and stays inside
 * until terminated; `churn` puts and gets numbers and strings forever, so a terminate() lands anywhere,
 * often inside a mutex; `get` attaches the queue and blocks in one getSync, and posts what it got. On a
 * Semaphore: `guard` takes GUARD and stays until terminated. `flag[0]` is set to 1 once the worker is where the test wants it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import type { Queue } from "../../src/threads/queue.ts";
import type { Semaphore } from "../../src/threads/semaphore.ts";

const { op, handle, flag } = workerData as {
  op: "hold" | "churn" | "get" | "guard";
  handle: Handle;
  flag: Int32Array;
};

/** Tells the test we are there, then stays until terminated (nobody notifies). */
function stay(): void {
  Atomics.store(flag, 0, 1);
  Atomics.wait(flag, 0, 1);
}

if (op === "guard") {
  (fromHandle(handle) as Semaphore)._core.lock();
  stay();
} else if (op === "get") {
  Atomics.store(flag, 0, 1);
  const q = fromHandle(handle) as Queue<number | string>;
  parentPort!.postMessage(q.getSync({ timeout: 30_000 }));
} else {
  const q = fromHandle(handle) as Queue<number | string>;
  if (op === "hold") {
    q._store.lock();
    stay();
  } else {
    Atomics.store(flag, 0, 1);
    // Numbers (inline entries) and strings (bytes in ARENA, compacted as it wraps) in turn.
    const pad = "x".repeat(200);
    for (let i = 0; ; i++) {
      q.putSync(i % 2 === 0 ? i : `${i}${pad}`);
      q.getSync();
    }
  }
}
