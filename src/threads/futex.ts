/**
 * CORE of the threads tier: park and wake on shared Int32 words, and the FIFO of waiters in shared memory.
 * Every primitive of this tier is a thin shell on it; none keeps a waiter list of its own. The words are
 * named in ./layout.ts. The core is five files, each with one job:
 * - ./futex-word.ts, the word mutex: GUARD, which each primitive's FIFO is kept under (and a queue's mutexes);
 * - ./futex-fifo.ts, the waiter FIFO: cells, their states, link, unlink, shift, grant, collect;
 * - ./futex-park.ts, parking: how a waiter spins, then sleeps in slices, blocking or async;
 * - ./futex-recovery.ts, owner recovery: what a thread that died holds (GUARD, a lock, a cell) is handed on;
 * - this file, the Futex: taking, entering the FIFO and leaving it, acquire; the face the primitives use.
 *
 * Invariants:
 * - STATE holds the primitive's value and the QUEUED bit. QUEUED is set and cleared only under GUARD, and
 *   outside GUARD it is set exactly while the FIFO holds a waiter. While it is set nothing is handed over
 *   outside GUARD, so a release that finds QUEUED clear is one compareExchange and never notifies, and a
 *   release that finds it set takes GUARD and hands to the head waiter.
 * - Taking without queueing (`take`) is only allowed while QUEUED is clear: nobody barges past a waiter.
 * - A waiter that times out or aborts takes GUARD (`leave`): if its cell is not GRANTED yet it unlinks it and
 *   leaves nothing behind; if it was GRANTED meanwhile it keeps the grant (the call succeeds). Nothing is
 *   lost or granted twice.
 * - The grant changes the primitive's state for the waiter (new owner, RLock depth) before the waiter
 *   wakes: the hand-off is complete before any other code can look.
 * - GUARD protects a few dozen instructions (link, unlink, a free-cell search over at most CAPACITY cells)
 *   and the notifies of a grant. Its holder can die anywhere inside: whoever takes it over finishes or undoes
 *   what was left half done (the recovery's `repair`). Waiting for a primitive never happens under it. The
 *   only nesting is a Condition's notify, which takes the Condition's GUARD and then its lock's, never the
 *   reverse.
 */
import { now } from "../internal/deadline.ts";
import { Fifo, FULL, handed, TAKEN, takenFrom, tellHanded, UNLINKED } from "./futex-fifo.ts";
import {
  enterAsync,
  parkAsync,
  parkSync,
  parkWordAsync,
  parkWordSync,
  roomAsync,
  roomSync,
  SPIN_ASYNC,
  sleepOn,
  type WordWait,
} from "./futex-park.ts";
import { freeDeadGrants, reclaim, repair, rescue, watch } from "./futex-recovery.ts";
import { lockWord, SPIN_SYNC, unlockWord } from "./futex-word.ts";
import { CELL_PREV, GUARD, NONE, OVERFLOW, QUEUED, ROOM, SLEEPING, STATE, WAITING } from "./layout.ts";

// What the primitives, the tests and the benchmarks import from the core, by the names they always had.
export { type Brought, FULL, TAKEN } from "./futex-fifo.ts";
export { SLICE, type WordWait } from "./futex-park.ts";
export { lockWord, SPIN_SYNC, sleeps, unlockWord } from "./futex-word.ts";

/** What a primitive tells the core about taking without waiting. */
export interface Taker {
  /** The STATE to store if the caller may take now from `state` (QUEUED clear), or -1 if it must wait. */
  take(state: number): number;
  /**
   * Runs right after a successful take, with the waiter's value, before other code of this thread runs.
   * A non-zero result is the owner word of a dead thread whose permit this take received: the call then
   * throws or rejects with OwnerDiedError (the caller holds what it took).
   */
  took(value: number): number | undefined | void;
  /**
   * For a primitive whose take changes more than STATE (a Semaphore's owner table): takes by itself, under
   * GUARD (`held`: the caller holds it already), if it may (nobody queued), instead of `take`'s
   * compareExchange on STATE and `took`. As tryTake's result: 1, 0, or `-deadOwner`. `take` then only says
   * whether a take from `state` may succeed.
   */
  grab?(value: number, held: boolean): number;
}

/**
 * What a lock-like primitive tells the core about holders that died (./futex-recovery.ts). A primitive
 * without it (Event, Condition) waits without looking at liveness.
 */
