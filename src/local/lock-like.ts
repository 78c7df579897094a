/**
 * What every lock-like primitive of the local tier shares: `hold()` and `run()` on top of its own
 * `acquire()`/`release()`, and the cached promises that keep the uncontended path allocation-free.
 */
import { TimeoutError } from "../api/errors.ts";
import type { Guard, WaitOptions } from "../api/options.ts";
import { admit } from "../internal/checks.ts";

export const TRUE: Promise<boolean> = Promise.resolve(true);
export const FALSE: Promise<boolean> = Promise.resolve(false);
/** What a `run(fn)` whose `fn` returned nothing resolves, shared as TRUE is. */
const DONE: Promise<undefined> = Promise.resolve(undefined);

/** Releases its lock once, however often it is disposed. */
class Held implements Guard {
  private lock: { release(): void } | null;
  constructor(lock: { release(): void }) {
    this.lock = lock;
  }
  release(): void {
    const lock = this.lock;
    this.lock = null;
    lock?.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

export abstract class LockLike {
  abstract acquire(opts?: WaitOptions): Promise<boolean>;
  abstract tryAcquire(): boolean;
  abstract release(): void;

  /**
   * Waits for the lock, then resolves to a guard that releases it once (`using _ = await lock.hold()`).
   * Rejects with TimeoutError if the timeout passes first. Cancel-safe: on abort nothing is held.
   */
  async hold(opts?: WaitOptions): Promise<Guard> {
    if (!(await this.acquire(opts))) throw new TimeoutError();
    return new Held(this);
  }

  /**
   * Acquires, runs `fn`, releases (also when `fn` throws), and resolves what `fn` returned. Rejects with
   * TimeoutError if the timeout passes before the lock is granted; then `fn` never runs. A `fn` that is not
   * a function rejects with TypeError at once, without waiting for the lock. A free lock is
   * taken and `fn` called before `run` returns. Cancel-safe: on abort it rejects with `signal.reason`,
   * `fn` never runs and nothing is held.
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    // Not an async function: when the lock is free it is taken synchronously and `fn` runs at once, and a
    // synchronous `fn` is released after without an await, so `run` costs about what acquire+release does.
    if (typeof fn !== "function") return Promise.reject(notAFunction());
    if (opts !== undefined) {
      const ms = admit(opts);
      if (typeof ms !== "number") return ms;
    }
    if (!this.tryAcquire()) return this.runQueued(fn, opts);
    let result: T | Promise<T>;
    try {
      result = fn();
      if (isThenable(result)) return this.releaseAfter(result);
    } catch (error) {
      return this.releaseThen(error, true);
    }
    return this.releaseThen(result, false);
  }

  /**
   * Releases, then settles with `outcome` (fn's value, or what it threw). A release that throws (fn let go
   * itself) rejects instead, as it would from a `finally`, and never escapes `run` synchronously.
   */
  private releaseThen<T>(outcome: unknown, threw: boolean): Promise<T> {
    try {
      this.release();
    } catch (error) {
      return Promise.reject(error);
    }
    if (threw) return Promise.reject(outcome);
    return outcome === undefined ? (DONE as Promise<T>) : Promise.resolve(outcome as T);
  }

  private async runQueued<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    if (!(await this.acquire(opts))) throw new TimeoutError();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private async releaseAfter<T>(result: PromiseLike<T>): Promise<T> {
    try {
      return await result;
    } finally {
      this.release();
    }
  }
}

function notAFunction(): TypeError {
  return new TypeError("run() takes a function");
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** What a Condition needs from its lock: Python's `_is_owned`, `_release_save` and `_acquire_restore`. */
export interface ConditionLock extends LockLike {
  /** @internal Whether the current task may wait on or notify a Condition over this lock. */
  _isOwned(): boolean;
  /** @internal Lets go of the lock entirely, returning what `_acquireRestore` needs to take it back. */
  _releaseSave(): unknown;
  /** @internal Takes the lock back as it was; never times out and cannot be aborted. */
  _acquireRestore(saved: unknown): Promise<unknown>;
}
