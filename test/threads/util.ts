/** Small helpers of the threads tests: condition-based waiting on shared state, and a shared log. */
import type { Futex } from "../../src/threads/futex.ts";
import { sleep } from "../helpers.ts";
import { booted } from "./spawn.ts";

/**
 * Resolves once `primitive` has `n` queued waiters (polling its shared FIFO size), or rejects after `ms`
 * counted from the moment the workers started so far have booted (see `booted`). This orders arrivals
 * across threads without guessing how long a worker takes to start.
 */
export async function queuedOn(primitive: { _core: Futex }, n: number, ms = 20_000): Promise<void> {
  await until(() => primitive._core.size >= n, `${n} waiters did not queue`, ms);
}

/**
 * Resolves once `check()` holds (polling shared state), or rejects after `ms` counted from the moment the
 * workers started so far have booted (or from the call, if it holds first): the bound only catches a hang,
 * so a loaded machine that is slow to start workers only delays it.
 */
export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  if (check()) return;
  const polling = { on: true };
  try {
    await Promise.race([booted(), poll(check, polling)]);
  } finally {
    polling.on = false;
  }
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(2);
  }
}

async function poll(check: () => boolean, polling: { on: boolean }): Promise<void> {
  while (polling.on && !check()) await sleep(2);
}

/** A shared log: word 0 is the length, entries follow. */
export function sharedLog(capacity: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((capacity + 1) * 4));
}

export function logged(log: Int32Array): number[] {
  return Array.from(log.subarray(1, 1 + Atomics.load(log, 0)));
}
