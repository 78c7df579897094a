/**
 * The worker of ./handoff.test.ts: holds the lock until main waits for it, then releases it to main, and
 * is descheduled (as a loaded machine does) between its grant and the telling of it: the first sink spins
 * until main's acquire has ended, and a few ms more, before the forwarding one sees the hand-off.
 */
import { forward } from "../../src/diagnostics/index.ts";
import { attach } from "../../src/internal/probe.ts";
import type { Lock } from "../../src/threads/index.ts";

const HOLDING = 0;
const MAIN_ENDED = 1;

export default function hold(lock: Lock, flags: Int32Array): void {
  const detachSlow = attach({
    call() {},
    point(m) {
      if (m.event !== "handoff") return;
      while (Atomics.load(flags, MAIN_ENDED) === 0) Atomics.wait(flags, MAIN_ENDED, 0, 1000);
      const until = performance.now() + 5;
      while (performance.now() < until);
    },
  });
  const stop = forward();
  lock.acquireSync();
  Atomics.store(flags, HOLDING, 1);
  Atomics.notify(flags, HOLDING);
  const core = (lock as unknown as { _core: { size: number } })._core;
  while (core.size === 0) Atomics.wait(flags, MAIN_ENDED, 0, 1); // until main waits
  lock.release(); // hands it to main
  stop();
  detachSlow();
}
