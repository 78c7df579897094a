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
 *   (unlinked and given, under GUARD) -> FREE (by its waiter; or, once its waiter's thread died before
 *   collecting, reclaimed under GUARD by an `alloc` that found no free cell). A waiter that stops spinning marks its cell
 *   SLEEPING (WAITING -> SLEEPING, one compareExchange that fails only if the grant came first) before it
 *   sleeps, and a grant notifies only a SLEEPING cell, exactly on its word: a waiter caught spinning costs
 *   the granter no Atomics.notify (Drepper's "waiters" state, per cell).
 *   A waiter that times out or aborts takes GUARD: if its cell is not GRANTED yet it unlinks it and leaves
 *   nothing behind; if it was GRANTED meanwhile it keeps the grant (the call succeeds). Nothing is lost or
 *   granted twice.
 * - The grant changes the primitive's state for the waiter (new owner, RLock depth) before the waiter
 *   wakes: the hand-off is complete before any other code can look.
 *
 * GUARD protects a few dozen instructions (link, unlink, a free-cell search over at most CAPACITY cells) and
 * the notifies of a grant; it spins, then sleeps. Its holder can die anywhere inside: whoever takes it over
 * finishes or undoes what was left half done (`repair`), so no live waiter is lost between the FIFO and its
 * grant. Waiting for a primitive never happens under it. The only
 * nesting is a Condition's notify, which takes the Condition's GUARD and then its lock's, never the reverse.
 *
 * Blocking waits use Atomics.wait; async waits (the main thread, and any async caller) use
 * Atomics.waitAsync and, while pending, hold a share of a ref'd interval (./runtime.ts), because Node does
 * not keep the process alive for a pending waitAsync.
 *
 * Owner died (robust mutexes' EOWNERDEAD). A worker can die at any instruction while it holds a Lock, an
 * RLock or semaphore permits; no code of its own runs then. Deaths are recorded by the threads that observe
 * them (./liveness.ts: a process-wide registry in shared memory, marked by each worker's parent on "exit"),
 * and a primitive with `Orphans` looks for dead holders at three moments, all off the hot paths:
 * - a take that failed (`rescue`): a newcomer that finds the holder dead recovers it, and takes it itself
 *   when nobody waits (else the head waiter gets it and the newcomer queues as usual);
 * - a waiter's slice: a waiter cannot watch its cell and the registry at once, so every waiter (on any
 *   primitive: see `watch`) wakes each SLICE ms and, only if the deaths count moved since it last looked,
 *   checks, and takes GUARD over from a holder that died inside it (`repair`);
 * - a hand-off (`shift`): cells of waiters that died are freed, never granted.
 * Recovery happens under GUARD and re-reads the state, so it happens once; what the dead held is handed on
 * like a release would, as a grant of value -deadOwner (an ordinary grant is 1), and the waiter or caller
 * that receives it gets OwnerDiedError while it holds it. While nobody has died each of these costs one
 * load of the deaths count; uncontended acquire and release never look (a Lock stays one compareExchange
 * each way). Why not a lease or a heartbeat: a live holder must never be declared dead, however long it
 * holds, and only the observed exit of a thread proves it died.
 *
 * Spinning: a thread about to sleep first spins on the word it would sleep on (baselines: a futex sleep and
 * wake costs ~10-55 us, a spin hand-off ~0.2 us). The budget is fixed, SPIN_SYNC loads (~20 us on these
 * machines, where V8 11 calls out for each Atomics.load, ~10 ns) for a blocking wait and SPIN_ASYNC for an
 * async one, which spins on the event loop. Not adaptive: a budget that shrinks when spins fail settles
 * where both sides of a hand-off sleep, since each then waits out the other's wake-up (measured: an Event
 * ping-pong at the futex floor, ~10 us, instead of ~0.2 us).
 */
import type { CallMessage } from "../internal/channels.ts";
import { now } from "../internal/deadline.ts";
import { detection } from "../internal/deadlock.ts";
import { currentCall, handoff, leftEarly, probe, queued } from "../internal/probe.ts";
import { Watch } from "./deadlock.ts";
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
  SLEEPING,
  STATE,
  TAIL,
  WAITING,
} from "./layout.ts";
import { deaths, isDead, reap } from "./liveness.ts";
import { canBlock, keepAlive, letGo, ME, waitAsync } from "./runtime.ts";
import { resourceOfWords } from "./trace.ts";

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
}

