/**
 * CORE of the threads tier: park and wake on shared Int32 words, and the FIFO of waiters in shared memory.
 * Every primitive of this tier is a thin shell on it; none keeps a waiter list of its own. The words are
 * named in ./layout.ts.
 *
 * Invariants:
 * - STATE holds the primitive's value and the QUEUED bit. QUEUED is set and cleared only under GUARD, and
 *   outside GUARD it is set exactly while the FIFO holds a waiter. While it is set nothing is handed over
 *   outside GUARD, so a release that finds QUEUED clear is one compareExchange and never notifies, and a
 *   release that finds it set takes GUARD and hands to the head waiter.
 * - Taking without queueing (`take`) is only allowed while QUEUED is clear: nobody barges past a waiter.
 * - A cell belongs to one waiter from allocation to FREE. FREE -> WAITING (queued, under GUARD) -> GRANTED
 *   (unlinked and given, under GUARD, then one notify on exactly that cell's word) -> FREE (by its waiter).
 *   A waiter that times out or aborts takes GUARD: if its cell is still WAITING it unlinks it and leaves
 *   nothing behind; if it was GRANTED meanwhile it keeps the grant (the call succeeds). Nothing is lost or
 *   granted twice.
 * - The grant changes the primitive's state for the waiter (new owner, RLock depth) before the waiter
 *   wakes: the hand-off is complete before any other code can look.
 *
 * GUARD protects a few dozen instructions (link, unlink, a free-cell search over at most CAPACITY cells) and
 * the notifies of a grant; it spins, then sleeps. Waiting for a primitive never happens under it. The only
 * nesting is a Condition's notify, which takes the Condition's GUARD and then its lock's, never the reverse.
 *
 * Blocking waits use Atomics.wait; async waits (the main thread, and any async caller) use
 * Atomics.waitAsync and, while pending, hold a share of a ref'd interval (./runtime.ts), because Node does
 * not keep the process alive for a pending waitAsync.
 *
 * Spinning: a thread about to sleep first spins on the word it would sleep on (baselines: a futex sleep and
 * wake costs ~55 us, a spin hand-off ~0.2 us, and ~100 spins before sleeping cut real sleeps 20-60x). The
 * budget adapts per primitive: MIN_SPIN + twice a running average of where recent spins succeeded, capped
 * (lower for async waits, which spin on the event loop).
 */
import { now } from "../internal/deadline.ts";
import {
  CAPACITY_WORD,
  CELL,
  CELL_NEXT,
  CELL_OWNER,
  CELL_PREV,
  CELL_VALUE,
  FREE,
  GRANTED,
  GUARD,
  HEAD,
  HEADER,
  HINT,
  NONE,
  OVERFLOW,
  QUEUED,
  ROOM,
  SIZE,
  SPIN,
  STATE,
  TAIL,
  WAITING,
} from "./layout.ts";
import { canBlock, keepAlive, letGo, waitAsync } from "./runtime.ts";

/** What a primitive tells the core about taking without waiting. */
export interface Taker {
  /** The STATE to store if the caller may take now from `state` (QUEUED clear), or -1 if it must wait. */
  take(state: number): number;
  /** Runs right after a successful take, with the waiter's value, before other code of this thread runs. */
  took(value: number): void;
}

/** `enter()` took without queueing. */
export const TAKEN = -2;
/** `enter()` found no free cell (all CAPACITY are taken): wait on ROOM, then enter again. */
export const FULL = -3;

const GUARD_SPIN = 100;
const MIN_SPIN = 100;
const MAX_SPIN_SYNC = 2000;
const MAX_SPIN_ASYNC = 200;

export const TRUE: Promise<boolean> = Promise.resolve(true);
export const FALSE: Promise<boolean> = Promise.resolve(false);

/** The core over one primitive's buffer. Holds no state of its own: any number of them may share a buffer. */
export class Futex {
  private readonly capacity: number;

