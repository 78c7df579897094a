/**
 * The ONLY place that says which Int32 slot of a primitive's SharedArrayBuffer means what. Every primitive of
 * the threads tier owns one buffer laid out as:
 *
 *   [0 .. HEADER)            the core's words (STATE, GUARD, the FIFO's ends, ...) and the kind's own words
 *   [HEADER .. HEADER + CAPACITY * CELL)   the waiter cells, CELL words each
 *
 * A buffer is self-describing (KIND, CAPACITY), so a handle that crosses postMessage can be checked and
 * turned back into a live primitive of the right class on any thread.
 */
import { sharedBuffer } from "./runtime.ts";

/** Core words, the same in every primitive (read and written by the core, ./futex*.ts, only, except STATE). */
export const STATE = 0; // the primitive's state and the QUEUED bit: see below and each primitive
export const GUARD = 1; // the internal guard of the waiter FIFO: 0 free, else the holder (thread id + 1) << 1 | sleepers bit
export const HEAD = 2; // first waiting cell (its base index), or NONE
export const TAIL = 3; // last waiting cell, or NONE
export const SIZE = 4; // how many cells are linked in the FIFO
export const HINT = 5; // where the next free-cell search starts (only a hint)
export const TRACE_ID = 6; // the id tracing gives the primitive (0 until first traced): see ./trace.ts
export const ROOM = 7; // sequence bumped when a cell frees while OVERFLOW > 0 (waiters wait on it)
export const OVERFLOW = 8; // how many waiters found no free cell and wait for ROOM (a Condition: see COND_PENDING)
export const KIND = 9; // which primitive this buffer is (Kind below), checked by fromHandle
export const CAPACITY_WORD = 10; // how many cells follow the header

/** Words 11..15 belong to the primitive kind; each names its own. */
export const RLOCK_COUNT = 11; // RLock: the owner's recursion depth (written by the owner, or by the releaser on hand-off)
export const SEM_BOUND = 11; // Semaphore/BoundedSemaphore: the bound, or -1 when unbounded
export const SEM_POOL = 12; // Semaphore: the initial value; at most this many permits are tracked (owner died)
export const SEM_TRACKED = 13; // Semaphore: permits counted in the owner table, in all
export const SEM_NOTICE = 14; // Semaphore: recovered permits lying free whose takers must get OwnerDiedError
export const SEM_DEAD = 15; // Semaphore: the owner word of the last thread whose permits were recovered
export const COND_PENDING = 11; // Condition: notifies owed to its waiters without a cell (see ./condition.ts)
export const COND_SEQ = 12; // Condition: bumped with each owed notify; its waiters without a cell sleep on it
export const COND_TICKET = 13; // Condition: the next waiter without a cell's number (they count up, mod 2^32)
export const COND_HORIZON = 14; // Condition: COND_TICKET at the last notify that owed: older waiters may take one
export const BARRIER_PARTIES = 11; // Barrier: its parties
export const BARRIER_ROUND = 12; // Barrier: the outcome bits of the round being drained; its parties sleep on it
export const BARRIER_OUT = 13; // Barrier: parties of the round being drained that have not yet taken its outcome
export const BARRIER_TIMEOUT = 7; // Barrier: Float64 index (words 14, 15): the default timeout in ms

export const HEADER = 16;

/** A waiter cell: the waiter parks on its STATE word, so a release wakes exactly that waiter. */
export const CELL = 5;
export const CELL_STATE = 0; // FREE -> WAITING (-> SLEEPING) -> GRANTED -> FREE (see ./futex-fifo.ts)
export const CELL_NEXT = 1; // next cell in FIFO order, or NONE
export const CELL_PREV = 2; // previous cell, or NONE
export const CELL_OWNER = 3; // who waits: thread id + 1 (RLock and Lock hand ownership to it)
export const CELL_VALUE = 4; // what the waiter brings (an RLock depth) or is given (a grant's value, never 0;
// for a Condition waiter, possibly the cell it was moved to in its lock's FIFO)

export const NONE = -1;

/** Cell states. */
export const FREE = 0;
export const WAITING = 1;
export const GRANTED = 2;
export const SLEEPING = 3; // still waiting, and its waiter may be asleep: a grant must notify

/**
 * Cells per primitive. 64 waiters per primitive stay in strict FIFO order; beyond that a waiter waits for a
 * cell to free (on ROOM) and then queues: it still waits, times out and aborts as usual, but the order among
 * the overflow is the order in which they win the freed cells (a Condition counts its waiters without a cell
 * instead: see ./condition.ts). 64 * 5 words keeps a primitive at ~1.3 KiB.
 */
export const CAPACITY = 64;

/**
 * The QUEUED bit of STATE: set exactly while the FIFO holds a waiter (set and cleared under GUARD). The low
 * 30 bits hold the primitive's value: an owner (thread id + 1, 0 = free) for Lock and RLock, the free
 * permits for a Semaphore, SET for an Event, nothing for a Condition. Bit 31 stays clear so STATE is never
 * negative.
 */