export interface Orphans {
  /**
   * @internal Recovers what dead threads hold, if anything: it goes to the head waiter(s) as a grant of value
   * `-deadOwner`, or, when nobody waits and `claim` is true, to the caller (owner word `owner`, the cell
   * value `value`), returning the dead thread's owner word. Returns 0 otherwise. Takes GUARD itself.
   */
  recover(claim: boolean, owner: number, value: number): number;
  /** @internal The OwnerDiedError for a grant or take that inherited from `deadOwner`. */
  died(deadOwner: number): Error;
}

/**
 * How a primitive finishes a hand-off that a GUARD holder left half done when it died (the recovery's
 * `repair`): the waiter of `cell` (alive) was taken off the FIFO to be granted and never was.
 */
export interface Handing {
  /** @internal GUARD held: the grant value to finish the hand-off with, or 0 to put the waiter back at the head. */
  resume(cell: number): number;
  /** @internal GUARD taken over, before the FIFO is repaired: undoes the dead holder's unfinished step. */
  rollback?(): void;
  /** @internal GUARD taken over, after the FIFO is repaired: finishes what the dead holder had committed to. */
  redo?(): void;
}

/** Finishes every half-done hand-off with a plain grant (1): an Event's set, a Condition's notify. */
export const FINISH: Handing = { resume: () => 1 };

export const TRUE: Promise<boolean> = Promise.resolve(true);
export const FALSE: Promise<boolean> = Promise.resolve(false);

/** The core over one primitive's buffer. Holds no state of its own: any number of them may share a buffer. */
export class Futex extends Fifo {
  constructor(
    i32: Int32Array,
    readonly orphans?: Orphans,
    /** @internal */
    readonly handing?: Handing,
  ) {
    super(i32);
  }

  // ---- the guard ----------------------------------------------------------------------------------------

  /** Takes GUARD; taken over from a holder that died inside, it first repairs the FIFO. */
  lock(): void {
    if (lockWord(this.i32, GUARD)) repair(this);
  }

  unlock(): void {
    unlockWord(this.i32, GUARD);
    if (handed.length !== 0) tellHanded();
  }

  // ---- entering and leaving the FIFO --------------------------------------------------------------------

  /**
   * Takes now if `t` allows it and nobody is queued (TAKEN, or below it: see `takenFrom`); else queues a
   * cell at the tail, setting QUEUED in the same step as the observation that the caller must wait, and
   * returns the cell; FULL if no cell is free. Takes GUARD itself. A caller that will wait on ROOM must read
   * ROOM before calling.
   */
  enter(t: Taker, owner: number, value: number): number {
    return this.enterCell(t, owner, value, true);
  }

  /**
   * As `enter`, for a waiter that will not wait on ROOM for a free cell (a Condition's waiter, which counts
   * its cell-less waiters itself; a Condition moving a notified waiter onto its lock): FULL leaves nothing
   * counted in OVERFLOW, and OVERFLOW is never touched, not even for a moment.
   */
  enterOrFail(t: Taker, owner: number, value: number): number {
    return this.enterCell(t, owner, value, false);
  }