/**
 * What a lock-like primitive tells the core about holders that died (see "Owner died" above). A primitive
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
 * How a primitive finishes a hand-off that a GUARD holder left half done when it died (see `repair`): the
 * waiter of `cell` (alive) was taken off the FIFO to be granted and never was.
 */
export interface Handing {
  /** @internal GUARD held: the grant value to finish the hand-off with, or 0 to put the waiter back at the head. */
  resume(cell: number): number;
}

/** Finishes every half-done hand-off with a plain grant (1): an Event's set, a Condition's notify. */
export const FINISH: Handing = { resume: () => 1 };

/** A primitive whose waiters bring something along in their cell (a putter's item): see `shift()`. */
export interface Brought {
  /** @internal Lets go of what the waiter of `cell`, whose thread died, brought (GUARD held). */
  dropDead(cell: number): void;
}

/** CELL_PREV of a cell taken off the FIFO (until it is linked again). */
const UNLINKED = -2;

/** `enter()` took without queueing. */
export const TAKEN = -2;
/** `enter()` found no free cell (all CAPACITY are taken): wait on ROOM, then enter again. */
export const FULL = -3;

/** Loads a thread spins before it sleeps: on a mutex word, and on a word it waits on (blocking or async). */
export const SPIN_SYNC = 2000;
const SPIN_ASYNC = 200;
/** A mutex word's low bit: someone sleeps on it. */
const SLEEPERS = 1;
/** How long a waiter on a mutex word sleeps before it looks whether the holder died (holds last microseconds). */
const MUTEX_SLICE = 50;
/**
 * How often (ms) a waiter on a primitive with orphans wakes to see whether a death was recorded: it cannot
 * block on its cell and the registry at once. A slice costs one wake-up and one load while nobody dies.
 */
export const SLICE = 100;

export const TRUE: Promise<boolean> = Promise.resolve(true);
export const FALSE: Promise<boolean> = Promise.resolve(false);

/**
 * How many times this thread really blocked in Atomics.wait on a waiter cell or a mutex word (a spin that
 * succeeded is not counted): read by the benchmarks to tell a spun hand-off from a slept one. Counted only
 * on the way to sleep, which costs microseconds anyway.
 */
export const sleeps = { count: 0 };

/**
 * Takes the mutex word `i32[index]` (GUARD, a queue's mutex): 0 free, else the holder's owner word << 1 |
 * SLEEPERS (Drepper's futex mutex, with the holder named). It guards a few dozen instructions, so it spins
 * first. `terminate()` can stop a thread anywhere, also while it holds such a word: so a waiter sleeps in
 * slices (the main thread, which cannot sleep, spins) and, once that holder's death is recorded, takes the
 * word over instead of hanging for good.
 */
export function lockWord(i32: Int32Array, index: number): boolean {
  return Atomics.compareExchange(i32, index, 0, ME << 1) !== 0 && lockWordContended(i32, index);
}

