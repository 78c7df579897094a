/**
 * Deadlock detection, what both tiers share: whether it is on, and how a report reads (./report.ts, a
 * module of its own so that a bundle split into chunks loads it with the detector, not up front).
 *
 * It is on by default where the runtime is a process (Node, Deno, Bun), off in a browser (whose build,
 * package.json's "browser" field, puts ./deadlock-off.ts in place of this module). It is switched
 * off for a whole process by the environment variable THREADKIT_DEADLOCK=0 (read once, at load), or for
 * the calling thread by `setDeadlockDetection(false)`. Off, each core's check costs one load of a boolean
 * (`detection.on`) on its waiting paths; on, the tiers keep who holds a lock and who waits for what, and
 * only look further when a wait queues (the local tier) or a parked waiter's slice ends (the threads tier).
 */
import type { ResourceKind } from "./channels.ts";

const env = (globalThis as { process?: { env?: Record<string, string | undefined>; on?: unknown } }).process;

/** Read on every waiting path: true while deadlocks are looked for. */
export const detection = {
  on: typeof env?.on === "function" && env.env?.THREADKIT_DEADLOCK !== "0",
};

/**
 * Switches deadlock detection on or off for this thread (each worker has its own switch; the environment
 * variable THREADKIT_DEADLOCK=0 switches it off everywhere). Waits that began while it was off are not
 * looked at. Off, a deadlocked program hangs or, on one event loop, exits with code 13 as Node does. The
 * browser build (what bundlers that target browsers pick, ./deadlock-off.ts) has no detection: there,
 * switching it on throws a RuntimeError saying so.
 */
export function setDeadlockDetection(on: boolean): void {
  if (typeof on !== "boolean") throw new TypeError("on must be a boolean");
  detection.on = on;
}

export type { ResourceKind };