  constructor(readonly i32: Int32Array) {
    this.capacity = Atomics.load(i32, CAPACITY_WORD);
  }

  // ---- the guard ----------------------------------------------------------------------------------------

  /** Takes GUARD (Drepper's futex mutex: 0 free, 1 held, 2 held with sleepers). */
  lock(): void {
    const i32 = this.i32;
    if (Atomics.compareExchange(i32, GUARD, 0, 1) === 0) return;
    for (let i = 0; i < GUARD_SPIN; i++) {
      if (Atomics.load(i32, GUARD) === 0 && Atomics.compareExchange(i32, GUARD, 0, 1) === 0) return;
    }
    if (!canBlock) {
      while (Atomics.compareExchange(i32, GUARD, 0, 2) !== 0);
      return;
    }
    while (Atomics.exchange(i32, GUARD, 2) !== 0) Atomics.wait(i32, GUARD, 2);
  }

  unlock(): void {
    if (Atomics.exchange(this.i32, GUARD, 0) === 2) Atomics.notify(this.i32, GUARD, 1);
  }

  // ---- the FIFO (GUARD held) ----------------------------------------------------------------------------

  /** How many waiters are queued. */
  get size(): number {
    return Atomics.load(this.i32, SIZE);
  }

  /** The owner word the head waiter brought (NONE if nobody waits). */
  headOwner(): number {
    const head = Atomics.load(this.i32, HEAD);
    return head === NONE ? NONE : Atomics.load(this.i32, head + CELL_OWNER);
  }

  /** Unlinks the head waiter and returns its cell (still WAITING: `grant` it), or NONE. */
  shift(): number {
    const head = Atomics.load(this.i32, HEAD);
    if (head !== NONE) this.unlink(head);
    return head;
  }

  /** What the waiter of an unlinked cell brought. */
  owner(cell: number): number {
    return Atomics.load(this.i32, cell + CELL_OWNER);
  }
  value(cell: number): number {
    return Atomics.load(this.i32, cell + CELL_VALUE);
  }

  /**
   * Gives an unlinked cell `value` (not 0: what the waiter's park returns; 1 for a plain grant) and wakes
   * its waiter: exactly one notify on exactly its word.
   */
  grant(cell: number, value: number): void {
    const i32 = this.i32;
    Atomics.store(i32, cell + CELL_VALUE, value);
    Atomics.store(i32, cell, GRANTED);
    Atomics.notify(i32, cell, 1);
  }

  /** Clears QUEUED once the FIFO is empty. */
  settleQueued(): void {
    if (Atomics.load(this.i32, SIZE) === 0) Atomics.and(this.i32, STATE, ~QUEUED);
  }

