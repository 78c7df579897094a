import { OwnerDiedError, RuntimeError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { Lock as LockApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { probe as probeImport } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { Futex, type Handing, type Orphans, TRUE } from "./futex.ts";
import { allocate, attach, Kind, NONE, QUEUED, STATE, VALUE_MASK } from "./layout.ts";
import { isDead } from "./liveness.ts";
import { type ConditionLock, LockLike } from "./lock-like.ts";
import { ME } from "./runtime.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";

// The probe through a const of this module's own, which V8 folds into the compiled code (an import is a
// cell that every read loads, checks for the hole, and checks the map of): until anyone has listened,
// `probe.on` costs nothing, and the uncontended acquireSync + release compiles to the same code as before
// there was a probe (Node 20); after, one load.
const probe = probeImport;

/**
 * A mutual-exclusion lock shared by every thread that has it, as Python's `threading.Lock`: not reentrant,
 * and any thread or task may release it. Waiters on any thread are served first come, first served; a
 * release hands the lock straight to the longest waiter. STATE holds the holder's thread id + 1 (0: free).
 *
 * Pass it to a worker as `toHandle(lock)` (see ./handle.ts). Do not mix a blocking `acquireSync` with async
 * waits of the same thread on the same lock: the async waiter may be handed the lock while its thread blocks.
 *
 * Owner died: when the thread that acquired the lock dies holding it (terminated, `process.exit()`, an
 * uncaught error, or ending), the next acquirer (the longest waiter, or the next caller) gets the lock with
 * OwnerDiedError: `acquire` rejects and `acquireSync`/`tryAcquire` throw it while the caller holds the lock,
 * as EOWNERDEAD does; repair what the lock protects, then release. `hold()` and `run()` release it and
 * reject with OwnerDiedError (`run` does not call `fn`). The error is reported once; after it the lock is
 * an ordinary lock again. A worker whose code simply returned with the lock held did not die: as in Python,
 * the lock stays locked for another thread to release. Deaths are observed as ./liveness.ts says (by the
 * worker's parent, on its event loop); a waiter notices within ~100 ms.
 */
export class Lock extends LockLike implements LockApi, ConditionLock, Orphans, Handing {
  /** @internal */
  declare readonly _core: Futex;
  /** Makes the class nominal: a Lock and an RLock have the same public shape but are not interchangeable. */
  declare private readonly brand: "Lock";
  /** The core's words, held here too: the uncontended paths are one compareExchange each, and one load less. */
  declare private readonly i32: Int32Array;

  constructor() {
    super();
    wire(this, allocate(Kind.Lock));
  }

  /** @internal A live Lock over a received buffer (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer): Lock {
    const lock = Object.create(Lock.prototype) as Lock;
    wire(lock, attach(buffer, Kind.Lock));
    return lock;
  }

  /**
   * Resolves true once the lock is this caller's, false if `timeout` passed first or a try failed.
   * Cancel-safe: on abort it rejects with `signal.reason` and the lock is as if the call was never made
   * (unless it had already been handed over: then the abort is too late and it resolves true).
   * Rejects with OwnerDiedError, the lock held by the caller, if it inherited the lock from a thread that
   * died holding it (see the class comment).
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 100 })) lock.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "acquire", opts, this.acquire, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (Atomics.compareExchange(this.i32, STATE, 0, ME) === 0) return TRUE;
    return this._core.acquireAsync(this, ME, 0, ms, opts?.signal);
  }

  /**
   * The blocking twin of `acquire` (Atomics.wait): returns true once held, false on timeout; throws
   * OwnerDiedError holding the lock if it inherited it from a dead thread.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * lock.acquireSync(); // in a worker: blocks it, not the main thread
   * counter[0]++;
   * lock.release();
   * ```
   */
  acquireSync(opts?: WaitOptions): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "acquire", opts, this.acquireSync, opts);
    const i32 = this.i32;
    // Without options there is nothing to check first: the uncontended case is one compareExchange.
    if (opts === undefined && Atomics.compareExchange(i32, STATE, 0, ME) === 0) return true;
    const ms = admitSync(opts);
    if (Atomics.compareExchange(i32, STATE, 0, ME) === 0) return true;
    return this._core.acquireSync(this, ME, 0, ms);
  }

  /**
   * Takes the lock if it is free (free implies nobody waits), synchronously: one compareExchange. If it is
   * held by a thread that died and nobody waits, takes it and throws OwnerDiedError (the caller holds it).
   */
  tryAcquire(): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "acquire", 0, this.tryAcquire);
    return Atomics.compareExchange(this.i32, STATE, 0, ME) === 0 || this._core.tryRescue(ME, 0);
  }

  /** Releases the lock, handing it to the longest waiter if any. RuntimeError if it is not locked. */
  release(): void {
    if (probe.on) pointOf(this, "release");
    const i32 = this.i32;
    // The common case in one compareExchange: this thread holds it and nobody waits.
    if (Atomics.compareExchange(i32, STATE, ME, 0) === ME) return;
    const core = this._core;
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
    return (Atomics.load(this.i32, STATE) & VALUE_MASK) !== 0;
  }

  /** @internal */
  take(state: number): number {
    return state === 0 ? ME : -1;
  }

  /** @internal */
  took(): void {}

  /** @internal See Orphans in ./futex.ts. */
  recover(claim: boolean, owner: number): number {
    return recoverOwner(this._core, claim, owner, null, false, 1);
  }

  /** @internal */
  died(dead: number): Error {
    return ownerDied("Lock", dead);
  }

  /** @internal See Handing in ./futex.ts. */
  resume(cell: number): number {
    return resumeHandOff(this._core, cell, null);
  }

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
  _restored(): void {}

  /** @internal */
  _acquireRestore(): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "acquire", undefined, this._acquireRestore);
    return this._core.acquireAsync(this, ME, 0, Number.POSITIVE_INFINITY);
  }

  /** @internal */
  _acquireRestoreSync(): boolean {
    if (probe.on && probe.self !== this)
      return callSync(this, "acquire", undefined, this._acquireRestoreSync);
    return this._core.acquireSync(this, ME, 0, Number.POSITIVE_INFINITY);
  }
}

