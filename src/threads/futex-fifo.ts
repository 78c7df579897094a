/**
 * The waiter FIFO of the threads core: cells in a primitive's buffer (./layout.ts), linked in arrival order,
 * one per waiter. Everything here runs under the primitive's GUARD (./futex-word.ts), except what a waiter
 * does to its own cell (`markSleeping`, `granted`, `collect`).
 *
 * A cell belongs to one waiter from allocation to FREE. FREE -> WAITING (linked, under GUARD) -> GRANTED
 * (unlinked and given, under GUARD) -> FREE (by its waiter; or, once its waiter's thread died before
 * collecting, reclaimed under GUARD: ./futex-recovery.ts). A waiter that stops spinning marks its cell
 * SLEEPING (WAITING -> SLEEPING, one compareExchange that fails only if the grant came first) before it
 * sleeps, and a grant notifies only a SLEEPING cell, exactly on its word: a waiter caught spinning costs the
 * granter no Atomics.notify (Drepper's "waiters" state, per cell).
 *
 * The links (HEAD, TAIL, HINT, a cell's NEXT, PREV, OWNER, VALUE) are read and written only under GUARD,
 * whose compareExchange and exchange order them: plain loads and stores, which cost ~1 ns where an
 * Atomics.store costs ~20 (a Barrier(1) wait measured 450 -> 320 ns). SIZE too: without GUARD only a
 * Barrier's `nWaiting` reads it, as a count of the moment. A cell's state word, which its waiter spins on,
 * stays atomic. A grant's VALUE is read without GUARD too, by the waiter, after it saw the cell GRANTED: the
 * exchange that granted publishes it.
 */
import { now } from "../internal/deadline.ts";
import { handoff, probe } from "../internal/probe.ts";
import {
  CAPACITY_WORD,
  CELL,
  CELL_NEXT,
  CELL_OWNER,
  CELL_PREV,
  CELL_VALUE,
  FREE,
  GRANTED,
  HEAD,
  HEADER,
  HINT,
  NONE,
  OVERFLOW,
  QUEUED,
  ROOM,
  SIZE,
  SLEEPING,
  STATE,
  TAIL,
  WAITING,
} from "./layout.ts";
import { deaths, isDead } from "./liveness.ts";
import { resourceOfWords } from "./trace.ts";

/** CELL_PREV of a cell taken off the FIFO (until it is linked again). */
export const UNLINKED = -2;

/** `enter()` found no free cell (all CAPACITY are taken): wait on ROOM, then enter again. */
export const FULL = -2;
/**
 * `enter()` took without queueing. A take that inherited from a dead thread returns `TAKEN - deadOwner`
 * (below TAKEN): see `takenFrom`.
 */
export const TAKEN = -3;

/** What `enter()` returned, as a take's outcome: 1, or `-deadOwner` if the caller inherited from the dead. */
export function takenFrom(entered: number): number {
  return entered === TAKEN ? 1 : entered - TAKEN;
}

/** A primitive whose waiters bring something along in their cell (a putter's item): see `Fifo.shift()`. */
export interface Brought {
  /** @internal Lets go of what the waiter of `cell`, whose thread died, brought (GUARD held). */
  dropDead(cell: number): void;
}

/** The FIFO over one primitive's buffer. Holds no state of its own: any number of them may share a buffer. */
export class Fifo {
  /** @internal How many cells follow the header. */
  readonly capacity: number;

  constructor(readonly i32: Int32Array) {
    this.capacity = Atomics.load(i32, CAPACITY_WORD);
  }

  /** How many waiters are queued (exact under GUARD; without it, as of some recent moment). */
  get size(): number {
    return Atomics.load(this.i32, SIZE);
  }

  /**
   * Unlinks the head live waiter and returns its cell (WAITING or SLEEPING: `grant` it), or NONE. Cells of
   * waiters whose thread died on the way are unlinked and freed, never returned: they could never collect a
   * grant, so nothing (a lock, a permit, an item, a round's index) is ever handed to the dead. One load of
   * the deaths count per call while nobody has died.
   */
  shift(brought?: Brought): number {
    const i32 = this.i32;
    for (;;) {
      const head = i32[HEAD] as number;
      if (head === NONE) return NONE;
      this.unlink(head);
      if (deaths() === 0 || !isDead(i32[head + CELL_OWNER] as number)) return head;
      brought?.dropDead(head); // what the dead waiter brought (a putter's item) goes with its cell
      this.free(head);
    }
  }

  /**
   * Unlinks and frees the cells of every queued waiter whose thread died, wherever it is in the FIFO, and
   * returns how many live waiters remain (for a primitive that counts its waiters, as a Barrier its round).
   * Clears QUEUED if none remains. One load of the deaths count while nobody has died.
   */
  purge(): number {
    const i32 = this.i32;
    if (deaths() !== 0) {
      for (let cell = i32[HEAD] as number; cell !== NONE; ) {
        const next = i32[cell + CELL_NEXT] as number;
        if (isDead(i32[cell + CELL_OWNER] as number)) {
          this.unlink(cell);
          this.free(cell);
        }
        cell = next;
      }
      this.settleQueued();
    }
    return i32[SIZE] as number;
  }

  /**
   * Unlinks the first `n` waiters at once, in FIFO order, if at least `n` live ones are queued (dead ones
   * are purged first, in the same hold of GUARD, so none of the `n` is a cell `purge` found dead); else
   * takes nothing and returns null. For a Barrier's round, which is all or nothing.
   */
  shiftRound(n: number): number[] | null {
    if (this.purge() < n) return null;
    const i32 = this.i32;
    const cells: number[] = [];
    for (let i = 0; i < n; i++) {
      const head = i32[HEAD] as number;
      this.unlink(head);
      cells.push(head);
    }
    return cells;
  }

