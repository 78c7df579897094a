import { RuntimeError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { RLock as RLockApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { probe } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { Futex, type Handing, type Orphans, TRUE } from "./futex.ts";
import { allocate, attach, Kind, NONE, QUEUED, RLOCK_COUNT, STATE, VALUE_MASK } from "./layout.ts";
import { ownerDied, recoverOwner, resumeHandOff } from "./lock.ts";
import { type ConditionLock, LockLike } from "./lock-like.ts";
import { ME } from "./runtime.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";

/**
 * Levels of an RLock that a Condition wait of this thread let go of (`_releaseSave`) and will take back, and
 * how many of them other code of this thread released meanwhile (see the class comment). Per thread (this
 * module is loaded once per thread), per buffer: every RLock object of the thread over that buffer holds the
 * same record, so a wait touches no map. Both are 0 unless a wait holds levels now.
 */
interface Loan {
  lent: number;
  owed: number;
}
const loans = new WeakMap<ArrayBufferLike, Loan>();

/** This thread's loan record of the RLock over `i32`, made on first use and kept (a wait's hot path). */
function loanOf(i32: Int32Array): Loan {
  let loan = loans.get(i32.buffer);
  if (loan === undefined) loans.set(i32.buffer, (loan = { lent: 0, owed: 0 }));
  return loan;
}

/** A release by this thread while its levels are lent: true if one of them is owed back (no error). */
function owe(loan: Loan): boolean {
  if (loan.owed >= loan.lent) return false;
  loan.owed++;
  return true;
}

/** A wait took back `saved` lent levels: how many of them were released meanwhile (to let go now). */
function repay(loan: Loan, saved: number): number {
  const k = Math.min(loan.owed, saved);
  loan.owed -= k;
  loan.lent -= saved;
  return k;
}

/**
 * A reentrant lock shared across threads, as Python's `threading.RLock`. The owner is the thread: code of
 * the owning thread (any of its tasks) re-enters and counts up; another thread waits its turn, first come
 * first served, and its `release()` is a RuntimeError. STATE holds the owner's thread id + 1, RLOCK_COUNT
 * the depth; a hand-off writes both for the next owner before waking it. The depth is a plain word (an
 * Atomics.store costs ~20 ns): only its owner reads it, and whoever makes a thread the owner wrote it
 * before the STATE store or compareExchange that did.
 *
 * Async tasks of one thread are one owner: an RLock does not exclude them from one another (two tasks of the
 * main thread both "hold" it at once, at depth 2), and a Condition wait over it lets go of, and later takes
 * back, every level of the thread, including those another task took. To exclude tasks of one thread, use
 * a Lock (not reentrant: any task waits its turn), or the local tier, whose RLock is owned by the task. What
 * this tier guarantees when tasks share an RLock anyway: nothing stays locked for good. A task that releases
 * a level while a Condition wait of its thread holds it (let go, to take back) does not fail: the level is
 * owed, and the wait lets it go when it takes the lock back. (A notify from such a task, which then holds
 * nothing, is still a RuntimeError.)
 *
 * Owner died: as for Lock (see its class comment), and also when the owner's code returned with the lock
 * held (nobody else could ever release it): the thread that inherits the lock from an owner that died or
 * ended holds it at depth 1 (a Condition waiter at the depth it waited with, whether the lock was handed to
 * it or it took the lock back itself) when its `acquire` rejects, or
 * `acquireSync`/`tryAcquire` throw, OwnerDiedError; `hold()` and `run()` release it and reject with it.
 */
export class RLock extends LockLike implements RLockApi, ConditionLock, Orphans, Handing {
  /** @internal */
  declare readonly _core: Futex;
  /** Makes the class nominal: a Lock and an RLock have the same public shape but are not interchangeable. */
  declare private readonly brand: "RLock";

  /** This thread's levels lent to Condition waits (shared by every RLock object over the same buffer). */
  declare private readonly loan: Loan;

  constructor() {
    super();
    wire(this, allocate(Kind.RLock));
  }

  /** @internal A live RLock over a received buffer (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer): RLock {
    const lock = Object.create(RLock.prototype) as RLock;
    wire(lock, attach(buffer, Kind.RLock));
    return lock;
  }

  /**
   * Resolves true once this thread holds the lock (at once if it already does: the depth goes up), false on
   * timeout or a failed try. Cancel-safe: on abort nothing is held or counted (unless the hand-off came
   * first: then it resolves true). Rejects with OwnerDiedError, holding the lock at depth 1, if it
   * inherited the lock from a thread that died holding it.
   * @example
   * ```ts
   * await rlock.acquire();
   * await rlock.acquire(); // same thread: depth 2, two releases to free it
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "acquire", opts, this.acquire, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.enter()) return TRUE;
    return this._core.acquireAsync(this, ME, 1, ms, opts?.signal);
  }

  /**
   * The blocking twin of `acquire`; throws OwnerDiedError (holding the lock) where `acquire` rejects.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * if (rlock.acquireSync({ timeout: 100 })) rlock.release();
   * ```
   */
  acquireSync(opts?: WaitOptions): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "acquire", opts, this.acquireSync, opts);
    const ms = admitSync(opts);
    return this.enter() || this._core.acquireSync(this, ME, 1, ms);
  }

  /**
   * Takes the lock, or re-enters it, if it is free or this thread's. If it is held by a thread that died
   * and nobody waits, takes it at depth 1 and throws OwnerDiedError.
   */
  tryAcquire(): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "acquire", 0, this.tryAcquire);
    return this.enter() || this._core.tryRescue(ME, 1);
  }

  /** Takes or re-enters without waiting and without looking at liveness. */
  private enter(): boolean {
    const i32 = this._core.i32;
    const s = Atomics.load(i32, STATE);
    if ((s & VALUE_MASK) === ME) {
      i32[RLOCK_COUNT] = (i32[RLOCK_COUNT] as number) + 1;
      return true;
    }
    if (s !== 0 || Atomics.compareExchange(i32, STATE, 0, ME) !== 0) return false;
    i32[RLOCK_COUNT] = 1;
    return true;
  }

  /**
   * Undoes one level; the last hands the lock to the longest waiter. RuntimeError("cannot release
   * un-acquired lock") if this thread does not hold it.
   */
  release(): void {
    if (probe.on && this._isOwned() && this._depth() === 1) pointOf(this, "release");
    const i32 = this._core.i32;
    if ((Atomics.load(i32, STATE) & VALUE_MASK) !== ME) {
      if (owe(this.loan)) return; // a level that a Condition wait of this thread holds for now: see the class comment
      throw new RuntimeError("cannot release un-acquired lock");
    }
    const depth = i32[RLOCK_COUNT] as number;
    if (depth > 1) i32[RLOCK_COUNT] = depth - 1;
    else this.handOn();
  }

  /** Whether any thread holds it. */
  locked(): boolean {
    return (Atomics.load(this._core.i32, STATE) & VALUE_MASK) !== 0;
  }

  /** @internal */
  take(state: number): number {
    return state === 0 ? ME : -1;
  }

  /** @internal */
  took(depth: number): void {
    this._core.i32[RLOCK_COUNT] = depth;
  }

  /** @internal See Orphans in ./futex.ts. */
  recover(claim: boolean, owner: number, depth: number): number {
    return recoverOwner(this._core, claim, owner, RLOCK_COUNT, true, depth);
  }

  /** @internal */
  died(dead: number): Error {
    return ownerDied("RLock", dead);
  }

  /** @internal See Handing in ./futex.ts. */
  resume(cell: number): number {
    return resumeHandOff(this._core, cell, RLOCK_COUNT);
  }

  /** @internal */
  _isOwned(): boolean {
    return (Atomics.load(this._core.i32, STATE) & VALUE_MASK) === ME;
  }

  /** @internal */
  _depth(): number {
    return this._core.i32[RLOCK_COUNT] as number;
  }

  /** @internal Lets go of every level at once. */
  _releaseSave(): number {
    if (probe.on && this._isOwned()) pointOf(this, "release");
    if (!this._isOwned()) throw new RuntimeError("cannot release un-acquired lock");
    const depth = this._core.i32[RLOCK_COUNT] as number;
    this.handOn();
    this.loan.lent += depth;
    return depth;
  }

  /** @internal The Condition wait that lent `saved` levels holds the lock again: levels released meanwhile are let go. */
  _restored(saved: number): void {
    const i32 = this._core.i32;
    const k = repay(this.loan, saved);
    if (k === 0 || !this._isOwned()) return;
    const depth = (i32[RLOCK_COUNT] as number) - k;
    if (depth > 0) i32[RLOCK_COUNT] = depth;
    else this.handOn();
  }

  /** @internal Takes the lock back for this thread at the same depth. */
  _acquireRestore(depth: number): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return callAsync(this, "acquire", undefined, this._acquireRestore, depth);
    return this._core.acquireAsync(this, ME, depth, Number.POSITIVE_INFINITY);
  }

  /** @internal */
  _acquireRestoreSync(depth: number): boolean {
    if (probe.on && probe.self !== this)
      return callSync(this, "acquire", undefined, this._acquireRestoreSync, depth);
    return this._core.acquireSync(this, ME, depth, Number.POSITIVE_INFINITY);
  }

  /** Gives the lock up entirely: to the longest waiter (owner and depth written before it wakes), or free. */
  private handOn(): void {
    const core = this._core;
    const i32 = core.i32;
    if (Atomics.compareExchange(i32, STATE, ME, 0) === ME) return; // nobody waits: one compareExchange
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) === 0) {
        if (Atomics.compareExchange(i32, STATE, s, 0) === s) return;
        continue;
      }
      core.lock();
      const queued = (Atomics.load(i32, STATE) & QUEUED) !== 0;
      if (queued) {
        const cell = core.shift();
        if (cell === NONE) Atomics.store(i32, STATE, 0);
        else {
          i32[RLOCK_COUNT] = core.value(cell); // published by the STATE store and the grant
          Atomics.store(i32, STATE, core.owner(cell) | (core.size > 0 ? QUEUED : 0));
          core.grant(cell, 1);
        }
      }
      core.unlock();
      if (queued) return;
    }
  }
}

function wire(lock: RLock, i32: Int32Array): void {
  (lock as unknown as { _core: Futex })._core = new Futex(i32, lock, lock);
  (lock as unknown as { loan: Loan }).loan = loanOf(i32);
}
