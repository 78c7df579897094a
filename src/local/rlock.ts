import { RuntimeError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { RLock as RLockApi } from "../api/primitives.ts";
import type { ResourceRef } from "../internal/channels.ts";
import { admit } from "../internal/checks.ts";
import {
  type Holder,
  osThreadId,
  point,
  probe,
  resourceOf,
  timeoutOf,
  traceAsync,
  traceSync,
} from "../internal/probe.ts";
import { NO_CONTEXT } from "../internal/runtime.ts";
import { context, covers, currentOwner, inNewScope, type Owner } from "./context.ts";
import { type ConditionLock, FALSE, LockLike, TRUE } from "./lock-like.ts";
import { peek, WaiterQueue } from "./waiter-queue.ts";

/** Who takes the lock when a waiter is handed it, and at what depth (1, or a Condition waiter's saved count). */
class Claim {
  constructor(
    readonly owner: Owner,
    readonly count: number,
  ) {}
}

/**
 * A reentrant lock, as Python's `threading.RLock`. The owner is the innermost `run()` scope, else the current
 * Thread (the main thread outside any): code covered by the owner re-enters; anyone else waits its turn.
 * See ./context.ts for how scopes nest.
 */
export class RLock extends LockLike implements RLockApi, ConditionLock {
  private owner: Owner | null = null;
  private count = 0;
  private readonly waiters = new WaiterQueue<boolean>(() => false).of(this, "rlock", "to acquire");

  /**
   * Resolves true once the current scope or thread holds the lock (at once if it already does: the count
   * goes up), false on timeout or a failed try. Cancel-safe: on abort nothing is held or counted.
   * @example
   * ```ts
   * await rlock.acquire();
   * await rlock.acquire(); // same thread: depth 2, two releases to free it
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, this.traced(), "acquire", timeoutOf(opts), this.acquire, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.tryAcquire()) return TRUE;
    return ms === 0 ? FALSE : this.waiters.wait(ms, opts?.signal, new Claim(currentOwner(), 1));
  }

  tryAcquire(): boolean {
    if (probe.on && probe.self !== this) return traceSync(this, this.traced(), "acquire", 0, this.tryAcquire);
    const me = currentOwner();
    if (this.owner === null) {
      this.owner = me;
      this.count = 1;
      return true;
    }
    if (!covers(this.owner, me)) return false;
    this.count++;
    return true;
  }

  /** Undoes one level; the last hands the lock to the longest waiter. RuntimeError if not the owner's. */
  release(): void {
    if (!this._isOwned()) throw new RuntimeError("cannot release un-acquired lock");
    if (--this.count === 0) {
      if (probe.on) point(this.traced(), "release");
      this.handOn();
    }
  }

  /** Whether anyone holds it. */
  locked(): boolean {
    return this.owner !== null;
  }

  /**
   * Runs `fn` in a new scope that holds the lock, so concurrent `run()` calls exclude each other.
   * RuntimeError where the runtime cannot follow the scope across await (no AsyncLocalStorage).
   * Cancel-safe: on abort it rejects with `signal.reason`, `fn` never runs and nothing is held.
   * @example
   * ```ts
   * await rlock.run(async () => rlock.run(() => 1)); // nested: re-entered
   * ```
   */
  override run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    if (!context.follows()) return Promise.reject(new RuntimeError(NO_CONTEXT));
    return inNewScope(() => super.run(fn, opts));
  }

  /** @internal Who holds it, for the deadlock detector. */
  _holder(): Owner | null {
    return this.owner;
  }

  /** @internal */
  _isOwned(): boolean {
    return this.owner !== null && covers(this.owner, currentOwner());
  }

  /** @internal Lets go of every level at once. */
  _releaseSave(): Claim {
    if (!this._isOwned()) throw new RuntimeError("cannot release un-acquired lock");
    const saved = new Claim(this.owner!, this.count);
    if (probe.on) point(this.traced(), "release");
    this.handOn();
    return saved;
  }

  /** @internal Takes the lock back for the same owner at the same depth. */
  _acquireRestore(saved: Claim): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(
        this,
        this.traced(),
        "acquire",
        Number.POSITIVE_INFINITY,
        this._acquireRestore,
        saved,
      );
    if (this.owner === null) {
      this.owner = saved.owner;
      this.count = saved.count;
      return TRUE;
    }
    return this.waiters.wait(Number.POSITIVE_INFINITY, undefined, saved);
  }

  /** Its ResourceRef for the probe, which can ask who holds it. */
  private traced(): ResourceRef {
    return resourceOf(this, "rlock", undefined, () => this.holders());
  }

  private holders(): readonly Holder[] {
    if (this.owner === null) return [];
    let root: Owner = this.owner;
    while (root.parent !== null) root = root.parent;
    const name = (root as { name?: unknown }).name; // a Thread names its chain; none: the main task
    return [{ thread: osThreadId, name: typeof name === "string" ? name : "main" }];
  }

  private handOn(): void {
    const next = peek(this.waiters) as Claim | undefined;
    if (next === undefined) {
      this.owner = null;
      this.count = 0;
      return;
    }
    this.owner = next.owner;
    this.count = next.count;
    this.waiters.wake(true);
  }
}
