import { RuntimeError } from "../api/errors.ts";
import type { Awaitable, Guard, WaitOptions } from "../api/options.ts";
import type { Condition as ConditionApi } from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { point, probe, resourceOf, timeoutOf, traceAsync } from "../internal/probe.ts";
import { waitFor } from "../internal/wait-for.ts";
import { Lock } from "./lock.ts";
import type { ConditionLock } from "./lock-like.ts";
import { RLock } from "./rlock.ts";
import { WaiterQueue } from "./waiter-queue.ts";

/**
 * A condition variable, as Python's `threading.Condition`, over a Lock or (by default) a new RLock.
 * `notify(n)` wakes exactly min(n, waiting) waiters, longest first, and a notify before anyone waits is lost.
 * A woken waiter re-acquires the lock (an RLock at its old depth) before `wait` settles, also on timeout
 * and abort.
 */
export class Condition implements ConditionApi {
  private readonly lock: ConditionLock;
  private readonly waiters = new WaiterQueue<boolean>(() => false).of(this, "condition", "for a notify of");

  constructor(lock?: Lock | RLock) {
    if (lock !== undefined && !(lock instanceof Lock || lock instanceof RLock)) {
      throw new TypeError("Condition takes a Lock or an RLock");
    }
    this.lock = lock ?? new RLock();
  }

  /**
   * Acquires the underlying lock: as its `acquire`.
   * Cancel-safe, as the lock's: on abort nothing is held.
   * @example
   * ```ts
   * await cond.acquire();
   * ready = true; cond.notifyAll(); cond.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    return this.lock.acquire(opts);
  }
  tryAcquire(): boolean {
    return (this.lock as Lock | RLock).tryAcquire();
  }
  release(): void {
    this.lock.release();
  }
  locked(): boolean {
    return (this.lock as Lock | RLock).locked();
  }
  /**
   * Holds the underlying lock: as its `hold`.
   * Cancel-safe, as the lock's: on abort nothing is held.
   * @example
   * ```ts
   * using _held = await cond.hold();
   * cond.notify();
   * ```
   */
  hold(opts?: WaitOptions): Promise<Guard> {
    return this.lock.hold(opts);
  }
  /**
   * Runs `fn` holding the underlying lock: as its `run`.
   * Cancel-safe, as the lock's: on abort `fn` never runs and nothing is held.
   * @example
   * ```ts
   * await cond.run(() => cond.notifyAll());
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    return this.lock.run(fn, opts);
  }

  /**
   * Lets go of the lock, waits to be notified, takes the lock back; resolves true if notified, false on
   * timeout. RuntimeError if the lock is not held. Cancel-safe: on abort it takes the lock back, then
   * rejects with `signal.reason`; a notify that came first is kept (it resolves true).
   * @example
   * ```ts
   * using _held = await cond.hold();
   * while (!ready) await cond.wait();
   * ```
   */
  async wait(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "condition"), "wait", timeoutOf(opts), this.wait, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (!this.lock._isOwned()) throw new RuntimeError("cannot wait on un-acquired lock");
    const notified = this.waiters.wait(ms, opts?.signal); // take the ticket before letting go
    const saved = this.lock._releaseSave();
    try {
      return await notified;
    } finally {
      await this.lock._acquireRestore(saved);
    }
  }

  /**
   * Waits until `predicate()` is truthy and resolves its last value; with a timeout, the last (falsy) value
   * once the deadline passes. A predicate already truthy resolves at once. A predicate that returns a
   * promise is awaited (holding the lock).
   * Cancel-safe as `wait`: on abort it takes the lock back, then rejects with `signal.reason`.
   * @example
   * ```ts
   * using _held = await cond.hold();
   * const ok = await cond.waitFor(() => items.length > 0, { timeout: 1000 });
   * ```
   */
  waitFor<T>(predicate: () => Awaitable<T>, opts?: WaitOptions): Promise<T> {
    return waitFor(this, predicate, opts);
  }

  /** Wakes exactly min(n, waiting) waiters, longest first. RuntimeError if the lock is not held. */
  notify(n = 1): void {
    checkCount(n, "n", 0);
    if (!this.lock._isOwned()) throw new RuntimeError("cannot notify on un-acquired lock");
    if (probe.on) point(resourceOf(this, "condition"), "notify", Math.min(n, this.waiters.size));
    for (; n > 0 && this.waiters.wake(true); n--);
  }

  notifyAll(): void {
    this.notify(this.waiters.size);
  }
}