/** Takes a contended mutex word: true if it took it over from a holder that died inside. */
function lockWordContended(i32: Int32Array, index: number): boolean {
  const mine = ME << 1;
  for (let i = 0; i < SPIN_SYNC; i++) {
    if (Atomics.load(i32, index) === 0 && Atomics.compareExchange(i32, index, 0, mine) === 0) return false;
  }
  for (;;) {
    const s = Atomics.load(i32, index);
    if (s === 0) {
      // Taken as contended: others may be asleep on it, so our unlock must notify.
      if (Atomics.compareExchange(i32, index, 0, mine | SLEEPERS) === 0) return false;
      continue;
    }
    const held = s | SLEEPERS;
    if (s !== held && Atomics.compareExchange(i32, index, s, held) !== s) continue;
    if (canBlock) {
      sleeps.count++;
      Atomics.wait(i32, index, held, MUTEX_SLICE);
    }
    reap(); // the holder may be our own worker, whose "exit" our blocked event loop cannot see
    if (Atomics.load(i32, index) === held && deaths() !== 0 && isDead(held >>> 1)) {
      // Its holder died. What it wrote before dying is seen here: its death was recorded (an Atomics
      // store we read in isDead) only after its thread stopped, through the runtime's own synchronization.
      if (Atomics.compareExchange(i32, index, held, mine | SLEEPERS) === held) return true;
    }
  }
}

export function unlockWord(i32: Int32Array, index: number): void {
  if ((Atomics.exchange(i32, index, 0) & SLEEPERS) !== 0) Atomics.notify(i32, index, 1);
}

/** The core over one primitive's buffer. Holds no state of its own: any number of them may share a buffer. */
export class Futex {
  private readonly capacity: number;
  /** What the last `enter()` that returned TAKEN got from `took()` (read at once by its caller). */
  tookDied = 0;

  constructor(
    readonly i32: Int32Array,
    readonly orphans?: Orphans,
    private readonly handing?: Handing,
  ) {
    this.capacity = Atomics.load(i32, CAPACITY_WORD);
  }

  // ---- the guard ----------------------------------------------------------------------------------------

  /** Takes GUARD (see `lockWord`); taken over from a holder that died inside, it first repairs the FIFO. */
  lock(): void {
    if (lockWord(this.i32, GUARD)) this.repair();
  }

  /**
   * GUARD was taken over from a holder that died inside it: finishes or undoes what it left half done, so
   * that every live waiter is queued or granted again, never lost between the two (robust futexes'
   * `list_op_pending`, with the FIFO itself as the record). The dead holder can have stopped
   * - inside a link: the cell is reachable from HEAD but still FREE (WAITING is stored last): dropped; its
   *   waiter, whoever it was, never learned of it (a Condition's notify moving a waiter: see FINISH);
   * - inside an unlink, or between an unlink and its grant: the cell is WAITING or SLEEPING but no longer
   *   reachable. Its waiter, if its thread lives, is granted what the primitive's `Handing.resume` says (the
   *   hand-off was decided: a Lock's heir gets the lock), or put back at the head; a dead one's cell is freed;
   * - between a grant's exchange and its notify: every GRANTED cell is notified again (a spurious wake-up
   *   for the others, which look at their cell and sleep on).
   * HEAD, the cells' PREV, TAIL and SIZE are rebuilt from the NEXT chain, and QUEUED set from SIZE.
   */
  private repair(): void {
    const i32 = this.i32;
    const capacity = this.capacity;
    const queued = new Uint8Array(capacity);
    let prev = NONE;
    let size = 0;
    for (let cell = i32[HEAD] as number, n = 0; cell !== NONE && n < capacity; n++) {
      const k = (cell - HEADER) / CELL;
      if (queued[k] === 1) break; // never a cycle; bounded anyway
      const next = i32[cell + CELL_NEXT] as number;
      const state = Atomics.load(i32, cell);
      if (state === WAITING || state === SLEEPING) {
        queued[k] = 1;
        i32[cell + CELL_PREV] = prev;
        if (prev === NONE) i32[HEAD] = cell;
        else i32[prev + CELL_NEXT] = cell;
        prev = cell;
        size++;
      }
      cell = next;
    }
    if (prev === NONE) i32[HEAD] = NONE;
    else i32[prev + CELL_NEXT] = NONE;
    i32[TAIL] = prev;
    i32[SIZE] = size;
    for (let k = 0; k < capacity; k++) {
      const cell = HEADER + k * CELL;
      const state = Atomics.load(i32, cell);
      if (state === GRANTED) Atomics.notify(i32, cell);
      if (queued[k] === 1 || (state !== WAITING && state !== SLEEPING)) continue;
      i32[cell + CELL_PREV] = UNLINKED;
      if (isDead(i32[cell + CELL_OWNER] as number)) {
        this.free(cell);
        continue;
      }
      const value = this.handing?.resume(cell) ?? 0;
      if (value !== 0) this.grant(cell, value);
      else this.pushFront(cell);
    }
    if ((i32[SIZE] as number) > 0) Atomics.or(i32, STATE, QUEUED);
    else Atomics.and(i32, STATE, ~QUEUED);
  }

