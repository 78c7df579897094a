/** Named exports that use primitives received nested in args, against the test's main thread. */
import "./booted.ts";
import type { Event, Semaphore } from "../../../src/threads/index.ts";

/**
 * Sets `ready`, waits for the test's `go`, then releases `permits[0]` `n` times. The test sees `ready` set by
 * this worker and the permits arrive: the same primitives on both sides.
 */
export function handshake(
  events: { ready: Event; go: Event },
  permits: [Semaphore],
  n: number,
  cloned: { when: Date; tags: Map<string, number> },
): void {
  if (!(cloned.when instanceof Date) || cloned.tags.get("a") !== 1)
    throw new Error("cloned args arrive cloned");
  events.ready.set();
  if (!events.go.waitSync({ timeout: 20_000 })) throw new Error("go was never set");
  for (let i = 0; i < n; i++) permits[0].release();
}

/** Blocks until `gate` is set (or 20 s pass): a thread that is alive for as long as the test wants. */
export function gated(gate: Event): void {
  if (!gate.waitSync({ timeout: 20_000 })) throw new Error("the gate never opened");
}

/** The same, awaiting: the worker's event loop stays free. */
export async function gatedAsync(gate: Event): Promise<void> {
  if (!(await gate.wait({ timeout: 20_000 }))) throw new Error("the gate never opened");
}

/** Sets `event` (what a Timer fires). */
export function mark(event: Event): void {
  event.set();
}