export const QUEUED = 1 << 30;
export const VALUE_MASK = QUEUED - 1;
/** Event's flag in STATE. */
export const SET = 1;
/** The largest semaphore value one STATE word holds. */
export const MAX_PERMITS = VALUE_MASK;

/** What a buffer is; stored in KIND, carried in a handle. Queue, Thread and the rest take the next numbers. */
export const Kind = {
  Lock: 1,
  RLock: 2,
  Semaphore: 3,
  BoundedSemaphore: 4,
  Event: 5,
  Condition: 6,
  Barrier: 7,
  // The queues (./queue.ts): each buffer of a queue (its getters', putters' and joiners' FIFOs) bears it.
  Queue: 10,
  LifoQueue: 11,
  PriorityQueue: 12,
  SimpleQueue: 13,
} as const;
export type KindName = keyof typeof Kind;

/**
 * A queue (./queue.ts, ./store.ts) has, besides its three FIFO buffers, a fixed META buffer of Int32 words
 * (below) and three growable buffers: ENTRIES (the items in queue order: a ring, a stack or a heap of
 * entries), HANDS (entries held outside that order: a waiting putter's item, an item handed to a waiting
 * getter) and ARENA (the bytes of the items that are not inline).
 *
 * META is five groups, 64 bytes apart, so that a producer and a consumer write no cache line in common:
 * what rarely changes; the put side's words; the count of items put, alone, as the other side polls it;
 * the get side's words; the count of items taken, alone. Which mutex guards which word, and why, is said
 * in ./store.ts.
 */
export const Q_ORDER = 0; // FIFO, LIFO or PRIORITY (below)
export const Q_CAPACITY = 1; // the bound (ceil of maxsize), or 0 when unbounded
export const Q_SHUTDOWN = 2; // 1 once shut down
export const Q_ENTRY_CAP = 3; // how many entries ENTRIES holds now (a power of 2)
export const Q_MAXSIZE = 2; // Float64 index (words 4, 5): maxsize as given, for a rebuilt handle
export const Q_HAND_CAP = 6; // how many entries HANDS holds now
export const Q_ARENA_CAP = 7; // bytes in ARENA now
export const Q_KEY_KIND = 8; // PRIORITY: the kind of the queued keys (KEY_*), 0 while empty
export const Q_SEQ = 9; // PRIORITY: the next put's sequence number (ties keep put order)
export const Q_ARENA_GEN = 10; // how many times ARENA was replaced by a smaller buffer (after a drain)
export const Q_ARENA_TICKET = 11; // words 11, 12: the ticket of the ARENA buffer now (./exchange.ts)
export const Q_PUT_MUTEX = 16; // a mutex word of ./futex-word.ts (0 free, else the holder << 1 | sleepers bit)
export const Q_HANDED = 17; // items ever handed straight to a waiting getter (mod 2^32)
export const Q_ARENA_TOP = 18; // ARENA is allocated below this offset
export const Q_ARENA_ALLOC = 19; // bytes of ARENA ever allocated (mod 2^32)
// A LIFO or PRIORITY queue holds both mutexes for every put and get, so its counts of items put and taken
// sit on its one mutex's line instead of lines of their own (Q_PUTS, Q_TAKES below are the FIFO's). Each
// count's next word holds how many times it wrapped, written and read only by its own side (see ./store.ts).
export const Q_PUTS_BESIDE = 20;
export const Q_TAKES_BESIDE = 22;
// Bumped, both mutexes held, whenever a buffer grows or the queue shuts down: a one-sided put (get) reads
// its side's word, on a line it writes anyway, to know whether it must read the sizes above again.
export const Q_PUT_VIEWS = 24;
export const Q_GET_VIEWS = 52;
export const Q_PUTS = 32; // items that ever joined the order (mod 2^32; word 33: how many times it wrapped)
export const Q_GET_MUTEX = 48; // a mutex word, as Q_PUT_MUTEX
export const Q_ARENA_FREED = 49; // bytes of ARENA ever freed (mod 2^32): Q_ARENA_ALLOC - this are live
export const Q_HAND_FREE = 50; // the first free entry of HANDS (a list through ENTRY_NEXT), or NONE
export const Q_DONE = 51; // items ever marked done (mod 2^32): Q_PUTS + Q_HANDED - this are unfinished
export const Q_TAKES = 64; // items that ever left the order (as Q_PUTS, 65): Q_PUTS - Q_TAKES are queued
export const Q_META_WORDS = 80;

export const FIFO = 0;
export const LIFO = 1;
export const PRIORITY = 2;
export const KEY_NUMBER = 1;
export const KEY_STRING = 2;