  /** Links an unlinked waiting cell back at the head of the FIFO (GUARD held). */
  private pushFront(cell: number): void {
    const i32 = this.i32;
    const head = i32[HEAD] as number;
    i32[cell + CELL_PREV] = NONE;
    i32[cell + CELL_NEXT] = head;
    if (head === NONE) i32[TAIL] = cell;
    else i32[head + CELL_PREV] = cell;
    i32[HEAD] = cell;
    i32[SIZE] = (i32[SIZE] as number) + 1;
  }

  unlock(): void {
    unlockWord(this.i32, GUARD);
    if (handed.length !== 0) tellHanded();
  }

  // ---- the FIFO (GUARD held) ----------------------------------------------------------------------------
  /*
   * The FIFO's links (HEAD, TAIL, HINT, a cell's NEXT, PREV, OWNER, VALUE) are read and written only under
   * GUARD, whose compareExchange and exchange order them: plain loads and stores, which cost ~1 ns where an
   * Atomics.store costs ~20 (a Barrier(1) wait measured 450 -> 320 ns). SIZE too: without GUARD only a
   * Barrier's `nWaiting` reads it, as a count of the moment. A cell's state word, which its waiter spins on,
   * stays atomic. A grant's VALUE is read without GUARD too, by the waiter, after it saw the cell GRANTED:
   * the exchange that granted publishes it.
   */

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
   * Frees every cell granted to a waiter whose thread died before it collected the grant (GUARD held):
   * nobody else ever will, and a primitive whose waiters all need a cell at once (a Barrier's round of 64
   * parties or more) would run out of them. One load of the deaths count while nobody has died.
   */
  freeDeadGrants(): void {
    if (deaths() === 0) return;
    for (let cell = this.reclaim(); cell !== NONE; cell = this.reclaim()) this.free(cell);
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

  /**
   * The waiter of `cell` sleeps on it, blocking, for at most `ms` (see the cell states above): marks it
   * SLEEPING first, and does not sleep if the grant came first. What Atomics.wait returned, or "not-equal".
   */
  sleepOn(cell: number, ms: number): "ok" | "not-equal" | "timed-out" {
    if (!this.markSleeping(cell)) return "not-equal";
    sleeps.count++;
    return Atomics.wait(this.i32, cell, SLEEPING, ms);
  }

  /** The waiter of `cell` is about to sleep on it (blocking or async): marks it SLEEPING; false if granted. */
  markSleeping(cell: number): boolean {
    return Atomics.compareExchange(this.i32, cell, WAITING, SLEEPING) !== GRANTED;
  }

  /** Clears QUEUED once the FIFO is empty. */
  settleQueued(): void {
    if (this.i32[SIZE] === 0) Atomics.and(this.i32, STATE, ~QUEUED);
  }

  /**
   * Takes now if `t` allows it and nobody is queued (TAKEN); else queues a cell at the tail, setting QUEUED
   * in the same step as the observation that the caller must wait, and returns the cell; FULL if no cell is
   * free. Takes GUARD itself. A caller that will wait on ROOM must read ROOM before calling.
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
      if ((s & QUEUED) === 0) {
        const next = t.take(s);
        if (next >= 0) {
          if (Atomics.compareExchange(i32, STATE, s, next) !== s) continue;
          if (overflowing) Atomics.sub(i32, OVERFLOW, 1);
          this.unlock();
          this.tookDied = t.took(value) || 0;
          return TAKEN;
        }
      }
      let cell = this.alloc();
      if (cell === NONE && room && !overflowing) {
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

  /** The waiter has seen its grant: returns the grant's value, and the cell is free again. */
  collect(cell: number): number {
    const value = this.i32[cell + CELL_VALUE] as number; // after GRANTED was seen: see the FIFO's links
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
    let k = i32[HINT] as number;
    for (let n = 0; n < capacity; n++) {
      const cell = HEADER + k * CELL;
      k = k + 1 === capacity ? 0 : k + 1;
      if (Atomics.load(i32, cell) === FREE) {
        i32[HINT] = k;
        return cell;
      }
    }
    return deaths() === 0 ? NONE : this.reclaim();
  }

  /**
   * No cell is free (GUARD held): takes back a cell granted to a waiter whose thread died before it
   * collected the grant, or NONE. Only its waiter ever frees a granted cell, so without this every cell
   * could end up with the dead, and the next waiter would find none although the primitive is free. What
   * the grant handed over (a lock, a permit) stays recorded in the primitive for its owner-died recovery.
   */
  private reclaim(): number {
    const i32 = this.i32;
    for (let k = 0; k < this.capacity; k++) {
      const cell = HEADER + k * CELL;
      // A grant's exchange made the cell GRANTED after it wrote CELL_OWNER (under GUARD, which we hold).
      if (Atomics.load(i32, cell) === GRANTED && isDead(i32[cell + CELL_OWNER] as number)) return cell;
    }
    return NONE;
  }

  private link(cell: number, owner: number, value: number): void {
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

  private unlink(cell: number): void {
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

  // ---- spinning -----------------------------------------------------------------------------------------

  /** A waiter spins on its queued cell, at most `max` loads: true once it is GRANTED (then `collect` it). */
  spinGranted(cell: number, max: number): boolean {
    const i32 = this.i32;
    for (let i = 0; i < max; i++) if (Atomics.load(i32, cell) === GRANTED) return true;
    return false;
  }

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
      if (Atomics.compareExchange(i32, STATE, s, next) === s) {
        const died = t.took(value) || 0;
        return died === 0 ? 1 : -died;
      }
    }
  }

  /**
   * After a failed take: recovers from a dead holder if one is recorded, taking for the caller when nobody
   * waits. `-deadOwner` if the caller now holds what the dead held, else 0. One load while nobody has died.
   */
  rescue(owner: number, value: number): number {
    const orphans = this.orphans;
    if (orphans === undefined || deaths() === 0) return 0;
    const died = orphans.recover(true, owner, value);
    return died === 0 ? 0 : -died;
  }

  /** `rescue` for a non-waiting call (tryAcquire): throws OwnerDiedError if the caller inherited. */
  tryRescue(owner: number, value: number): false {
    const got = this.rescue(owner, value);
    if (got < 0) throw this.orphans!.died(-got);
    return false;
  }

  /** As tryTake, retrying while the state is busy but nobody is queued, at most `max` times. */
  private spinTake(t: Taker, value: number, max: number): number {
    const i32 = this.i32;
    for (let i = 0; i < max; i++) {
      const s = Atomics.load(i32, STATE);
      if ((s & QUEUED) !== 0) break; // someone already waits: it goes first
      const next = t.take(s);
      if (next >= 0 && Atomics.compareExchange(i32, STATE, s, next) === s) {
        const died = t.took(value) || 0;
        return died === 0 ? 1 : -died;
      }
    }
    return 0;
  }

  // ---- waiting ------------------------------------------------------------------------------------------

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
    got = this.rescue(owner, value);
    if (got !== 0 || ms === 0) return got;
    const deadline = now() + ms;
    got = this.spinTake(t, value, SPIN_SYNC);
    if (got !== 0) return got;
    for (;;) {
      const seq = Atomics.load(this.i32, ROOM);
      const cell = this.enter(t, owner, value);
      if (cell === TAKEN) return this.tookDied === 0 ? 1 : -this.tookDied;
      if (cell !== FULL) return this.parkSync(cell, deadline);
      if (!this.roomSync(seq, deadline)) return 0;
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
    if (got === 0) got = this.rescue(owner, value);
    if (got === 0 && ms !== 0) {
      got = this.spinTake(t, value, SPIN_ASYNC);
      if (got === 0) {
        return new AsyncWait(this, t, owner, value, now() + ms, signal).promise as Promise<boolean>;
      }
    }
    if (got < 0) return Promise.reject(this.orphans!.died(-got));
    return got === 0 ? FALSE : TRUE;
  }

  /**
   * Waits on a queued cell, blocking: the grant's value (negative: inherited from a dead thread), or 0 if
   * `deadline` passed first (or what `expire` makes of it: a Barrier breaks). With orphans it wakes every
   * SLICE to recover from a holder that died.
   */
  parkSync(cell: number, deadline: number, expire?: (cell: number) => number): number {
    if (probe.on) tell(cell);
    if (this.spinGranted(cell, SPIN_SYNC)) return this.collect(cell);
    let seen = 0;
    let cycles: Watch | undefined;
    try {
      for (;;) {
        if (this.granted(cell)) return this.collect(cell);
        const rest = deadline - now();
        if (rest <= 0) return expire === undefined ? this.leave(cell) : expire(cell);
        // In slices: a death can leave this waiter to be recovered by someone, maybe itself (see `watch`).
        if (this.sleepOn(cell, Math.min(rest, SLICE)) === "timed-out") {
          seen = this.watch(seen);
          // A blocking wait with no timeout is published on the deadlock board, which finds a cycle of
          // holders or every live thread stuck (./deadlock.ts); not once granted (its beat says it waits).
          if (deadline === Number.POSITIVE_INFINITY && detection.on && !this.granted(cell)) {
            cycles ??= new Watch(this.i32);
            const error = cycles.slice();
            if (error !== undefined) {
              const got = this.leave(cell);
              if (got !== 0) return got; // granted meanwhile: no deadlock after all
              throw error;
            }
          }
        }
      }
    } finally {
      cycles?.done();
    }
  }

  /**
   * A waiter's slice check: records the deaths of its own workers that its blocked event loop cannot see;
   * then, if deaths were recorded since it last looked (`seen`), takes GUARD over if its holder died inside
   * (`repair` then finishes what it left half done: maybe this waiter's own hand-off), and recovers from a
   * dead holder (the recovered lock or permit goes to the head waiter, maybe this one). Returns what it saw.
   * While nobody dies: one load of the deaths count (and none of the registry).
   */
  watch(seen: number): number {
    reap();
    const d = deaths();
    if (d !== seen) {
      const guard = Atomics.load(this.i32, GUARD);
      if (guard !== 0 && isDead(guard >>> 1)) {
        this.lock();
        this.unlock();
      }
      this.orphans?.recover(false, 0, 0);
    }
    return d;
  }

  /**
   * Waits on a queued cell without blocking: the grant's value (negative: inherited from a dead thread), 0
   * on timeout, signal.reason on abort.
   */
  parkAsync(cell: number, deadline: number, signal?: AbortSignal): Promise<number> {
    if (this.spinGranted(cell, SPIN_ASYNC)) return Promise.resolve(this.collect(cell));
    return new AsyncWait(this, null, 0, 0, deadline, signal, cell).promise as Promise<number>;
  }

  /**
   * Waits for a cell to free after `enter()` returned FULL (`seq`: ROOM as read before `enter`), blocking:
   * false if `deadline` passed first. Either way the caller is no longer counted in OVERFLOW.
   */
  roomSync(seq: number, deadline: number): boolean {
    // In slices: a cell can also come back without a free() that bumps ROOM (granted to a waiter that then
    // died: see `reclaim`), and the caller's next `enter()` looks for it.
    const woken = this.sleepSync(ROOM, seq, Math.min(deadline, now() + SLICE));
    reap();
    Atomics.sub(this.i32, OVERFLOW, 1);
    return woken;
  }

  /** The async twin of roomSync: 1 once a cell may be free, 0 on timeout, signal.reason on abort. */
  roomAsync(seq: number, deadline: number, signal?: AbortSignal): Promise<number> {
    return new AsyncWait(this, null, 0, 0, deadline, signal, NONE, seq).promise as Promise<number>;
  }

  /** Blocks while `i32[index] === value`, until woken or `deadline`; false if the deadline passed. */
  private sleepSync(index: number, value: number, until: number): boolean {
    const rest = until - now();
    if (rest <= 0) return false;
    Atomics.wait(this.i32, index, value, rest);
    return true;
  }

  // ---- waits on a word ----------------------------------------------------------------------------------

  /**
   * Parks this thread on the word `i32[index]`, not on a cell of the FIFO (a Condition's waiter beyond
   * CAPACITY, a Barrier's party waiting for its round's action): blocking, until `w.look` gives an outcome.
   * The one park of the tier off the cells, so that such waits are sliced, told to the probe and watched as
   * every other (see `watch`).
   */
  parkWordSync<T>(index: number, w: WordWait<T>, deadline: number): T {
    if (probe.on) tellWaiting();
    let seen = 0;
    let stuck: Watch | undefined;
    try {
      for (;;) {
        const outcome = w.look(now() >= deadline);
        if (outcome !== undefined) return outcome;
        if (Atomics.wait(this.i32, index, w.word, Math.min(deadline - now(), SLICE)) === "timed-out") {
          seen = this.watch(seen);
          // Published for the deadlock board (./deadlock.ts), never told: it has no FIFO cell to leave.
          if (deadline === Number.POSITIVE_INFINITY && detection.on)
            (stuck ??= new Watch(this.i32, false)).slice();
        }
      }
    } finally {
      stuck?.done();
    }
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
    if (probe.on) tellWaiting();
    const i32 = this.i32;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (outcome: T): void => {
        done = true;
        if (!idle) letGo();
        signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => {
        if (done) return;
        const kept = w.abort?.();
        if (kept !== undefined) {
          finish(kept);
          return;
        }
        done = true;
        if (!idle) letGo();
        // Flushes this wait's abandoned waitAsync (the others on the word look again and sleep on).
        Atomics.notify(i32, index);
        reject(signal!.reason);
      };
      let seen = 0;
      const step = (): void => {
        if (done) return;
        const outcome = w.look(now() >= deadline);
        if (outcome !== undefined) {
          finish(outcome);
          return;
        }
        const rest = deadline - now();
        const r = idle ? waitAsync(i32, index, w.word) : waitAsync(i32, index, w.word, Math.min(rest, SLICE));
        if (r.async) r.value.then(slice);
        else step();
      };
      const slice = (result: "ok" | "timed-out"): void => {
        if (result === "timed-out" && !done) seen = this.watch(seen);
        step();
      };
      if (!idle) keepAlive();
      if (signal?.aborted) onAbort();
      else {
        signal?.addEventListener("abort", onAbort, { once: true });
        step();
      }
    });
  }
}

