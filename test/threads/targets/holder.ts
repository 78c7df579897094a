/** Default export: takes `lock` and a permit of `sem`, then returns holding both. */
import "./booted.ts";
import type { Lock, Semaphore } from "../../../src/threads/index.ts";

export default function hold(lock: Lock, sem: Semaphore): void {
  lock.acquireSync();
  sem.acquireSync();
}
