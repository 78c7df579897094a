/** Default export: `n` increments of a plain (non-atomic) shared counter, each under `lock`. */
import "./booted.ts";
import type { Lock } from "../../../src/threads/index.ts";

export default function count(lock: Lock, counter: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    counter[0] = (counter[0] as number) + 1; // a lost update shows up in the total unless the lock excludes
    lock.release();
  }
}