/**
 * A wait on a word (see Futex.parkWordSync): `look` runs before each sleep and returns the outcome once the
 * wait is over (`late`: its deadline has passed, so it must give one), else undefined, with `word` set to
 * the value to sleep against (read where the outcome was decided, so that no wake-up is missed).
 */
export interface WordWait<T> {
  word: number;
  look(late: boolean): T | undefined;
  /** On abort: the outcome if one came first (then kept), else undefined. */
  abort?(): T | undefined;
}

/**
 * Hand-offs made under GUARD while the probe is on (words, cell, owner word, when, ...), told once GUARD is
 * let go: a subscriber's code never runs inside it. Told with when they were made: the waiter may have
 * woken and gone on before this thread gets to tell (a loaded machine deschedules it in between).
 */
const handed: (Int32Array | number)[] = [];

function tellHanded(): void {
  const batch = handed.splice(0);
  for (let i = 0; i < batch.length; i += 4) {
    const cell = batch[i + 1] as number;
    const to = { thread: (batch[i + 2] as number) - 1, cell };
    handoff(resourceOfWords(batch[i] as Int32Array), to, batch[i + 3] as number);
  }
}

/** Tells the probe that the traced call running now (if any) queued in `cell`. */
function tell(cell: number): void {
  const call = currentCall();
  if (call !== undefined) queued(call, cell);
}