  /**
   * Grants every queued live waiter `value` (Event.set, a Barrier breaking, a queue shutting down), frees
   * the cells of dead ones, and clears QUEUED: the one "wake everyone" of the tier.
   */
  grantAll(value: number): void {
    for (let cell = this.shift(); cell !== NONE; cell = this.shift()) this.grant(cell, value);
    this.settleQueued();
  }

  /** What the waiter of an unlinked cell brought. */
  owner(cell: number): number {
    return this.i32[cell + CELL_OWNER] as number;
  }
  value(cell: number): number {
    return this.i32[cell + CELL_VALUE] as number;
  }

  /**
   * Gives an unlinked cell `value` (not 0: what the waiter's park returns; 1 for a plain grant) and wakes
   * its waiter if it sleeps: exactly one notify on exactly its word.
   */
  grant(cell: number, value: number): void {
    const i32 = this.i32;
    i32[cell + CELL_VALUE] = value; // published by the exchange
    if (probe.on) handed.push(i32, cell, i32[cell + CELL_OWNER] as number, now());
    if (Atomics.exchange(i32, cell, GRANTED) === SLEEPING) Atomics.notify(i32, cell, 1);
  }

  /** Whether the waiter of a queued cell has been granted (its state is GRANTED, not WAITING or SLEEPING). */
  granted(cell: number): boolean {
    return Atomics.load(this.i32, cell) === GRANTED;
  }

  /** The waiter of `cell` is about to sleep on it (blocking or async): marks it SLEEPING; false if granted. */
  markSleeping(cell: number): boolean {
    return Atomics.compareExchange(this.i32, cell, WAITING, SLEEPING) !== GRANTED;
  }

  /** Clears QUEUED once the FIFO is empty. */
  settleQueued(): void {
    if (this.i32[SIZE] === 0) Atomics.and(this.i32, STATE, ~QUEUED);
  }

  /** The waiter has seen its grant: returns the grant's value, and the cell is free again. */
  collect(cell: number): number {
    const value = this.i32[cell + CELL_VALUE] as number; // after GRANTED was seen: see the links above
    this.free(cell);
    return value;
  }

  /** @internal A cell is FREE again; a waiter for a free cell (ROOM) is woken. */
  free(cell: number): void {
    const i32 = this.i32;
    Atomics.store(i32, cell, FREE);
    if (Atomics.load(i32, OVERFLOW) > 0) {
      Atomics.add(i32, ROOM, 1);
      Atomics.notify(i32, ROOM);
    }
  }

  /** @internal A FREE cell, or NONE if all are taken (see the recovery's `reclaim`). */
  alloc(): number {
    const i32 = this.i32;
    const capacity = this.capacity;
    let k = i32[HINT] as number;
    for (let n = 0; n < capacity; n++) {
      const cell = HEADER + k * CELL;
      k = k + 1 === capacity ? 0 : k + 1;
      if (Atomics.load(i32, cell) === FREE) {
        i32[HINT] = k;
        return cell;
      }
    }
    return NONE;
  }

  /** @internal Links an allocated cell at the tail, WAITING (stored last: see the recovery's `repair`). */
  link(cell: number, owner: number, value: number): void {
    const i32 = this.i32;
    const tail = i32[TAIL] as number;
    i32[cell + CELL_OWNER] = owner;
    i32[cell + CELL_VALUE] = value;
    i32[cell + CELL_NEXT] = NONE;
    i32[cell + CELL_PREV] = tail;
    if (tail === NONE) i32[HEAD] = cell;
    else i32[tail + CELL_NEXT] = cell;
    i32[TAIL] = cell;
    i32[SIZE] = (i32[SIZE] as number) + 1;
    Atomics.store(i32, cell, WAITING);
  }

  /** @internal Takes a linked cell off the FIFO (its state is left as it is). */
  unlink(cell: number): void {
    const i32 = this.i32;
    const prev = i32[cell + CELL_PREV] as number;
    const next = i32[cell + CELL_NEXT] as number;
    if (prev === NONE) i32[HEAD] = next;
    else i32[prev + CELL_NEXT] = next;
    if (next === NONE) i32[TAIL] = prev;
    else i32[next + CELL_PREV] = prev;
    i32[cell + CELL_PREV] = UNLINKED;
    i32[SIZE] = (i32[SIZE] as number) - 1;
  }

  /** @internal Links an unlinked waiting cell back at the head of the FIFO. */
  pushFront(cell: number): void {
    const i32 = this.i32;
    const head = i32[HEAD] as number;
    i32[cell + CELL_PREV] = NONE;
    i32[cell + CELL_NEXT] = head;
    if (head === NONE) i32[TAIL] = cell;
    else i32[head + CELL_PREV] = cell;
    i32[HEAD] = cell;
    i32[SIZE] = (i32[SIZE] as number) + 1;
  }
}

/**
 * Hand-offs made under GUARD while the probe is on (words, cell, owner word, when, ...), told once GUARD is
 * let go (`tellHanded`): a subscriber's code never runs inside it. Told with when they were made: the waiter
 * may have woken and gone on before this thread gets to tell (a loaded machine deschedules it in between).
 */
export const handed: (Int32Array | number)[] = [];

export function tellHanded(): void {
  const batch = handed.splice(0);
  for (let i = 0; i < batch.length; i += 4) {
    const cell = batch[i + 1] as number;
    const to = { thread: (batch[i + 2] as number) - 1, cell };
    handoff(resourceOfWords(batch[i] as Int32Array), to, batch[i + 3] as number);
  }
}