  /**
   * Takes now if `t` allows it and nobody is queued (TAKEN); else queues a cell at the tail, setting QUEUED
   * in the same step as the observation that the caller must wait, and returns the cell; FULL if no cell is
   * free. Takes GUARD itself. A caller that will wait on ROOM must read ROOM before calling.
   */
  enter(t: Taker, owner: number, value: number): number {
    const i32 = this.i32;
    this.lock();
    let overflowing = false;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) === 0) {
        const next = t.take(s);
        if (next >= 0) {
          if (Atomics.compareExchange(i32, STATE, s, next) !== s) continue;
          if (overflowing) Atomics.sub(i32, OVERFLOW, 1);
          this.unlock();
          t.took(value);
          return TAKEN;
        }
      }
      let cell = this.alloc();
      if (cell === NONE && !overflowing) {
        // Count ourselves before searching again: a cell freed after this search sees OVERFLOW > 0 and
        // bumps ROOM, so the caller's wait on ROOM cannot miss it.
        overflowing = true;
        Atomics.add(i32, OVERFLOW, 1);
        cell = this.alloc();
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

  /**
   * As `enter`, for a waiter that will not wait for a free cell (a Condition moving a notified waiter onto
   * its lock): FULL leaves nothing counted in OVERFLOW.
   */
  enterOrFail(t: Taker, owner: number, value: number): number {
    const cell = this.enter(t, owner, value);
    if (cell === FULL) Atomics.sub(this.i32, OVERFLOW, 1);
    return cell;
  }

  /**
   * A waiter gives up (timeout, abort). If its cell was granted meanwhile it keeps the grant: the grant's
   * value (never 0). If it was still waiting: 0, it has left the FIFO and nothing of it remains.
   */
  leave(cell: number): number {
    const i32 = this.i32;
    this.lock();
    if (Atomics.load(i32, cell) === WAITING) {
      this.unlink(cell);
      this.settleQueued();
      // An abandoned Atomics.waitAsync stays registered on the cell's word until notified; flush it now so
      // that the cell's next waiter is the only one a grant can wake.
      Atomics.notify(i32, cell);
      this.free(cell);
      this.unlock();
      return 0;
    }
    this.unlock();
    return this.collect(cell);
  }

  /** The waiter has seen its grant: returns the grant's value, and the cell is free again. */
  collect(cell: number): number {
    const value = Atomics.load(this.i32, cell + CELL_VALUE);
    this.free(cell);
    return value;
  }

  private free(cell: number): void {
    const i32 = this.i32;
    Atomics.store(i32, cell, FREE);
    if (Atomics.load(i32, OVERFLOW) > 0) {
      Atomics.add(i32, ROOM, 1);
      Atomics.notify(i32, ROOM);
    }
  }

  private alloc(): number {
    const i32 = this.i32;
    const capacity = this.capacity;
    let k = Atomics.load(i32, HINT);
    for (let n = 0; n < capacity; n++) {
      const cell = HEADER + k * CELL;
      k = k + 1 === capacity ? 0 : k + 1;
      if (Atomics.load(i32, cell) === FREE) {
        Atomics.store(i32, HINT, k);
        return cell;
      }
    }
    return NONE;
  }

  private link(cell: number, owner: number, value: number): void {
    const i32 = this.i32;
    const tail = Atomics.load(i32, TAIL);
    Atomics.store(i32, cell + CELL_OWNER, owner);
    Atomics.store(i32, cell + CELL_VALUE, value);
    Atomics.store(i32, cell + CELL_NEXT, NONE);
    Atomics.store(i32, cell + CELL_PREV, tail);
    if (tail === NONE) Atomics.store(i32, HEAD, cell);
    else Atomics.store(i32, tail + CELL_NEXT, cell);
    Atomics.store(i32, TAIL, cell);
    Atomics.add(i32, SIZE, 1);
    Atomics.store(i32, cell, WAITING);
  }

  private unlink(cell: number): void {
    const i32 = this.i32;
    const prev = Atomics.load(i32, cell + CELL_PREV);
    const next = Atomics.load(i32, cell + CELL_NEXT);
    if (prev === NONE) Atomics.store(i32, HEAD, next);
    else Atomics.store(i32, prev + CELL_NEXT, next);
    if (next === NONE) Atomics.store(i32, TAIL, prev);
    else Atomics.store(i32, next + CELL_PREV, prev);
    Atomics.sub(i32, SIZE, 1);
  }

  // ---- spinning -----------------------------------------------------------------------------------------

  /** Spins while `i32[index] === expected`, up to the adaptive budget; true if it changed. */
  spinOn(index: number, expected: number, max: number): boolean {
    const i32 = this.i32;
    const budget = this.budget(max);
    for (let i = 0; i < budget; i++) {
      if (Atomics.load(i32, index) !== expected) {
        this.learn(i);
        return true;
      }
    }
    this.learn(-1);
    return false;
  }

  /** Takes without queueing if `t` allows it and nobody is queued (no spin). */
  tryTake(t: Taker, value: number): boolean {
    const i32 = this.i32;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) !== 0) return false;
      const next = t.take(s);
      if (next < 0) return false;
      if (Atomics.compareExchange(i32, STATE, s, next) === s) {
        t.took(value);
        return true;
      }
    }
  }

  /** As tryTake, retrying while the state is busy but nobody is queued, up to the adaptive budget. */
  private spinTake(t: Taker, value: number, max: number): boolean {
    const i32 = this.i32;
    const budget = this.budget(max);
    for (let i = 0; i < budget; i++) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) !== 0) break; // someone already waits: it goes first
      const next = t.take(s);
      if (next >= 0 && Atomics.compareExchange(i32, STATE, s, next) === s) {
        this.learn(i);
        t.took(value);
        return true;
      }
    }
    this.learn(-1);
    return false;
  }

  private budget(max: number): number {
    return Math.min(MIN_SPIN + 2 * Atomics.load(this.i32, SPIN), max);
  }

  /** Moves the running average toward where a spin succeeded, or decays it when spinning did not pay. */
  private learn(at: number): void {
    const avg = Atomics.load(this.i32, SPIN);
    Atomics.store(this.i32, SPIN, at >= 0 ? avg + ((at - avg) >> 3) : avg - (avg >> 3));
  }

  // ---- waiting ------------------------------------------------------------------------------------------

  /**
   * Takes (via `t`) or waits in FIFO order until granted, blocking this thread; false once `ms` has passed
   * (0: try once). `owner` and `value` ride in the cell for the releaser (new owner, RLock depth).
   */
  acquireSync(t: Taker, owner: number, value: number, ms: number): boolean {
    if (this.tryTake(t, value)) return true;
    if (ms === 0) return false;
    const deadline = now() + ms;
    if (this.spinTake(t, value, MAX_SPIN_SYNC)) return true;
    for (;;) {
      const seq = Atomics.load(this.i32, ROOM);
      const cell = this.enter(t, owner, value);
      if (cell === TAKEN) return true;
      if (cell !== FULL) return this.parkSync(cell, deadline) !== 0;
      if (!this.roomSync(seq, deadline)) return false;
    }
  }

  /** The async twin of acquireSync: never blocks the event loop; rejects with `signal.reason` on abort. */
  acquireAsync(t: Taker, owner: number, value: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.tryTake(t, value)) return TRUE;
    if (ms === 0) return FALSE;
    const deadline = now() + ms;
    if (this.spinTake(t, value, MAX_SPIN_ASYNC)) return TRUE;
    return new AsyncWait(this, t, owner, value, deadline, signal).promise as Promise<boolean>;
  }

  /** Waits on a queued cell, blocking: the grant's value, or 0 if `deadline` passed first. */
  parkSync(cell: number, deadline: number): number {
    const i32 = this.i32;
    if (this.spinOn(cell, WAITING, MAX_SPIN_SYNC)) return this.collect(cell);
    for (;;) {
      if (Atomics.load(i32, cell) !== WAITING) return this.collect(cell);
      const rest = deadline - now();
      if (rest <= 0) return this.leave(cell);
      Atomics.wait(i32, cell, WAITING, rest);
    }
  }

  /** Waits on a queued cell without blocking: the grant's value, 0 on timeout, signal.reason on abort. */
  parkAsync(cell: number, deadline: number, signal?: AbortSignal): Promise<number> {
    if (this.spinOn(cell, WAITING, MAX_SPIN_ASYNC)) return Promise.resolve(this.collect(cell));
    return new AsyncWait(this, null, 0, 0, deadline, signal, cell).promise as Promise<number>;
  }

  /**
   * Waits for a cell to free after `enter()` returned FULL (`seq`: ROOM as read before `enter`), blocking:
   * false if `deadline` passed first. Either way the caller is no longer counted in OVERFLOW.
   */
  roomSync(seq: number, deadline: number): boolean {
    const woken = this.sleepSync(ROOM, seq, deadline);
    Atomics.sub(this.i32, OVERFLOW, 1);
    return woken;
  }

  /** The async twin of roomSync: 1 once a cell may be free, 0 on timeout, signal.reason on abort. */
  roomAsync(seq: number, deadline: number, signal?: AbortSignal): Promise<number> {
    return new AsyncWait(this, null, 0, 0, deadline, signal, NONE, seq).promise as Promise<number>;
  }

  /** Blocks while `i32[index] === value`, until woken or `deadline`; false if the deadline passed. */
  private sleepSync(index: number, value: number, deadline: number): boolean {
    const rest = deadline - now();
    if (rest <= 0) return false;
    Atomics.wait(this.i32, index, value, rest);
    return true;
  }
}