/** Tells the probe that the traced call running now (if any) waits, on a word, unless it queued already. */
function tellWaiting(): void {
  const call = currentCall();
  if (call !== undefined && !call.queued) queued(call);
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
  /** The deaths count this waiter last looked at (see Futex.watch). */
  private seen = 0;
  /** Whether this wait is counted in OVERFLOW or holds a cell (false only for a taker not yet entered). */
  private entered: boolean;
  /** The traced call that waits, while the probe is on. */
  private readonly call: CallMessage | undefined = probe.on ? currentCall() : undefined;

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
    this.entered = taker === null || cell !== NONE;
    this.promise = new Promise<boolean | number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    keepAlive();
    if (signal?.aborted) {
      // Aborted before the wait began (the caller awaited something first, and the abort came then): no
      // listener would ever fire. Leave now, as the listener would have.
      this.handleEvent();
      return;
    }
    signal?.addEventListener("abort", this, { once: true });
    if (cell !== NONE && this.call !== undefined) queued(this.call, cell);
    if (cell !== NONE) this.sleep(cell);
    else if (taker !== null) this.enter();
    else this.sleep(ROOM, seq);
  }

  private enter(): void {
    const core = this.core;
    const seq = Atomics.load(core.i32, ROOM);
    const cell = core.enter(this.taker!, this.owner, this.value);
    this.entered = cell !== TAKEN;
    if (cell === TAKEN) this.settle(core.tookDied === 0 ? 1 : -core.tookDied);
    else if (cell === FULL) this.sleep(ROOM, seq);
    else {
      this.cell = cell;
      if (this.call !== undefined) queued(this.call, cell);
      if (core.spinGranted(cell, SPIN_ASYNC)) this.settle(core.collect(cell));
      else this.sleep(cell);
    }
  }

  /** Sleeps on ROOM while it is `seq`, or (no `seq`) on this wait's cell, marking it SLEEPING first. */
  private sleep(index: number, seq?: number): void {
    const i32 = this.core.i32;
    let rest = this.deadline - now();
    // In slices, on a cell (see Futex.watch) and on ROOM (see roomSync: each wake-up enters again).
    if (rest > SLICE) rest = SLICE;
    if (seq === undefined && !this.core.markSleeping(index)) rest = 0; // granted first
    const result = rest > 0 ? waitAsync(i32, index, seq ?? SLEEPING, rest) : null;
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
    } else if (core.granted(cell)) this.settle(core.collect(cell));
    else if (now() >= this.deadline) this.settle(core.leave(cell));
    else {
      this.seen = core.watch(this.seen);
      this.sleep(cell);
    }
  };

  /**
   * The abort listener (and the check at the start): leave as if never queued, unless the grant came first
   * (then keep it). With a taker and no cell yet, nothing was entered or counted.
   */
  handleEvent(): void {
    if (this.settled) return;
    const { core, cell } = this;
    if (cell === NONE) {
      if (this.entered) Atomics.sub(core.i32, OVERFLOW, 1);
    } else {
      const granted = core.leave(cell);
      if (granted !== 0) {
        this.settle(granted);
        return;
      }
    }
    this.settled = true;
    letGo();
    if (this.call !== undefined) leftEarly(this.call, "abort");
    this.reject(this.signal!.reason);
  }

  private settle(granted: number): void {
    this.settled = true;
    letGo();
    this.signal?.removeEventListener("abort", this);
    if (this.taker === null) this.resolve(granted);
    else if (granted < 0) this.reject(this.core.orphans!.died(-granted));
    else this.resolve(granted !== 0);
  }
}
