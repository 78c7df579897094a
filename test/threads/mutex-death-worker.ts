/**
 * Worker entry of ./mutex-death.test.ts, on a queue sent as a handle: `hold` takes the queue's mutex (as any
 * put or get does, for a few instructions) and stays inside until terminated; `churn` puts and gets numbers
 * forever, so a terminate() lands anywhere, often inside the mutex; `get` attaches the queue and blocks in
 * one getSync, and posts what it got. `flag[0]` is set to 1 once the worker is where the test wants it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import type { Queue } from "../../src/threads/queue.ts";

const { op, handle, flag } = workerData as { op: "hold" | "churn" | "get"; handle: Handle; flag: Int32Array };
if (op === "get") Atomics.store(flag, 0, 1); // first: attaching a queue takes its mutex too (to read its sizes)
const q = fromHandle(handle) as Queue<number>;
if (op === "hold") {
  q._store.lock();
  Atomics.store(flag, 0, 1);
  Atomics.wait(flag, 0, 1); // nobody notifies: it stays inside the mutex until terminated
} else if (op === "churn") {
  Atomics.store(flag, 0, 1);
  for (let i = 0; ; i++) {
    q.putSync(i);
    q.getSync();
  }
} else {
  parentPort!.postMessage(q.getSync({ timeout: 30_000 }));
}
