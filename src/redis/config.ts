/**
 * The tier's timings, shared by every primitive of the process. The defaults suit production; tests shorten
 * them. Every duration is in ms and counted by the server (leases, deadlines) or by this process (re-checks).
 */
export interface Timing {
  /** How often a parked waiter re-checks its ticket when no wake-up came (jittered +-20 %). */
  recheck: number;
  /** How long the server keeps a waiter that stopped re-checking (its process died or hangs). */
  waiterTtl: number;
  /** How long an unused primitive's keys live on the server (every write starts it again). */
  idleTtl: number;
  /** The default lease of a lock or permit; renewed every third of it while its holder lives. */
  lease: number;
}

export const timing: Timing = { recheck: 1_000, waiterTtl: 10_000, idleTtl: 86_400_000, lease: 30_000 };

/** Changes the tier's timings for primitives made and waits begun from now on. */
export function configure(changes: Partial<Timing>): void {
  for (const [key, value] of Object.entries(changes)) {
    if (!(key in timing)) throw new TypeError(`unknown timing ${key}`);
    if (typeof value !== "number" || !Number.isInteger(value) || value < 10) {
      throw new RangeError(`${key} must be a whole number of ms >= 10`);
    }
  }
  const next = { ...timing, ...changes };
  if (next.waiterTtl < 2 * next.recheck) throw new RangeError("waiterTtl must be at least twice recheck");
  Object.assign(timing, next);
}
