import { RuntimeError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { Lock as LockApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { admitSync } from "./admit.ts";
import { FALSE, Futex, TRUE } from "./futex.ts";
import { allocate, attach, Kind, NONE, QUEUED, STATE, VALUE_MASK } from "./layout.ts";
import { type ConditionLock, LockLike } from "./lock-like.ts";
import { ME } from "./runtime.ts";

/**
 * A mutual-exclusion lock shared by every thread that has it, as Python's `threading.Lock`: not reentrant,
 * and any thread or task may release it. Waiters on any thread are served first come, first served; a
 * release hands the lock straight to the longest waiter. STATE holds the holder's thread id + 1 (0: free).
 *
 * Pass it to a worker as `toHandle(lock)` (see ./handle.ts). Do not mix a blocking `acquireSync` with async
 * waits of the same thread on the same lock: the async waiter may be handed the lock while its thread blocks.
 */
export class Lock extends LockLike implements LockApi, ConditionLock {
  /** @internal */
  declare readonly _core: Futex;
  /** Makes the class nominal: a Lock and an RLock have the same public shape but are not interchangeable. */
  declare private readonly brand: "Lock";

  constructor() {
    super();
    (this as { _core: Futex })._core = new Futex(allocate(Kind.Lock));
  }

  /** @internal A live Lock over a received buffer (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer): Lock {
    const lock = Object.create(Lock.prototype) as Lock;
    (lock as { _core: Futex })._core = new Futex(attach(buffer, Kind.Lock));
    return lock;
  }

  /**
   * Resolves true once the lock is this caller's, false if `timeout` passed first or a try failed.
   * Cancel-safe: on abort it rejects with `signal.reason` and the lock is as if the call was never made
   * (unless it had already been handed over: then the abort is too late and it resolves true).
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (Atomics.compareExchange(this._core.i32, STATE, 0, ME) === 0) return TRUE;
    return ms === 0 ? FALSE : this._core.acquireAsync(this, ME, 0, ms, opts?.signal);
  }

  /** The blocking twin of `acquire` (Atomics.wait): returns true once held, false on timeout. */
  acquireSync(opts?: WaitOptions): boolean {
    const ms = admitSync(opts);
    if (Atomics.compareExchange(this._core.i32, STATE, 0, ME) === 0) return true;
    return this._core.acquireSync(this, ME, 0, ms);
  }

  /** Takes the lock if it is free (free implies nobody waits), synchronously: one compareExchange. */
  tryAcquire(): boolean {
    return Atomics.compareExchange(this._core.i32, STATE, 0, ME) === 0;
  }

  /** Releases the lock, handing it to the longest waiter if any. RuntimeError if it is not locked. */
  release(): void {
    const core = this._core;
    const i32 = core.i32;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if ((s & VALUE_MASK) === 0) throw new RuntimeError("release unlocked lock");
      if ((s & QUEUED) === 0) {
        if (Atomics.compareExchange(i32, STATE, s, 0) === s) return;
        continue;
      }
      core.lock();
      const queued = (Atomics.load(i32, STATE) & QUEUED) !== 0;
      if (queued) {
        const cell = core.shift();
        const heir = cell === NONE ? 0 : core.owner(cell);
        Atomics.store(i32, STATE, heir | (core.size > 0 ? QUEUED : 0));
        if (cell !== NONE) core.grant(cell, 1);
      }
      core.unlock();
      if (queued) return;
    }
  }

  locked(): boolean {
    return (Atomics.load(this._core.i32, STATE) & VALUE_MASK) !== 0;
  }

  /** @internal */
  take(state: number): number {
    return state === 0 ? ME : -1;
  }

  /** @internal */
  took(): void {}

  /** @internal A Condition over a plain Lock counts it as held when anyone holds it (as Python). */
  _isOwned(): boolean {
    return this.locked();
  }

  /** @internal */
  _depth(): number {
    return 1;
  }

  /** @internal */
  _releaseSave(): number {
    this.release();
    return 1;
  }

  /** @internal */
  _acquireRestore(): Promise<boolean> {
    return this._core.acquireAsync(this, ME, 0, Number.POSITIVE_INFINITY);
  }

  /** @internal */
  _acquireRestoreSync(): boolean {
    return this._core.acquireSync(this, ME, 0, Number.POSITIVE_INFINITY);
  }
}
