/** Small helpers of the threads tests: condition-based waiting on shared state, and a shared log. */
import type { Futex } from "../../src/threads/futex.ts";
import { sleep } from "../helpers.ts";

/**
 * Resolves once `primitive` has `n` queued waiters (polling its shared FIFO size), or rejects after `ms`.
 * This orders arrivals across threads without guessing how long a worker takes to start.
 */
export async function queuedOn(primitive: { _core: Futex }, n: number, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (primitive._core.size < n) {
    if (performance.now() > deadline) throw new Error(`${n} waiters did not queue within ${ms} ms`);
    await sleep(2);
  }
}

/**
 * Resolves once `check()` holds (polling shared state), or rejects after `ms`: the bound only catches a hang,
 * so it is generous enough to cover starting workers on a loaded machine.
 */
export async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(2);
  }
}

/** A shared log: word 0 is the length, entries follow. */
export function sharedLog(capacity: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((capacity + 1) * 4));
}

export function logged(log: Int32Array): number[] {
  return Array.from(log.subarray(1, 1 + Atomics.load(log, 0)));
}
