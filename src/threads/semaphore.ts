import { OwnerDiedError, ValueError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type {
  BoundedSemaphore as BoundedSemaphoreApi,
  Semaphore as SemaphoreApi,
} from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { probe } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { Futex, type Handing, type Orphans } from "./futex.ts";
import {
  allocate,
  attach,
  CAPACITY,
  CAPACITY_WORD,
  CELL,
  HEADER,
  Kind,
  MAX_PERMITS,
  NONE,
  QUEUED,
  SEM_BOUND,
  SEM_DEAD,
  SEM_ENTRY,
  SEM_J_COUNT,
  SEM_J_GRANT,
  SEM_J_HIGH,
  SEM_J_LEFT,
  SEM_J_LOG,
  SEM_J_MAX,
  SEM_J_OWNER,
  SEM_J_SIZE,
  SEM_J_WORDS,
  SEM_NOTICE,
  SEM_POOL,
  SEM_TRACKED,
  STATE,
  semEntries,
  VALUE_MASK,
} from "./layout.ts";
import { ALIVE, DIED, deaths, ENDED, fateOf } from "./liveness.ts";
import { LockLike } from "./lock-like.ts";
import { ME } from "./runtime.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";

/**
 * A counter of permits shared across threads, as Python's `threading.Semaphore`. Waiters are served first
 * come, first served: while anyone waits no permit is free (each release goes straight to the longest
 * waiter). STATE holds the free permits (at most MAX_PERMITS = 2^30 - 1) and the QUEUED bit.
 *
 * Owner died. Permits have no owner in Python (any thread may release one), so the semaphore keeps, in its
 * buffer, a table of the permits each thread holds, by these rules:
 * - The initial value is the pool. A permit a thread acquires counts as held by it while fewer than `value`
 *   (the initial value) permits are counted in all; beyond that the permit was made by a release without a
 *   matching acquire (a signal, as in producer/consumer use) and is consumed by its taker, not held.
 * - `release(n)` first gives back permits the releasing thread holds; the rest give back permits other
 *   threads hold (a release on their behalf, as when a thread hands its permit to another); the rest are
 *   releases without an acquire (signals).
 * - When a thread dies holding k permits (terminated, `process.exit()`, an uncaught error), they are
 *   released on its behalf: each goes to the next acquirer (the longest waiter, or a later caller, also
 *   `tryAcquire`) with OwnerDiedError, which it gets while it holds that permit. `hold()` and `run()` give
 *   such a permit back and reject with OwnerDiedError. A thread whose code returned keeps what it took (its
 *   permits are consumed, as in Python): only dying gives permits back.
 * So a death never makes or loses a permit of the pool, and a consumer that dies does not give back what it
 * consumed.
 *
 * Dying at any instruction. A permit moves (STATE) and is counted (the table) in two writes, which one
 * compareExchange cannot join; so every take, release and recovery changes STATE and the table under GUARD
 * only, in steps of one permit, and each step journals the old value of every word before it writes it
 * (robust futexes' `list_op_pending`, as an undo log: see ./layout.ts). A step ends by emptying the
 * journal, before any grant it makes. Whoever takes GUARD over from a holder that died (`rollback`, then
 * `redo`, from Futex.repair) undoes the step it left unfinished, puts back at the head a waiter that step
 * took off the FIFO, or grants one a finished step took off; and finishes a release it had started (J_LEFT
 * permits were still to go back: a release happens whole). So a death at any instruction neither loses nor
 * makes a permit. Uncontended, a take or a release is GUARD's compareExchange and exchange around plain
 * loads and stores, no dearer than the atomics it replaces.
 *
 * The table has an entry per permit of the initial value (up to SEM_OWNERS = 4096, the threads the liveness
 * registry tells apart): counted permits never exceed the initial value, so an entry that counts nothing
 * is always there to reuse, and no holder goes uncounted for want of one.
 */
export class Semaphore extends LockLike implements SemaphoreApi, Orphans, Handing {
  /** @internal */
  declare readonly _core: Futex;
  declare private readonly i32: Int32Array;
  /** Where the journal starts in the buffer, and the owner table. */
  declare private readonly j: number;
  declare private readonly table: number;
  /** This thread's entry in the owner table, if it has one (checked before use). */
  declare private slot: number;
  /** The deaths count at this object's last look for threads that ended holding permits. */
  declare private reaped: number;
  /** SEM_POOL and SEM_BOUND, which never change: read once. */
  declare private readonly pool: number;
  declare private readonly bound: number;
  /** Whether the last `rollback` undid a step (then a waiter it took off the FIFO goes back). */
  declare private undone: boolean;

  constructor(value = 1) {
    super();
    checkPermits(value);
    const kind = new.target === BoundedSemaphore ? Kind.BoundedSemaphore : Kind.Semaphore;
    const i32 = allocate(kind, CAPACITY, semEntries(value));
    i32[STATE] = value;
    i32[SEM_BOUND] = new.target === BoundedSemaphore ? value : -1;
    i32[SEM_POOL] = value;
    init(this, i32);
  }

  /** @internal A live Semaphore over a received buffer (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer): Semaphore {
    return wrap(Semaphore.prototype, attach(buffer, Kind.Semaphore));
  }

  /** Permits available now. */
  get value(): number {
    return Atomics.load(this.i32, STATE) & VALUE_MASK;
  }

  /**
   * Resolves true once a permit is the caller's, false on timeout or a failed try.
   * Cancel-safe: on abort it rejects with `signal.reason` and no permit is taken (unless one had already
   * been handed over: then it resolves true). Rejects with OwnerDiedError, the permit the caller's, if the
   * permit it got was recovered from a thread that died holding it (see the class comment).
   * @example
   * ```ts
   * if (await sem.acquire({ timeout: 50 })) sem.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "acquire", opts, this.acquire, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    return this._core.acquireAsync(this, ME, 0, ms, opts?.signal);
  }

  /**
   * The blocking twin of `acquire`; throws OwnerDiedError (holding the permit) where `acquire` rejects.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * sem.acquireSync(); // in a worker
   * try { work(); } finally { sem.release(); }
   * ```
   */
  acquireSync(opts?: WaitOptions): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "acquire", opts, this.acquireSync, opts);
    return this._core.acquireSync(this, ME, 0, admitSync(opts));
  }

  /**
   * Takes a permit if one is free and nobody waits. Throws OwnerDiedError, holding the permit, if the
   * permit was recovered from a thread that died (also when none was free but a dead thread held some).
   */
  tryAcquire(): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "acquire", 0, this.tryAcquire);
    const core = this._core;
    const got = core.tryTake(this, 0);
    if (got > 0) return true;
    if (got < 0) throw this.died(-got);
    return core.tryRescue(ME, 0);
  }

  /**
   * Gives back `n` permits (n >= 1), each to the longest waiter if any. A BoundedSemaphore refuses to exceed
   * its initial value: ValueError, and nothing changes. Permits this thread holds are given back first
   * (see the class comment).
   */
  release(n = 1): void {
    if (probe.on) pointOf(this, "release", n);
    checkCount(n, "n", 1);
    const core = this._core;
    const i32 = this.i32;
    core.lock();
    const permits = i32[STATE]! & VALUE_MASK;
    const bound = this.bound;
    if ((bound >= 0 && permits + n > bound) || permits + n > MAX_PERMITS) {
      core.unlock();
      if (bound >= 0 && permits + n > bound) throw new ValueError("Semaphore released too many times");
      throw new RangeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
    }
    // Decided: from here a death of this thread is finished by whoever takes GUARD over (`redo`).
    i32[this.j + SEM_J_OWNER] = ME;
    i32[this.j + SEM_J_LEFT] = n;
    this.giveBack(ME);
    core.unlock();
  }

  /**
   * GUARD held: gives back the SEM_J_LEFT permits still to go of `owner`'s release, one journaled step
   * each: uncounted (its own first), then to the longest live waiter (counted for it) or to STATE.
   */
  private giveBack(owner: number): void {
    const core = this._core;
    const i32 = this.i32;
    const left = this.j + SEM_J_LEFT;
    for (let k = i32[left]!; k > 0; k--) {
      this.set(left, k - 1);
      this.untrack(owner);
      const s = i32[STATE]!;
      const cell = (s & QUEUED) !== 0 ? core.shift() : NONE;
      if (cell === NONE) {
        this.set(STATE, (s & VALUE_MASK) + 1); // QUEUED clear: a queued FIFO that shift() found empty had only the dead
        this.commit();
      } else this.hand(cell, 1);
    }
  }

  /** GUARD held, a step in progress: counts a permit for the waiter of `cell`, ends the step, grants it. */
  private hand(cell: number, value: number): void {
    const core = this._core;
    this.track(core.owner(cell));
    this.set(STATE, core.size > 0 ? QUEUED : 0);
    this.i32[this.j + SEM_J_GRANT] = value; // for `resume`, should this thread die before the grant
    this.commit();
    core.grant(cell, value);
  }

  /** @internal Only says whether a take from `state` may succeed: the take itself is `grab`. */
  take(state: number): number {
    return state > 0 ? state - 1 : -1;
  }

  /** @internal Never called: see `grab`. */
  took(): void {}

  /**
   * @internal See Taker.grab in ./futex.ts: takes a permit and counts it in one journaled step, and passes
   * on a death notice if one is due.
   */
  grab(_value: number, held: boolean): number {
    const core = this._core;
    const i32 = this.i32;
    if (!held) core.lock();
    const s = i32[STATE]!;
    let got = 0;
    if ((s & QUEUED) === 0 && (s & VALUE_MASK) > 0) {
      this.set(STATE, s - 1);
      this.track(ME);
      got = 1;
      const notices = i32[SEM_NOTICE]!;
      if (notices > 0) {
        this.set(SEM_NOTICE, notices - 1);
        got = -i32[SEM_DEAD]!;
      }
      this.commit();
    }
    if (!held) core.unlock();
    return got;
  }

  /** @internal See Orphans in ./futex.ts: gives back the permits of every dead thread in the table. */
  recover(claim: boolean, owner: number): number {
    const core = this._core;
    const i32 = this.i32;
    // Looked for without GUARD first: a waiter's slice must not wait on a GUARD whose holder lives.
    if (Atomics.load(i32, SEM_TRACKED) === 0 || !this.anyGone()) return 0;
    core.lock();
    let took = 0;
    const end = this.table + i32[this.j + SEM_J_HIGH]! * SEM_ENTRY;
    for (let e = this.table; e < end; e += SEM_ENTRY) {
      const o = i32[e]!;
      if (o === 0 || i32[e + 1] === 0) continue;
      const fate = fateOf(o);
      if (fate === ENDED) {
        this.forget(e);
        this.commit();
        continue;
      }
      if (fate !== DIED) continue;
      // One permit a step: the entry's count is the record of what is left to recover.
      for (let held = i32[e + 1]!; held > 0; held--) {
        this.set(e + 1, held - 1);
        this.set(SEM_TRACKED, i32[SEM_TRACKED]! - 1);
        const s = i32[STATE]!;
        const cell = (s & QUEUED) !== 0 ? core.shift() : NONE;
        if (cell !== NONE) this.hand(cell, -o);
        else if (claim && took === 0) {
          this.set(STATE, s & VALUE_MASK); // QUEUED clear: the FIFO held only the dead
          this.track(owner);
          this.commit();
          took = o;
        } else {
          // Notices with the permits: whoever takes one of them finds its notice.
          this.set(STATE, (s & VALUE_MASK) + 1);
          this.set(SEM_NOTICE, i32[SEM_NOTICE]! + 1);
          this.set(SEM_DEAD, o);
          this.commit();
        }
      }
    }
    core.unlock();
    return took;
  }

  /** Whether a thread that died or ended holds permits, by a read of the table without GUARD (a hint). */
  private anyGone(): boolean {
    const i32 = this.i32;
    const end = this.table + Atomics.load(i32, this.j + SEM_J_HIGH) * SEM_ENTRY;
    for (let e = this.table; e < end; e += SEM_ENTRY) {
      const o = Atomics.load(i32, e);
      if (o !== 0 && Atomics.load(i32, e + 1) > 0 && fateOf(o) !== ALIVE) return true;
    }
    return false;
  }

  /** @internal */
  died(dead: number): Error {
    return new OwnerDiedError(
      `thread ${dead - 1} died holding a permit of this ${this instanceof BoundedSemaphore ? "BoundedSemaphore" : "Semaphore"}; the caller holds that permit now, and the state it protects may be inconsistent`,
    );
  }

  // ---- the journal (GUARD held) -------------------------------------------------------------------------

  /** Writes `value` at `index`, its old value journaled first. */
  private set(index: number, value: number): void {
    const i32 = this.i32;
    const count = this.j + SEM_J_COUNT;
    const c = i32[count]!;
    if (c === SEM_J_MAX) throw new Error("threadkit: a semaphore step outgrew its journal"); // never: a step writes at most 10
    const at = this.j + SEM_J_LOG + 2 * c;
    i32[at] = index;
    i32[at + 1] = i32[index]!;
    i32[count] = c + 1; // then the write: a death before this store leaves the word as it was
    i32[index] = value;
  }

  /** Ends a step: nothing of it is undone any more. */
  private commit(): void {
    this.i32[this.j + SEM_J_COUNT] = 0;
  }

  /** @internal See Handing in ./futex.ts: undoes the step a GUARD holder died inside, newest write first. */
  rollback(): void {
    const i32 = this.i32;
    const count = this.j + SEM_J_COUNT;
    const c = i32[count]!;
    this.undone = c > 0;
    for (let k = c - 1; k >= 0; k--) {
      const at = this.j + SEM_J_LOG + 2 * k;
      i32[i32[at]!] = i32[at + 1]!;
    }
    i32[count] = 0;
  }

  /**
   * @internal See Handing: a waiter the dead GUARD holder took off the FIFO goes back at the head if its
   * step was undone, else gets the grant its finished step decided.
   */
  resume(): number {
    return this.undone ? 0 : this.i32[this.j + SEM_J_GRANT]!;
  }

  /** @internal See Handing: finishes the release the dead GUARD holder had started. */
  redo(): void {
    const i32 = this.i32;
    if (i32[this.j + SEM_J_LEFT]! > 0) this.giveBack(i32[this.j + SEM_J_OWNER]!);
  }

  // ---- the owner table (GUARD held, inside a step) ------------------------------------------------------

  /** A thread that ended (its code returned) keeps what it took: its permits are consumed, not held. */
  private forget(e: number): void {
    const i32 = this.i32;
    this.set(SEM_TRACKED, i32[SEM_TRACKED]! - i32[e + 1]!);
    this.set(e + 1, 0);
  }

  /** Counts a permit as held by `owner`, as far as the pool allows (see the class comment). */
  private track(owner: number): void {
    const i32 = this.i32;
    if (i32[SEM_TRACKED]! >= this.pool) {
      // The pool is all counted: the permits of a thread that ended since we last looked are consumed.
      const e = this.ended();
      if (e < 0) return;
      this.forget(e);
    }
    const e = this.entryOf(owner, true);
    if (e < 0) return; // more than SEM_OWNERS threads hold permits at once
    this.set(SEM_TRACKED, i32[SEM_TRACKED]! + 1);
    this.set(e + 1, i32[e + 1]! + 1);
  }

  /** Stops counting one permit: `owner`'s if it holds any, else another thread's (a release on its behalf). */
  private untrack(owner: number): void {
    const i32 = this.i32;
    if (i32[SEM_TRACKED] === 0) return;
    let e = this.entryOf(owner, false);
    if (e < 0 || i32[e + 1] === 0) {
      const end = this.table + i32[this.j + SEM_J_HIGH]! * SEM_ENTRY;
      for (e = this.table; e < end && i32[e + 1] === 0; e += SEM_ENTRY);
      if (e === end) return;
    }
    this.set(SEM_TRACKED, i32[SEM_TRACKED]! - 1);
    this.set(e + 1, i32[e + 1]! - 1);
  }

  /** An entry of a thread that ended holding permits, or -1; scans only after a new end or death. */
  private ended(): number {
    const d = deaths();
    if (d === this.reaped) return -1;
    const i32 = this.i32;
    const end = this.table + i32[this.j + SEM_J_HIGH]! * SEM_ENTRY;
    for (let e = this.table; e < end; e += SEM_ENTRY) {
      const o = i32[e]!;
      if (o !== 0 && i32[e + 1]! > 0 && fateOf(o) === ENDED) return e;
    }
    this.reaped = d;
    return -1;
  }

  /**
   * The table entry of `owner` (its base index), claiming one if `claim` (a free one, a new one, else one
   * that counts nothing: its thread looks for its entry again); -1 if none.
   */
  private entryOf(owner: number, claim: boolean): number {
    const i32 = this.i32;
    if (owner === ME && this.slot >= 0 && i32[this.slot] === ME) return this.slot;
    const high = this.j + SEM_J_HIGH;
    const end = this.table + i32[high]! * SEM_ENTRY;
    let free = -1;
    for (let e = this.table; e < end; e += SEM_ENTRY) {
      const o = i32[e]!;
      if (o === owner) {
        if (owner === ME) this.slot = e;
        return e;
      }
      if (free < 0 && o === 0) free = e;
    }
    if (!claim) return -1;
    if (free < 0 && i32[high]! < i32[this.j + SEM_J_SIZE]!) {
      free = end;
      this.set(high, i32[high]! + 1);
    }
    for (let e = this.table; free < 0 && e < end; e += SEM_ENTRY) if (i32[e + 1] === 0) free = e;
    if (free < 0) return -1;
    this.set(free, owner);
    if (owner === ME) this.slot = free;
    return free;
  }
}