  private enterCell(t: Taker, owner: number, value: number, room: boolean): number {
    const i32 = this.i32;
    this.lock();
    let overflowing = false;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) === 0 && t.grab !== undefined) {
        const got = t.grab(value, true);
        if (got !== 0) {
          if (overflowing) Atomics.sub(i32, OVERFLOW, 1);
          this.unlock();
          return got < 0 ? TAKEN + got : TAKEN;
        }
      } else if ((s & QUEUED) === 0) {
        const next = t.take(s);
        if (next >= 0) {
          if (Atomics.compareExchange(i32, STATE, s, next) !== s) continue;
          if (overflowing) Atomics.sub(i32, OVERFLOW, 1);
          this.unlock();
          return TAKEN - (t.took(value) || 0);
        }
      }
      let cell = this.freeCell();
      if (cell === NONE && room && !overflowing) {
        // Count ourselves before searching again: a cell freed after this search sees OVERFLOW > 0 and
        // bumps ROOM, so the caller's wait on ROOM cannot miss it.
        overflowing = true;
        Atomics.add(i32, OVERFLOW, 1);
        cell = this.freeCell();
      }
      if (cell === NONE) {
        this.unlock();
        return FULL; // OVERFLOW stays counted until the caller stops waiting on ROOM
      }
      if ((s & QUEUED) === 0 && Atomics.compareExchange(i32, STATE, s, s | QUEUED) !== s) continue;
      if (overflowing) Atomics.sub(i32, OVERFLOW, 1);
      this.link(cell, owner, value);
      this.unlock();
      return cell;
    }
  }

  /** A free cell, or one taken back from a waiter that died granted (GUARD held); NONE if none. */
  private freeCell(): number {
    const cell = this.alloc();
    return cell !== NONE ? cell : reclaim(this);
  }

  /**
   * A waiter gives up (timeout, abort). If its cell was granted meanwhile it keeps the grant: the grant's
   * value (never 0). If it was still waiting: 0, it has left the FIFO and nothing of it remains.
   */
  leave(cell: number): number {
    const i32 = this.i32;
    this.lock();
    const state = Atomics.load(i32, cell);
    if (state === WAITING || state === SLEEPING) {
      // Off the FIFO but not granted, with GUARD ours: its granter died between the two (GUARD was taken
      // over from it). Nothing came: leave, without unlinking it twice.
      if (i32[cell + CELL_PREV] !== UNLINKED) this.unlink(cell);
      this.settleQueued();
      // An abandoned Atomics.waitAsync stays registered on the cell's word until notified; flush it now so
      // that the cell's next waiter is the only one a grant can wake.
      if (state === SLEEPING) Atomics.notify(i32, cell);
      this.free(cell);
      this.unlock();
      return 0;
    }
    this.unlock();
    return this.collect(cell);
  }

  // ---- taking -------------------------------------------------------------------------------------------

  /**
   * Takes without queueing if `t` allows it and nobody is queued (no spin): 1 if taken, 0 if not, or
   * `-deadOwner` if taken from a dead thread (see `Taker.took`).
   */
  tryTake(t: Taker, value: number): number {
    const i32 = this.i32;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) !== 0) return 0;
      const next = t.take(s);
      if (next < 0) return 0;
      if (t.grab !== undefined) return t.grab(value, false);
      if (Atomics.compareExchange(i32, STATE, s, next) === s) {
        const died = t.took(value) || 0;
        return died === 0 ? 1 : -died;
      }
    }
  }

  /** As tryTake, retrying while the state is busy but nobody is queued, at most `max` times. */
  private spinTake(t: Taker, value: number, max: number): number {
    const i32 = this.i32;
    for (let i = 0; i < max; i++) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) !== 0) break; // someone already waits: it goes first
      const next = t.take(s);
      if (next >= 0 && t.grab !== undefined) {
        const got = t.grab(value, false);
        if (got !== 0) return got;
        continue;
      }
      if (next >= 0 && Atomics.compareExchange(i32, STATE, s, next) === s) {
        const died = t.took(value) || 0;
        return died === 0 ? 1 : -died;
      }
    }
    return 0;
  }

  /**
   * After a failed take: recovers from a dead holder if one is recorded, taking for the caller when nobody
   * waits. `-deadOwner` if the caller now holds what the dead held, else 0. One load while nobody has died.
   */
  rescue(owner: number, value: number): number {
    return rescue(this, owner, value);
  }

  /** `rescue` for a non-waiting call (tryAcquire): throws OwnerDiedError if the caller inherited. */
  tryRescue(owner: number, value: number): false {
    const got = rescue(this, owner, value);
    if (got < 0) throw this.orphans!.died(-got);
    return false;
  }

  /** Frees every cell granted to a waiter that died before it collected (GUARD held): see the recovery. */
  freeDeadGrants(): void {
    freeDeadGrants(this);
  }

  /** A waiter's slice check for deaths (see the recovery's `watch`): returns the deaths count it saw. */
  watch(seen: number): number {
    return watch(this, seen);
  }

  // ---- acquiring ----------------------------------------------------------------------------------------

  /**
   * Takes (via `t`) or waits in FIFO order until granted, blocking this thread; false once `ms` has passed
   * (0: try once). `owner` and `value` ride in the cell for the releaser (new owner, RLock depth).
   */
  acquireSync(t: Taker, owner: number, value: number, ms: number): boolean {
    return this.outcome(this.acquireSyncRaw(t, owner, value, ms));
  }

  /** acquireSync's outcome as a grant value: 0 not acquired, 1 acquired, `-deadOwner` inherited. */
  private acquireSyncRaw(t: Taker, owner: number, value: number, ms: number): number {
    let got = this.tryTake(t, value);
    if (got !== 0) return got;
    got = rescue(this, owner, value);
    if (got !== 0 || ms === 0) return got;
    const deadline = now() + ms;
    got = this.spinTake(t, value, SPIN_SYNC);
    if (got !== 0) return got;
    for (;;) {
      const seq = Atomics.load(this.i32, ROOM);
      const cell = this.enter(t, owner, value);
      if (cell <= TAKEN) return takenFrom(cell);
      if (cell !== FULL) return parkSync(this, cell, deadline);
      if (!roomSync(this, seq, deadline)) return 0;
    }
  }

  /** A grant value as an acquire's result: true/false, or OwnerDiedError thrown (the caller holds it). */
  outcome(got: number): boolean {
    if (got < 0) throw this.orphans!.died(-got);
    return got !== 0;
  }

  /** The async twin of acquireSync: never blocks the event loop; rejects with `signal.reason` on abort. */
  acquireAsync(t: Taker, owner: number, value: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason); // after an await gap of the caller's
    let got = this.tryTake(t, value);
    if (got === 0) got = rescue(this, owner, value);
    if (got === 0 && ms !== 0) {
      got = this.spinTake(t, value, SPIN_ASYNC);
      if (got === 0) return enterAsync(this, t, owner, value, now() + ms, signal);
    }
    if (got < 0) return Promise.reject(this.orphans!.died(-got));
    return got === 0 ? FALSE : TRUE;
  }

  // ---- parking (./futex-park.ts) ------------------------------------------------------------------------

  /**
   * Waits on a queued cell, blocking: the grant's value (negative: inherited from a dead thread), or 0 if
   * `deadline` passed first (or what `expire` makes of it: a Barrier breaks). It wakes every SLICE to
   * recover from a holder that died.
   */
  parkSync(cell: number, deadline: number, expire?: (cell: number) => number): number {
    return parkSync(this, cell, deadline, expire);
  }

  /**
   * Waits on a queued cell without blocking: the grant's value (negative: inherited from a dead thread), 0
   * on timeout, signal.reason on abort.
   */
  parkAsync(cell: number, deadline: number, signal?: AbortSignal): Promise<number> {
    return parkAsync(this, cell, deadline, signal);
  }

  /**
   * The waiter of `cell` sleeps on it, blocking, for at most `ms`: marks it SLEEPING first, and does not
   * sleep if the grant came first. What Atomics.wait returned, or "not-equal".
   */
  sleepOn(cell: number, ms: number): "ok" | "not-equal" | "timed-out" {
    return sleepOn(this, cell, ms);
  }

  /**
   * Waits for a cell to free after `enter()` returned FULL (`seq`: ROOM as read before `enter`), blocking:
   * false if `deadline` passed first. Either way the caller is no longer counted in OVERFLOW.
   */
  roomSync(seq: number, deadline: number): boolean {
    return roomSync(this, seq, deadline);
  }

  /** The async twin of roomSync: 1 once a cell may be free, 0 on timeout, signal.reason on abort. */
  roomAsync(seq: number, deadline: number, signal?: AbortSignal): Promise<number> {
    return roomAsync(this, seq, deadline, signal);
  }

  /**
   * Parks this thread on the word `i32[index]`, not on a cell of the FIFO (a Condition's waiter beyond
   * CAPACITY, a Barrier's party waiting for its round's action): blocking, until `w.look` gives an outcome.
   * The one park of the tier off the cells, so that such waits are sliced, told to the probe and watched as
   * every other.
   */
  parkWordSync<T>(index: number, w: WordWait<T>, deadline: number): T {
    return parkWordSync(this, index, w, deadline);
  }

  /**
   * The async twin of parkWordSync: holds a share of the keep-alive while pending; on abort it keeps what
   * `w.abort` says came first, else rejects with `signal.reason`. `idle`: a listener that may wait forever
   * (a Barrier's home), which keeps nobody alive and sleeps without slices.
   */
  parkWordAsync<T>(
    index: number,
    w: WordWait<T>,
    deadline: number,
    signal?: AbortSignal,
    idle = false,
  ): Promise<T> {
    return parkWordAsync(this, index, w, deadline, signal, idle);
  }
}
