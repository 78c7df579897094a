/** The worker of ../trace.ts: waits on the condition until `ready` is set, then takes the lock for a while. */
import type { Condition, Lock } from "threadkit/threads";

export default function consume(lock: Lock, cond: Condition, ready: Int32Array): void {
  cond.acquireSync();
  while (ready[0] === 0) cond.waitSync();
  busy(1);
  cond.release();
  lock.acquireSync();
  busy(4);
  lock.release();
}

/** Works for `ms` (the timeline shows it as time held). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