/**
 * One pending async wait: on ROOM (no free cell yet), then on its cell. With a taker it enters the FIFO
 * itself (acquireAsync); with a cell it only parks (parkAsync); with neither it only waits for ROOM
 * (roomAsync). It holds a share of the keep-alive while pending, is its own abort listener, and re-arms
 * Atomics.waitAsync after spurious wake-ups.
 */
class AsyncWait {
  /** Settles as acquireAsync does (a boolean) with a taker, else with the grant's value (0: timed out). */
  readonly promise: Promise<boolean | number>;
  private resolve!: (outcome: boolean | number) => void;
  private reject!: (reason: unknown) => void;
  private settled = false;

  constructor(
    private readonly core: Futex,
    private readonly taker: Taker | null,
    private readonly owner: number,
    private readonly value: number,
    private readonly deadline: number,
    private readonly signal: AbortSignal | undefined,
    private cell = NONE,
    seq = 0,
  ) {
    this.promise = new Promise<boolean | number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    keepAlive();
    signal?.addEventListener("abort", this, { once: true });
    if (cell !== NONE) this.sleep(cell, WAITING);
    else if (taker !== null) this.enter();
    else this.sleep(ROOM, seq);
  }

  private enter(): void {
    const core = this.core;
    const seq = Atomics.load(core.i32, ROOM);
    const cell = core.enter(this.taker!, this.owner, this.value);
    if (cell === TAKEN) this.settle(1);
    else if (cell === FULL) this.sleep(ROOM, seq);
    else {
      this.cell = cell;
      if (core.spinOn(cell, WAITING, MAX_SPIN_ASYNC)) this.settle(core.collect(cell));
      else this.sleep(cell, WAITING);
    }
  }