function wire(lock: Lock, i32: Int32Array): void {
  (lock as unknown as { _core: Futex })._core = new Futex(i32, lock, lock);
  (lock as unknown as { i32: Int32Array }).i32 = i32;
}

/**
 * Recovery of a Lock or RLock whose owner (in STATE) died, shared by both: under GUARD and only if STATE still
 * names the dead owner, hands the lock to the head waiter as a grant of -dead (an RLock at the depth the
 * waiter brought), or, if nobody waits and `claim`, to `owner` at `depth` (what the caller brought: 1 for an
 * acquire, a Condition waiter's saved depth when it takes its RLock back). Returns the dead owner word if the
 * caller took it, else 0.
 */
export function recoverOwner(
  core: Futex,
  claim: boolean,
  owner: number,
  depthWord: number | null,
  ended: boolean,
  depth: number,
): number {
  const i32 = core.i32;
  const dead = Atomics.load(i32, STATE) & VALUE_MASK;
  if (dead === 0 || dead === owner || !isDead(dead, ended)) return 0;
  core.lock();
  const s = Atomics.load(i32, STATE);
  let took = 0;
  if ((s & VALUE_MASK) === dead) {
    const cell = (s & QUEUED) !== 0 ? core.shift() : NONE;
    if (cell !== NONE) {
      if (depthWord !== null) Atomics.store(i32, depthWord, core.value(cell));
      Atomics.store(i32, STATE, core.owner(cell) | (core.size > 0 ? QUEUED : 0));
      core.grant(cell, -dead);
    } else if (Atomics.compareExchange(i32, STATE, s, claim ? owner : 0) === s) {
      // Ours, or free (every waiter died too, nobody is left to tell). A compareExchange: with nobody queued,
      // another thread may release a Lock (as Python) without GUARD, and a third acquire it, meanwhile.
      if (claim) {
        if (depthWord !== null) Atomics.store(i32, depthWord, depth);
        took = dead;
      }
    }
  }
  core.unlock();
  return took;
}

/**
 * A Lock's or RLock's hand-off to the waiter of `cell` that a releaser (or a recoverer) left half done when
 * it died inside GUARD (see `repair` in ./futex-recovery.ts): the cell was taken off the FIFO, so the lock was going to it.
 * STATE is made to name it (with the depth it brought, for an RLock) if the releaser died before that store,
 * and it is granted. While QUEUED was set nobody changed STATE without GUARD, so it still names the dead
 * releaser's choice or the state before it. (A recoverer's hand-off is finished as a plain one: the heir then
 * does not learn of the earlier death.)
 */
export function resumeHandOff(core: Futex, cell: number, depthWord: number | null): number {
  const i32 = core.i32;
  const heir = core.owner(cell);
  if ((Atomics.load(i32, STATE) & VALUE_MASK) !== heir) {
    if (depthWord !== null) i32[depthWord] = core.value(cell); // published by the STATE store
    Atomics.store(i32, STATE, heir | (core.size > 0 ? QUEUED : 0));
  }
  return 1;
}

/** The OwnerDiedError of a lock-like primitive inherited from the thread whose owner word is `dead`. */
export function ownerDied(kind: string, dead: number): OwnerDiedError {
  return new OwnerDiedError(
    `thread ${dead - 1} died holding this ${kind}; the caller holds it now, and the state it protects may be inconsistent`,
  );
}
