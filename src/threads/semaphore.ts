import { OwnerDiedError, ValueError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type {
  BoundedSemaphore as BoundedSemaphoreApi,
  Semaphore as SemaphoreApi,
} from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { probe } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { FINISH, Futex, type Orphans } from "./futex.ts";
import {
  allocate,
  attach,
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
  SEM_NOTICE,
  SEM_OWNERS,
  SEM_POOL,
  SEM_TRACKED,
  STATE,
  VALUE_MASK,
} from "./layout.ts";
import { ALIVE, DIED, deaths, ENDED, fateOf, isDead } from "./liveness.ts";
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
 * consumed. At most SEM_OWNERS (64) threads are counted at once: entries of dead threads are reused (a take
 * that finds none free first gives back what the dead held), but the permits of live threads beyond 64 are
 * not recovered when they die. A thread terminated inside `acquire` between taking a permit and counting it,
 * or inside `release` between counting it down and giving it back (a few instructions each), loses that
 * permit: recovery never creates one. (Closing these windows would take the count and the permit in one
 * step, which one compareExchange on STATE cannot: every take and release would hold GUARD with an undo
 * record.)
 */
export class Semaphore extends LockLike implements SemaphoreApi, Orphans {
  /** @internal */
  declare readonly _core: Futex;
  /** Where the owner table starts in the buffer. */
  declare private readonly table: number;
  /** This thread's entry in the owner table, if it has one (checked before use). */
  declare private slot: number;
  /** The deaths count at this object's last reap(). */
  declare private reaped: number;
  /**
   * What the last `untrack` took: holder, count, holder, count... in its first `untookLength` slots (put
   * back if the release fails). Kept, not emptied: a release allocates nothing.
   */
  declare private readonly untook: number[];
  declare private untookLength: number;
  /** SEM_POOL and SEM_BOUND, which never change: read once. */
  declare private readonly pool: number;
  declare private readonly bound: number;

  constructor(value = 1) {
    super();
    checkPermits(value);
    const i32 = allocate(new.target === BoundedSemaphore ? Kind.BoundedSemaphore : Kind.Semaphore);
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
    return Atomics.load(this._core.i32, STATE) & VALUE_MASK;
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
    const i32 = core.i32;
    // Every check before anything changes (give() checks again, for a racing release).
    this.check(Atomics.load(i32, STATE) & VALUE_MASK, n);
    // Counted down before the permits go back: a death in between loses them rather than making two.
    this.untrack(n);
    try {
      this.give(n);
    } catch (e) {
      // A racing release hit the bound: as if never called, each permit counted for its holder again.
      const untook = this.untook;
      for (let k = 0; k < this.untookLength; k += 2) this.track(untook[k] as number, untook[k + 1] as number);
      throw e;
    }
  }

  /** Throws if `n` more permits than the `permits` free now would pass the bound or MAX_PERMITS. */
  private check(permits: number, n: number): void {
    const bound = this.bound;
    if (bound >= 0 && permits + n > bound) throw new ValueError("Semaphore released too many times");
    if (permits + n > MAX_PERMITS) throw new RangeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
  }

  private give(n: number): void {
    const core = this._core;
    const i32 = core.i32;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      const permits = s & VALUE_MASK;
      this.check(permits, n);
      if ((s & QUEUED) === 0) {
        if (Atomics.compareExchange(i32, STATE, s, s + n) === s) return;
        continue;
      }
      core.lock();
      const queued = (Atomics.load(i32, STATE) & QUEUED) !== 0; // then no permit is free
      if (queued) {
        let left = n;
        for (let cell = core.shift(); cell >= 0; cell = left > 0 ? core.shift() : -1) {
          this.track(core.owner(cell), 1); // counted for the waiter before it wakes: it may die any time
          core.grant(cell, 1);
          left--;
        }
        Atomics.store(i32, STATE, left | (core.size > 0 ? QUEUED : 0));
      }
      core.unlock();
      if (queued) return;
    }
  }

  /** @internal */
  take(state: number): number {
    return state > 0 ? state - 1 : -1;
  }

  /** @internal A permit taken without waiting: count it, and pass on a death notice if one is due. */
  took(): number {
    const i32 = this._core.i32;
    this.track(ME, 1, true);
    for (;;) {
      const notices = Atomics.load(i32, SEM_NOTICE);
      if (notices === 0) return 0;
      if (Atomics.compareExchange(i32, SEM_NOTICE, notices, notices - 1) === notices) {
        return Atomics.load(i32, SEM_DEAD);
      }
    }
  }

  /** @internal See Orphans in ./futex.ts: gives back the permits of every dead thread in the table. */
  recover(claim: boolean, owner: number): number {
    const core = this._core;
    const i32 = core.i32;
    if (Atomics.load(i32, SEM_TRACKED) === 0) return 0;
    let k = 0;
    let dead = 0;
    const end = this.table + SEM_OWNERS * SEM_ENTRY;
    for (let e = this.table; e < end; e += SEM_ENTRY) {
      const o = Atomics.load(i32, e);
      if (o === 0) continue;
      const fate = fateOf(o);
      if (fate === DIED) {
        const held = Atomics.exchange(i32, e + 1, 0); // exactly one recoverer gets them
        Atomics.sub(i32, SEM_TRACKED, held);
        if (held > 0) {
          k += held;
          dead = o;
        }
        Atomics.compareExchange(i32, e, o, 0);
      } else if (fate !== ALIVE) this.forget(e, o);
    }
    if (k === 0) return 0;
    Atomics.store(i32, SEM_DEAD, dead);
    let left = k;
    let took = 0;
    core.lock();
    const queued = (Atomics.load(i32, STATE) & QUEUED) !== 0; // then no permit is free
    if (queued) {
      while (left > 0) {
        const cell = core.shift();
        if (cell === NONE) break;
        this.track(core.owner(cell), 1);
        core.grant(cell, -dead);
        left--;
      }
    }
    if (left > 0 && claim) {
      this.track(owner, 1);
      left--;
      took = dead;
    }
    // Notices first, then the permits: whoever takes one of them finds its notice.
    if (left > 0) Atomics.add(i32, SEM_NOTICE, left);
    if (queued) Atomics.store(i32, STATE, left | (core.size > 0 ? QUEUED : 0));
    else if (left > 0) Atomics.add(i32, STATE, left); // fast paths may take and release meanwhile
    core.unlock();
    return took;
  }

  /** @internal */
  died(dead: number): Error {
    return new OwnerDiedError(
      `thread ${dead - 1} died holding a permit of this ${this instanceof BoundedSemaphore ? "BoundedSemaphore" : "Semaphore"}; the caller holds that permit now, and the state it protects may be inconsistent`,
    );
  }

  /** A thread that ended (its code returned) keeps what it took: its permits are consumed, not held. */
  private forget(e: number, o: number): void {
    const i32 = this._core.i32;
    Atomics.sub(i32, SEM_TRACKED, Atomics.exchange(i32, e + 1, 0));
    Atomics.compareExchange(i32, e, o, 0);
  }

  /**
   * Counts `n` permits as held by `owner`, as far as the pool allows (see the class comment). `unguarded`:
   * the caller does not hold GUARD, so a full table can be emptied of dead holders first (`recover` takes
   * GUARD): without it, a semaphore whose takes never fail would never look for them, and once SEM_OWNERS
   * dead holders filled the table no later permit could be recovered.
   */
  private track(owner: number, n: number, unguarded = false): void {
    const i32 = this._core.i32;
    const pool = this.pool;
    let k: number;
    for (;;) {
      const t = Atomics.load(i32, SEM_TRACKED);
      k = Math.min(pool - t, n);
      if (k <= 0 && this.reap()) continue;
      if (k <= 0) return;
      if (Atomics.compareExchange(i32, SEM_TRACKED, t, t + k) === t) break;
    }
    let e = this.entryOf(owner, true);
    if (e < 0 && unguarded && deaths() !== 0) {
      this.recover(false, 0);
      e = this.entryOf(owner, true);
    }
    if (e < 0)
      Atomics.sub(i32, SEM_TRACKED, k); // the table is full: not recoverable
    else Atomics.add(i32, e + 1, k);
  }

  /**
   * Stops counting up to `n` permits: this thread's first, then other threads'. What it took is left in
   * `untook`, holder by holder.
   */
  private untrack(n: number): void {
    const i32 = this._core.i32;
    this.untookLength = 0;
    if (Atomics.load(i32, SEM_TRACKED) === 0) return;
    let left = n;
    const own = this.entryOf(ME, false);
    if (own >= 0) left -= this.takeFrom(own, left);
    const end = this.table + SEM_OWNERS * SEM_ENTRY;
    for (let e = this.table; left > 0 && e < end; e += SEM_ENTRY) left -= this.takeFrom(e, left);
    if (left < n) Atomics.sub(i32, SEM_TRACKED, n - left);
  }

  /** Takes up to `max` permits off table entry `e`'s count, noting them in `untook`; returns how many. */
  private takeFrom(e: number, max: number): number {
    const i32 = this._core.i32;
    const owner = Atomics.load(i32, e);
    for (;;) {
      const c = Atomics.load(i32, e + 1);
      if (c <= 0) return 0;
      const k = Math.min(c, max);
      if (Atomics.compareExchange(i32, e + 1, c, c - k) !== c) continue;
      this.untook[this.untookLength++] = owner;
      this.untook[this.untookLength++] = k;
      return k;
    }
  }

  /**
   * The pool is all counted: forget the permits of threads that ended since this object last looked (they
   * count against the pool until then). True if it forgot any. Scans only after a new end or death.
   */
  private reap(): boolean {
    const d = deaths();
    if (d === this.reaped) return false;
    this.reaped = d;
    const i32 = this._core.i32;
    const end = this.table + SEM_OWNERS * SEM_ENTRY;
    let any = false;
    for (let e = this.table; e < end; e += SEM_ENTRY) {
      const o = Atomics.load(i32, e);
      if (o !== 0 && Atomics.load(i32, e + 1) > 0 && fateOf(o) === ENDED) {
        this.forget(e, o);
        any = true;
      }
    }
    return any;
  }

  /** The table entry of `owner` (its base index), claiming a free one if `claim`; -1 if none. */
  private entryOf(owner: number, claim: boolean): number {
    const i32 = this._core.i32;
    if (owner === ME && this.slot >= 0 && Atomics.load(i32, this.slot) === ME) return this.slot;
    const base = this.table;
    const end = base + SEM_OWNERS * SEM_ENTRY;
    for (let e = base; e < end; e += SEM_ENTRY) {
      if (Atomics.load(i32, e) === owner) {
        if (owner === ME) this.slot = e;
        return e;
      }
    }
    if (!claim) return -1;
    for (let pass = 0; pass < 2; pass++) {
      for (let e = base; e < end; e += SEM_ENTRY) {
        if (Atomics.load(i32, e) === 0 && Atomics.compareExchange(i32, e, 0, owner) === 0) {
          if (owner === ME) this.slot = e;
          return e;
        }
      }
      // Full: free the entries of dead threads that hold nothing (those that hold are for recover()).
      let freed = false;
      for (let e = base; e < end; e += SEM_ENTRY) {
        const o = Atomics.load(i32, e);
        if (o !== 0 && Atomics.load(i32, e + 1) === 0 && isDead(o, true)) {
          freed = Atomics.compareExchange(i32, e, o, 0) === o || freed;
        }
      }
      if (!freed) break;
    }
    return -1;
  }
}

/** Takes up to `max` from the count at `index` (never below 0); returns how many it took. */
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
    table: number;
    slot: number;
    reaped: number;
    untook: number[];
    untookLength: number;
    pool: number;
    bound: number;
  };
  // A release that died between taking a waiter off the FIFO and granting it had counted down the permit
  // it was giving: the waiter gets it (FINISH), counted for it or not (see the class comment).
  fields._core = new Futex(i32, sem, FINISH);
  fields.table = HEADER + Atomics.load(i32, CAPACITY_WORD) * CELL;
  fields.slot = -1;
  fields.reaped = 0;
  fields.untook = [];
  fields.untookLength = 0;
  fields.pool = Atomics.load(i32, SEM_POOL);
  fields.bound = Atomics.load(i32, SEM_BOUND);
}

function checkPermits(value: number): void {
  checkCount(value, "semaphore initial value", 0);
  if (value > MAX_PERMITS) throw new RangeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
}