/** An entry: ENTRY words (PRIORITY_ENTRY in a PriorityQueue), on 8-byte boundaries. */
export const ENTRY = 4;
export const PRIORITY_ENTRY = 8;
export const ENTRY_TAG = 0; // how the item is held (./codec.ts TAG_*), 0 for a free HANDS entry
// FIFO, in the ring: the count of items put once this entry's was (mod 2^32), stored last, so that a get
// sees the entry has arrived without reading Q_PUTS. PRIORITY: the put's sequence number (ties keep put
// order). HANDS: ENTRY_NEXT of a free entry.
export const ENTRY_SEQ = 1;
export const ENTRY_NEXT = 1; // a free HANDS entry: the next free one, or NONE
export const ENTRY_NUMBER = 1; // Float64 index in the entry (words 2, 3): an inline number (TAG_NUMBER)
export const ENTRY_OFFSET = 2; // where the item's bytes start in ARENA (when ENTRY_LENGTH > 0)
export const ENTRY_LENGTH = 3; // any tag but TAG_NUMBER: bytes of the item in ARENA (0 for inline items)
export const ENTRY_KEY_UNITS = 4; // PRIORITY: a string key's UTF-16 units (after the item's bytes in ARENA)
export const ENTRY_KEY = 3; // PRIORITY: Float64 index (words 6, 7): a number key (word 5 is unused)

/**
 * A semaphore's trailer, after its cells (at `HEADER + capacity * CELL`): its journal, then its owner table
 * (./semaphore.ts). Every word of both, and the semaphore's STATE, SEM_TRACKED, SEM_NOTICE and SEM_DEAD,
 * are written only under GUARD. The journal: SEM_J_COUNT pairs [word index, old value] of the step in
 * progress (0: none), then what a GUARD holder that died leaves for whoever takes GUARD over. The table:
 * SEM_J_SIZE entries of [owner word (thread id + 1, 0 free), permits that thread acquired and has not
 * released].
 */
export const SEM_J_COUNT = 0; // logged writes of the step in progress (0: none, or committed)
export const SEM_J_GRANT = 1; // the grant value of the waiter a committed step took off the FIFO
export const SEM_J_OWNER = 2; // the thread whose release is in progress (J_LEFT > 0)
export const SEM_J_LEFT = 3; // permits that release has still to give back
export const SEM_J_HIGH = 4; // table entries ever used: searches stop there
export const SEM_J_SIZE = 5; // table entries (min(initial value, SEM_OWNERS))
export const SEM_J_LOG = 6; // SEM_J_MAX pairs
export const SEM_J_MAX = 16;
export const SEM_J_WORDS = SEM_J_LOG + 2 * SEM_J_MAX;
/**
 * Table entries at most: as many threads as the liveness registry tells apart (./liveness.ts). A
 * semaphore has one entry per permit of its initial value up to that, so its table never fills with
 * holders: tracked permits never exceed the initial value, and each entry that counts holds one at least.
 */
export const SEM_OWNERS = 4096;
export const SEM_ENTRY = 2;

/** A semaphore's table entries for an initial value of `pool`. */
export function semEntries(pool: number): number {
  return Math.min(pool, SEM_OWNERS);
}

/**
 * A Barrier's drain, after its cells (at `HEADER + capacity * CELL`): who runs the round's action, the home
 * thread (the one whose Barrier has the action), the ticket of the action's error for the last arrival (two
 * words, see ./exchange.ts), and for each party of the draining round, by its index, the thread that has yet
 * to take the round's outcome (thread id + 1; 0 once taken). See ./barrier.ts.
 */
export const BARRIER_RUNNER = 0;
export const BARRIER_HOME = 1;
export const BARRIER_ERROR = 2;
export const BARRIER_PARTY = 4;

/** Words a kind's buffer has after its `capacity` cells (`entries`: a semaphore's table entries). */
export function trailer(kind: number, capacity: number, entries = 0): number {
  if (kind === Kind.Semaphore || kind === Kind.BoundedSemaphore) return SEM_J_WORDS + entries * SEM_ENTRY;
  return kind === Kind.Barrier ? BARRIER_PARTY + capacity : 0;
}

/** A fresh, zeroed buffer for a primitive of `kind`, with every cell free and the FIFO empty. */
export function allocate(kind: number, capacity = CAPACITY, entries = 0): Int32Array {
  const i32 = new Int32Array(sharedBuffer((HEADER + capacity * CELL + trailer(kind, capacity, entries)) * 4));
  i32[HEAD] = NONE;
  i32[TAIL] = NONE;
  i32[KIND] = kind;
  i32[CAPACITY_WORD] = capacity;
  if (entries > 0) i32[HEADER + capacity * CELL + SEM_J_SIZE] = entries;
  return i32;
}

/** The Int32 view of a received buffer, after checking that it is a buffer of `kind`. */
export function attach(buffer: unknown, kind: number): Int32Array {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER * 4) {
    throw new TypeError("not a threadkit/threads handle: missing its SharedArrayBuffer");
  }
  const i32 = new Int32Array(buffer);
  const capacity = Atomics.load(i32, CAPACITY_WORD);
  const sizeAt = HEADER + capacity * CELL + SEM_J_SIZE;
  const semaphore = kind === Kind.Semaphore || kind === Kind.BoundedSemaphore;
  const entries = semaphore && sizeAt < i32.length ? Atomics.load(i32, sizeAt) : 0;
  if (
    Atomics.load(i32, KIND) !== kind ||
    buffer.byteLength !== (HEADER + capacity * CELL + trailer(kind, capacity, entries)) * 4
  ) {
    throw new TypeError("not a threadkit/threads handle of this kind");
  }
  return i32;
}