/** A Semaphore that refuses to hold more permits than it started with: ValueError, and nothing changes. */
export class BoundedSemaphore extends Semaphore implements BoundedSemaphoreApi {
  /** Makes the class nominal: a plain Semaphore is not a BoundedSemaphore, though it has the same shape. */
  declare private readonly bounded: true;

  /** @internal A live BoundedSemaphore over a received buffer (see ./handle.ts). */
  static override _attach(buffer: SharedArrayBuffer): BoundedSemaphore {
    return wrap(BoundedSemaphore.prototype, attach(buffer, Kind.BoundedSemaphore));
  }
}

function wrap<S extends Semaphore>(prototype: S, i32: Int32Array): S {
  const sem = Object.create(prototype) as S;
  init(sem, i32);
  return sem;
}

function init(sem: Semaphore, i32: Int32Array): void {
  const fields = sem as unknown as {
    _core: Futex;
    i32: Int32Array;
    j: number;
    table: number;
    slot: number;
    reaped: number;
    pool: number;
    bound: number;
    undone: boolean;
  };
  fields._core = new Futex(i32, sem, sem);
  fields.i32 = i32;
  fields.j = HEADER + Atomics.load(i32, CAPACITY_WORD) * CELL;
  fields.table = fields.j + SEM_J_WORDS;
  fields.slot = -1;
  fields.reaped = 0;
  fields.pool = Atomics.load(i32, SEM_POOL);
  fields.bound = Atomics.load(i32, SEM_BOUND);
  fields.undone = false;
}

function checkPermits(value: number): void {
  checkCount(value, "semaphore initial value", 0);
  if (value > MAX_PERMITS) throw new RangeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
}
