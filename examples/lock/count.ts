/** The body of each thread of ../lock.ts: `times` increments, each under the lock. */
import type { Lock } from "threadkit/threads";

export default function count(lock: Lock, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    lock.acquireSync(); // blocks this worker, never the main thread
    counter[0] = (counter[0] as number) + 1;
    lock.release();
  }
}