  private sleep(index: number, value: number): void {
    const rest = this.deadline - now();
    const result = rest > 0 ? waitAsync(this.core.i32, index, value, rest) : null;
    if (result?.async) result.value.then(this.wake);
    else this.wake();
  }

  /** A notify, a timeout, or a spurious return of waitAsync: look at the word again. */
  private readonly wake = (): void => {
    if (this.settled) return; // an abandoned waitAsync, flushed after the wait had ended
    const { core, cell } = this;
    if (cell === NONE) {
      Atomics.sub(core.i32, OVERFLOW, 1);
      if (now() >= this.deadline) this.settle(0);
      else if (this.taker === null) this.settle(1);
      else this.enter();
    } else if (Atomics.load(core.i32, cell) !== WAITING) this.settle(core.collect(cell));
    else if (now() >= this.deadline) this.settle(core.leave(cell));
    else this.sleep(cell, WAITING);
  };

  /** The abort listener: leave as if never queued, unless the grant came first (then keep it). */
  handleEvent(): void {
    if (this.settled) return;
    const { core, cell } = this;
    if (cell === NONE) Atomics.sub(core.i32, OVERFLOW, 1);
    else {
      const granted = core.leave(cell);
      if (granted !== 0) {
        this.settle(granted);
        return;
      }
    }
    this.settled = true;
    letGo();
    this.reject(this.signal!.reason);
  }

  private settle(granted: number): void {
    this.settled = true;
    letGo();
    this.signal?.removeEventListener("abort", this);
    this.resolve(this.taker === null ? granted : granted !== 0);
  }
}
