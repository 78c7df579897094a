import { RuntimeError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { Lock as LockApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { detection } from "../internal/deadlock.ts";
import {
  point,
  probe as probeImport,
  resourceOf,
  timeoutOf,
  traceAsync,
  traceSync,
} from "../internal/probe.ts";
import { type ConditionLock, FALSE, LockLike, TRUE } from "./lock-like.ts";
import { currentOwner, MAIN, type Owner, threads as threadsImport } from "./owner.ts";
import { WaiterQueue } from "./waiter-queue.ts";
import { rootWaiting } from "./waits.ts";

// Module consts of the imported switches: V8 folds a const's object, and a field that has never changed,
// into the compiled code (an import binding is reloaded and checked on every read), so while nobody listens
// and no Thread has started, the checks below cost nothing; the first change deoptimizes once.
const probe = probeImport;
const threads = threadsImport;

/**
 * A mutual-exclusion lock, as Python's `threading.Lock`: not reentrant, and any task may release it.
 * Waiters are served first come, first served; a release hands the lock straight to the longest waiter.
 */
export class Lock extends LockLike implements LockApi, ConditionLock {
  private isLocked = false;
  private readonly waiters = new WaiterQueue<boolean>(() => false).of(this, "lock", "to acquire");
  /**
   * Who took it (unknown: undefined), kept while deadlock detection is on; any task may still release it.
   * Until a Thread starts, whoever takes it belongs to MAIN: nothing is looked up nor written.
   */
  private holder: Owner | undefined = MAIN;

  /**
   * Resolves true once the lock is this caller's, false if `timeout` passed first or a try failed.
   * Cancel-safe: on abort it rejects with `signal.reason` and the lock is as if the call was never made.
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 100 })) lock.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "lock"), "acquire", timeoutOf(opts), this.acquire, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.tryAcquire()) return TRUE;
    return ms === 0 ? FALSE : this.waiters.wait(ms, opts?.signal);
  }

  /** Takes the lock if it is free, synchronously. */
  tryAcquire(): boolean {
    if (probe.on && probe.self !== this)
      return traceSync(this, resourceOf(this, "lock"), "acquire", 0, this.tryAcquire);
    if (this.isLocked) return false;
    this.isLocked = true;
    if (threads.started && detection.on) this.holder = currentOwner();
    return true;
  }

  /** Releases the lock, handing it to the longest waiter if any. RuntimeError if it is not locked. */
  release(): void {
    if (!this.isLocked) throw new RuntimeError("release unlocked lock");
    if (probe.on) point(resourceOf(this, "lock"), "release");
    if (threads.started && detection.on) this.holder = rootWaiting(this.waiters.list.head);
    if (!this.waiters.wake(true)) this.isLocked = false;
  }

  locked(): boolean {
    return this.isLocked;
  }

  /** @internal Who took it, for the deadlock detector. */
  _holder(): Owner | null | undefined {
    return this.isLocked ? this.holder : null;
  }

  /** @internal A Condition over a plain Lock counts it as held when anyone holds it (as Python). */
  _isOwned(): boolean {
    return this.isLocked;
  }

  /** @internal */
  _releaseSave(): undefined {
    this.release();
  }

  /** @internal */
  _acquireRestore(): Promise<boolean> {
    return this.acquire();
  }
}
