/** What the Redis workloads' processes are asked (./agent.ts) and answer (./procs.ts sends). */
export type Request =
  /** Makes the lock `name` of `contender` this process's current lock. */
  | { op: "lock"; contender: string; name: string }
  /** Acquires the current lock, answering once held. */
  | { op: "hold" }
  /** Starts acquiring the current lock and answers at once; `got` answers when the acquire resolved. */
  | { op: "wait" }
  | { op: "got" }
  /** Releases the current lock; `t` is read just before the release is sent. */
  | { op: "release" }
  /** Puts 0..n-1 on queue `name`; `t` is read before the first put. */
  | { op: "produce"; contender: string; name: string; n: number }
  /** Gets n items from queue `name`; `t` is read after the last get, `sum` is what the items add up to. */
  | { op: "consume"; contender: string; name: string; n: number };

export interface Reply {
  /** A monotonic time in ns, comparable across the machine's processes. */
  t?: number;
  sum?: number;
}

/** redlock-universal's default retry delay for a single-instance lock (createLock). */
export const REDLOCK_RETRY_MS = 100;
/** redis-semaphore's default retry interval. */
export const SEMAPHORE_RETRY_MS = 10;
