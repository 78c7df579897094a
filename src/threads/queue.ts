/**
 * Queue, LifoQueue, PriorityQueue and SimpleQueue of structured-cloneable values, shared by the main
 * thread and any number of workers: an item put on one thread is got on any other.
 *
 * Design (Python's queue.Queue, with the futex core for waiting):
 * - The items, the counters and the shutdown flag are guarded by the store's mutexes (./store.ts): a FIFO
 *   put that finds room and nobody waiting holds only the put side's, a FIFO get that finds an item and
 *   nobody waiting only the get side's, so a producer and a consumer do not contend. Everything else holds
 *   both ("the mutex" below), for a few dozen instructions and never while waiting. The waiter FIFOs are
 *   looked at through one load of their QUEUED bit.
 * - Three FIFOs of the futex core, one buffer each: getters, putters, joiners. A getter or putter that
 *   must wait queues its cell under the mutex (take your ticket before you let go), so no put, get or
 *   shutdown can slip between its check and its wait (a one-sided put or get checks QUEUED under its own
 *   mutex, and nobody queues without holding it). taskDone and join take no mutex: a joiner queues, then
 *   looks at the unfinished count again, and the last taskDone looks again under the joiners' guard.
 * - Direct hand-off, first come first served: an item put while getters wait goes to the longest-waiting
 *   getter (into a HANDS entry whose index is the grant), never into the queue; a slot freed while
 *   putters wait takes the longest-waiting putter's item (already in a HANDS entry) into the queue. So
 *   getters wait only while the queue is empty, putters only while it is full, and nobody overtakes.
 * - Cancel safety: a waiter that times out or aborts leaves its FIFO under the core's guard; if its grant
 *   came first it keeps it (the call succeeds), else nothing of it remains: no item lost or got twice.
 *
 * Grant values: a getter's is its HANDS entry + 1, or SHUT; a putter's is DONE, SHUT or UNORDERED (its
 * key cannot be ordered with the items queued now); a joiner's is DONE.
 */
import { QueueEmpty, QueueFull, QueueShutDown, ValueError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { Queue as QueueApi, SimpleQueue as SimpleQueueApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { now } from "../internal/deadline.ts";
import { Drain } from "../internal/drain.ts";
import { probe } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { encode } from "./codec.ts";
import { type Brought, FALSE, FULL, Futex, type Taker, TRUE } from "./futex.ts";
import {
  allocate,
  attach,
  FIFO,
  KEY_NUMBER,
  KEY_STRING,
  Kind,
  LIFO,
  NONE,
  PRIORITY,
  Q_HANDED,
  Q_MAXSIZE,
  Q_SHUTDOWN,
  QUEUED,
  ROOM,
  STATE,
} from "./layout.ts";
import { ME } from "./runtime.ts";
import { type Key, Store, type StoreBuffers } from "./store.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";

const DONE = 1;
const SHUT = -1;
const UNORDERED = -2;

// What a try under the mutex came to (cells are >= 0).
const OK = -10;
const NO = -11; // full (put) or empty (get)
const ENDED = -12; // shut down (get)
const NO_CELL = -13; // every cell of the FIFO is taken: wait on ROOM, then try again
const RETRY = -14; // an item (a slot) appeared while spinning: try again at once

/** Waiting for a queue never takes without queueing: whether to wait is decided under the mutex. */
const QUEUE_UP: Taker = { take: () => -1, took: () => undefined };

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Loads a caller spends watching for an item (or a slot) before it queues: a queued waiter costs a
 * hand-off through HANDS and, once asleep, a ~50 us wake-up, while a producer a little slower than its
 * consumer makes an item appear within a few hundred loads. Blocking callers spin longer than async ones,
 * which spin on the event loop.
 */
const SPIN_SYNC = 2000;
const SPIN_ASYNC = 200;

/** What a queue's handle carries besides its getters' buffer. */
export interface QueueBuffers extends StoreBuffers {
  puts: SharedArrayBuffer;
  joins: SharedArrayBuffer;
}

type QueueKind =
  | typeof Kind.Queue
  | typeof Kind.LifoQueue
  | typeof Kind.PriorityQueue
  | typeof Kind.SimpleQueue;

const orderOf = (kind: number): number =>
  kind === Kind.LifoQueue ? LIFO : kind === Kind.PriorityQueue ? PRIORITY : FIFO;

/**
 * A multi-producer, multi-consumer queue shared across threads, as Python's `queue.Queue` (3.13, with
 * `shutdown`). Items are structured-cloneable values (a TypeError for anything else, and the queue is
 * unchanged); each `get` gives a fresh copy. `new Queue(maxsize = 0)`: `maxsize <= 0` is unbounded, and
 * unbounded really is (the storage grows while memory lasts).
 */
export class Queue<T> implements QueueApi<T>, Brought {
  readonly maxsize: number;
  /** @internal */
  declare readonly _store: Store;
  /** @internal */
  declare readonly _gets: Futex;
  /** @internal */
  declare readonly _puts: Futex;
  /** @internal */
  declare readonly _joins: Futex;

  constructor(maxsize = 0) {
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) throw new TypeError("maxsize must be a number");
    this.maxsize = maxsize;
    const kind =
      new.target === LifoQueue
        ? Kind.LifoQueue
        : new.target === PriorityQueue
          ? Kind.PriorityQueue
          : Kind.Queue;
    init(this, kind, maxsize);
  }

  /** @internal A live queue over a received handle's buffers (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer, buffers: QueueBuffers, kind: QueueKind): Queue<unknown> {
    const prototype =
      kind === Kind.LifoQueue
        ? LifoQueue.prototype
        : kind === Kind.PriorityQueue
          ? PriorityQueue.prototype
          : Queue.prototype;
    const q = Object.create(prototype) as Queue<unknown>;
    const store = new Store(buffers);
    (q as { maxsize: number }).maxsize = new Float64Array(buffers.meta)[Q_MAXSIZE] as number;
    wire(q, store, attach(buffer, kind), attach(buffers.puts, kind), attach(buffers.joins, kind));
    return q;
  }

  /** @internal What the handle carries. */
  _buffers(): { buffer: SharedArrayBuffer; queue: QueueBuffers } {
    return {
      buffer: this._gets.i32.buffer as SharedArrayBuffer,
      queue: {
        ...this._store.buffers,
        puts: this._puts.i32.buffer as SharedArrayBuffer,
        joins: this._joins.i32.buffer as SharedArrayBuffer,
      },
    };
  }

  /** @internal The waiter FIFOs (for diagnostics and tests). */
  _cores(): Futex[] {
    return [this._gets, this._puts, this._joins];
  }

  /** How many items are queued now (approximate while other threads work, as in Python). */
  qsize(): number {
    return this._store.size();
  }
  empty(): boolean {
    return this.qsize() === 0;
  }
  full(): boolean {
    const capacity = this._store.capacity;
    return capacity > 0 && this.qsize() >= capacity;
  }

  /**
   * Puts `item`, waiting for a free slot if the queue is full; rejects with QueueFull on timeout or a
   * failed try, QueueShutDown once shut down, TypeError if the item cannot be carried (or, in a
   * PriorityQueue, ordered). Cancel-safe: on abort the item was not put (unless the slot had already been
   * handed over: then it resolves).
   * @example
   * ```ts
   * const q = new Queue<string>(10);
   * await q.put("job"); // waits while 10 are queued
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    if (probe.on && probe.self !== this) return callAsync(this, "put", opts, this.put, item, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    let got: number;
    try {
      this.timed = ms !== Infinity;
      got = this.tryPut(item, ms !== 0, SPIN_ASYNC);
    } catch (error) {
      return Promise.reject(error);
    }
    if (got === OK) return RESOLVED;
    if (got === NO) return Promise.reject(new QueueFull());
    return this.putAsync(item, got, this.began + ms, opts?.signal);
  }

  /**
   * The blocking twin of `put`. A signal is only checked on entry (a blocked thread cannot see an abort).
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * q.putSync("job", { timeout: 1000 }); // in a worker: or QueueFull after 1 s
   * ```
   */
  putSync(item: T, opts?: WaitOptions): void {
    if (probe.on && probe.self !== this) {
      callSync(this, "put", opts, this.putSync, item, opts);
      return;
    }
    const ms = admitSync(opts);
    this.timed = ms !== Infinity;
    let got = this.tryPut(item, ms !== 0, SPIN_SYNC);
    if (got === OK) return;
    const deadline = this.began + ms;
    for (; ; got = this.tryPut(item, true)) {
      if (got === OK) return;
      if (got === NO) throw new QueueFull();
      if (got === NO_CELL) {
        if (!this._puts.roomSync(this.seq, deadline)) throw new QueueFull();
        continue;
      }
      const hand = this.pending;
      let granted: number;
      try {
        granted = this._puts.parkSync(got, deadline);
      } catch (error) {
        this.drop(hand); // a DeadlockError: it left the FIFO, its item with it
        throw error;
      }
      this.putDone(granted, hand);
      return;
    }
  }

  putNowait(item: T): void {
    if (this.tryPut(item, false) !== OK) throw new QueueFull();
  }

  /**
   * Takes the next item, waiting for one if the queue is empty; rejects with QueueEmpty on timeout or a
   * failed try, QueueShutDown once shut down and empty. Cancel-safe: on abort no item was taken (unless one
   * had already been handed over: then it resolves with it).
   * @example
   * ```ts
   * const job = await q.get({ timeout: 1000 }); // or QueueEmpty after 1 s
   * q.taskDone();
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    if (probe.on && probe.self !== this) return callAsync(this, "get", opts, this.get, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    let got: number;
    try {
      this.timed = ms !== Infinity;
      got = this.tryGet(ms !== 0, SPIN_ASYNC);
      if (got === OK) return Promise.resolve(this._store.decodeTaken() as T);
    } catch (error) {
      return Promise.reject(error);
    }
    if (got === NO) return Promise.reject(new QueueEmpty());
    if (got === ENDED) return Promise.reject(new QueueShutDown());
    return this.getAsync(got, this.began + ms, opts?.signal);
  }

  /**
   * The blocking twin of `get`. A signal is only checked on entry (a blocked thread cannot see an abort).
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * const job = q.getSync(); // in a worker: blocks until an item comes
   * q.taskDone();
   * ```
   */
  getSync(opts?: WaitOptions): T {
    if (probe.on && probe.self !== this) return callSync(this, "get", opts, this.getSync, opts);
    const ms = admitSync(opts);
    this.timed = ms !== Infinity;
    let got = this.tryGet(ms !== 0, SPIN_SYNC);
    if (got === OK) return this._store.decodeTaken() as T;
    const deadline = this.began + ms;
    for (; ; got = this.tryGet(true)) {
      if (got === OK) return this._store.decodeTaken() as T;
      if (got === NO) throw new QueueEmpty();
      if (got === ENDED) throw new QueueShutDown();
      if (got === NO_CELL) {
        if (!this._gets.roomSync(this.seq, deadline)) throw new QueueEmpty();
        continue;
      }
      return this.gotGrant(this._gets.parkSync(got, deadline));
    }
  }

  getNowait(): T {
    const got = this.tryGet(false);
    if (got === OK) return this._store.decodeTaken() as T;
    throw got === ENDED ? new QueueShutDown() : new QueueEmpty();
  }

  /** Marks one gotten item as handled; when none is left, every `join()` resolves. Takes no mutex. */
  taskDone(): void {
    const left = this._store.markDone(1);
    if (left < 0) throw new ValueError("taskDone() called too many times");
    if (left === 0) this.releaseJoiners();
  }

  /**
   * Resolves true once every item put has been marked done, false on timeout. Never rejects with
   * QueueShutDown. Cancel-safe: on abort it rejects with `signal.reason` and leaves no trace.
   * @example
   * ```ts
   * await q.join(); // every item put has been marked done
   * ```
   */
  join(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "join", opts, this.join, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const got = this.tryJoin(ms !== 0);
    if (got === OK) return TRUE;
    if (got === NO) return FALSE;
    return this.joinAsync(got, now() + ms, opts?.signal);
  }

  /**
   * The blocking twin of `join`.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * q.joinSync({ timeout: 10_000 });
   * ```
   */
  joinSync(opts?: WaitOptions): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "join", opts, this.joinSync, opts);
    const ms = admitSync(opts);
    const deadline = now() + ms;
    for (let got = this.tryJoin(ms !== 0); ; got = this.tryJoin(true)) {
      if (got === OK) return true;
      if (got === NO) return false;
      if (got === NO_CELL) {
        if (!this._joins.roomSync(this.seq, deadline)) return false;
        continue;
      }
      return this._joins.parkSync(got, deadline) !== 0;
    }
  }

  /**
   * Refuses further puts (QueueShutDown) and wakes every waiting putter and getter with it; gets go on
   * until the queue is empty. `immediate`: drop the items left too, counting each as done for `join()`
   * (items already got still need their `taskDone()`). May be called again, either way.
   */
  shutdown(immediate = false): void {
    if (probe.on) pointOf(this, "shutdown");
    const store = this._store;
    store.lock();
    try {
      store.close();
      if (immediate && store.markDone(store.clear()) <= 0) this.releaseJoiners();
      grantAll(this._puts, SHUT, this);
      grantAll(this._gets, SHUT);
    } finally {
      store.unlock();
    }
  }

  /** Gets items until the queue is shut down and drained, calling `taskDone()` for each as the loop moves on. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new Drain(this, this);
  }

  // ---- under the mutex ----------------------------------------------------------------------------------

  /** ROOM as read before the last NO_CELL, and the HANDS entry of the last putter that queued. */
  private seq = 0;
  private pending = 0;
  /**
   * When the last put or get found it had to wait (before it spun): its timeout counts from there. A call
   * that does not wait, or has no timeout (`timed` false), never reads the clock (performance.now() costs
   * about as much as a whole put).
   */
  private began = 0;
  private timed = true;

  /** Encodes and places `item`: OK, NO (full, and `wait` false), NO_CELL, or the cell the putter waits on. */
  private tryPut(item: T, wait: boolean, spin = 0): number {
    let got = this.tryPutOnce(item, wait, spin);
    if (got === RETRY) got = this.tryPutOnce(item, wait, 0);
    return got;
  }

  private tryPutOnce(item: T, wait: boolean, spin: number): number {
    encode(item); // TypeError before anything changes
    const store = this._store;
    const key = store.order === PRIORITY ? keyOf(item) : 0;
    const m = store.meta;
    if (store.order === FIFO) {
      store.lockPut();
      // The put side alone: open, no getter to hand the item to, and room. Full: no, or watch for a slot.
      // QUEUED is read plainly (an Atomics.load costs ~8 ns: V8 does not inline it): a getter queues only
      // holding both mutexes, so PUT makes its bit seen here; one cleared meanwhile only sends the put the
      // long way.
      if (!store.closed && ((this._gets.i32[STATE] as number) & QUEUED) === 0) {
        let pushed: boolean;
        try {
          pushed = store.pushAlone(); // counts it unfinished too
        } catch (error) {
          store.unlockPut();
          throw error;
        }
        if (pushed) {
          store.unlockPut();
          return OK;
        }
        if (store.full() && (!wait || spin > 0)) {
          store.unlockPut();
          if (!wait) return NO;
          this.began = this.timed ? now() : 0;
          this.watch(spin, true);
          return RETRY;
        }
      }
      store.widen();
    } else store.lock();
    try {
      if (store.closed) throw new QueueShutDown();
      if (store.order === PRIORITY && store.count > 0 && store.keyKind !== kindOf(key)) throw unordered();
      const gets = this._gets;
      if ((Atomics.load(gets.i32, STATE) & QUEUED) !== 0) {
        // The item is placed first (that may throw, or be cut short by a terminate()), so that a getter
        // taken off its FIFO is granted a few instructions later, never left waiting.
        const hand = store.hand(key);
        gets.lock();
        const cell = gets.shift();
        if (cell !== NONE) {
          Atomics.add(m, Q_HANDED, 1); // counted unfinished before the getter can mark it done
          gets.settleQueued();
          gets.grant(cell, hand + 1);
          gets.unlock();
          return OK;
        }
        gets.settleQueued(); // every waiting getter had died: QUEUED must not keep puts off the fast path
        gets.unlock();
        store.dropHand(hand); // and the item is queued as usual below
      }
      const capacity = store.capacity;
      if (capacity === 0 || store.count < capacity) {
        store.push(key); // counts it unfinished too
        return OK;
      }
      if (!wait) return NO;
      if (spin > 0) {
        this.began = this.timed ? now() : 0;
        store.unlock();
        this.watch(spin, true);
        store.lock();
        if (store.count < capacity || store.closed) return RETRY;
      }
      const hand = store.hand(key);
      const cell = this.queueUp(this._puts, hand + 1);
      if (cell === NO_CELL) store.dropHand(hand);
      else this.pending = hand;
      return cell;
    } finally {
      store.unlock();
    }
  }

  /** Queues a cell on `core` bringing `value`: the cell, or NO_CELL (then `seq` holds ROOM as read before). */
  private queueUp(core: Futex, value: number): number {
    const seq = Atomics.load(core.i32, ROOM);
    const cell = core.enter(QUEUE_UP, ME, value);
    if (cell !== FULL) return cell;
    this.seq = seq;
    return NO_CELL;
  }

  /** Up to `spin` loads, no mutex held, until the queue is no longer full (`full`) or empty, or shut down. */
  private watch(spin: number, full: boolean): void {
    const store = this._store;
    const m = store.meta;
    const capacity = store.capacity;
    const fifo = store.order === FIFO;
    for (let i = 0; i < spin && Atomics.load(m, Q_SHUTDOWN) === 0; i++) {
      if (full ? store.size() < capacity : fifo ? store.arriving() : store.size() > 0) return;
    }
  }

  /** Takes the next item for decoding: OK, NO (empty, and `wait` false), ENDED, NO_CELL, or a cell to wait on. */
  private tryGet(wait: boolean, spin = 0): number {
    let got = this.tryGetOnce(wait, spin);
    if (got === RETRY) got = this.tryGetOnce(wait, 0);
    if (got === OK) this._store.shrink(); // a drained flood gives its memory back
    return got;
  }

  private tryGetOnce(wait: boolean, spin: number): number {
    const store = this._store;
    if (store.order === FIFO) {
      store.lockGet();
      // The get side alone: an item, and no putter waiting for the slot it frees (QUEUED read plainly, as
      // in `tryPutOnce`). Empty: shut down, no, or watch for an item. An item counted but not marked
      // arrived (its producer is between the two stores, or died there) is taken with both mutexes.
      if (((this._puts.i32[STATE] as number) & QUEUED) === 0) {
        let took: boolean;
        try {
          took = store.takeAlone();
        } catch (error) {
          store.unlockGet();
          throw error;
        }
        if (took) {
          store.unlockGet();
          return OK;
        }
        const ended = store.closed; // read while GET keeps it still, as the emptiness
        if ((ended || !wait) && store.size() === 0) {
          store.unlockGet();
          return ended ? ENDED : NO;
        }
        if (wait && spin > 0 && !ended) {
          store.unlockGet();
          this.began = this.timed ? now() : 0;
          this.watch(spin, false);
          return RETRY;
        }
      }
      store.unlockGet();
    }
    store.lock();
    try {
      if (store.count > 0) {
        store.take();
        this.refill();
        return OK;
      }
      if (store.closed) return ENDED;
      if (!wait) return NO;
      if (spin > 0) {
        this.began = this.timed ? now() : 0;
        store.unlock();
        this.watch(spin, false);
        store.lock();
        if (store.count > 0 || store.closed) return RETRY;
      }
      return this.queueUp(this._gets, 0);
    } finally {
      store.unlock();
    }
  }

  /**
   * @internal The item a putter brought (its HANDS entry: its cell's value - 1), when the core finds that its
   * thread died while it waited: dropped with its cell (mutex held), as if the put had never been made.
   */
  dropDead(cell: number): void {
    this._store.dropHand(this._puts.value(cell) - 1);
  }

  /** A slot just freed: it goes to the longest-waiting putter whose item can join the queue. */
  private refill(): void {
    const store = this._store;
    const puts = this._puts;
    const capacity = store.capacity;
    while ((Atomics.load(puts.i32, STATE) & QUEUED) !== 0 && (capacity === 0 || store.count < capacity)) {
      puts.lock();
      const cell = puts.shift(this);
      if (cell === NONE) {
        puts.settleQueued(); // every waiting putter had died
        puts.unlock();
        return;
      }
      const hand = puts.value(cell) - 1;
      const fits = store.order !== PRIORITY || store.count === 0 || store.handKeyKind(hand) === store.keyKind;
      if (fits) {
        store.pushHand(hand); // counts it unfinished too
      }
      puts.settleQueued();
      puts.grant(cell, fits ? DONE : UNORDERED);
      puts.unlock();
      if (fits) return;
    }
  }

  /** OK (nothing unfinished), NO (and `wait` false), NO_CELL, or the cell the joiner waits on. No mutex. */
  private tryJoin(wait: boolean): number {
    const store = this._store;
    if (store.unfinished() === 0) return OK;
    if (!wait) return NO;
    const cell = this.queueUp(this._joins, 0);
    if (cell === NO_CELL) return NO_CELL;
    // The last taskDone may have come between the look above and the queueing, and seen no joiner: look
    // again now that this one is queued (its QUEUED bit and Q_DONE are both seq-cst).
    if (store.unfinished() === 0) {
      this._joins.leave(cell);
      return OK;
    }
    return cell;
  }

  /**
   * Every queued joiner resolves, if nothing is unfinished now: looked at under the joiners' GUARD, which a
   * joiner takes to queue, so that one that queued after a put that came since the last taskDone (and saw
   * that item unfinished) is not woken by it.
   */
  private releaseJoiners(): void {
    grantAll(this._joins, DONE, undefined, this._store);
  }

  // ---- after a wait -------------------------------------------------------------------------------------

  /** A putter's wait ended with `granted` (0: timed out); unless it was DONE, its item is dropped. */
  private putDone(granted: number, hand: number): void {
    if (granted === DONE) return;
    this.drop(hand);
    if (granted === SHUT) throw new QueueShutDown();
    if (granted === UNORDERED) throw unordered();
    throw new QueueFull();
  }

  private drop(hand: number): void {
    const store = this._store;
    store.lockGet();
    store.dropHand(hand);
    store.unlockGet();
  }

  /** A getter's wait ended with `granted` (0: timed out): the item handed to it, or the error. */
  private gotGrant(granted: number): T {
    if (granted === 0) throw new QueueEmpty();
    if (granted === SHUT) throw new QueueShutDown();
    const store = this._store;
    store.lockGet();
    store.takeHand(granted - 1);
    store.unlockGet();
    store.shrink();
    return this._store.decodeTaken() as T;
  }

  private async putAsync(item: T, got: number, deadline: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (got === OK) return;
      if (got === NO_CELL) {
        if ((await this._puts.roomAsync(this.seq, deadline, signal)) === 0) throw new QueueFull();
      } else {
        const hand = this.pending;
        let granted: number;
        try {
          granted = await this._puts.parkAsync(got, deadline, signal);
        } catch (reason) {
          this.drop(hand); // aborted before any hand-off: the item was never put
          throw reason;
        }
        return this.putDone(granted, hand);
      }
      got = this.tryPut(item, true);
    }
  }

  private async getAsync(got: number, deadline: number, signal?: AbortSignal): Promise<T> {
    for (;;) {
      if (got === OK) return this._store.decodeTaken() as T;
      if (got === ENDED) throw new QueueShutDown();
      if (got === NO_CELL) {
        if ((await this._gets.roomAsync(this.seq, deadline, signal)) === 0) throw new QueueEmpty();
      } else {
        return this.gotGrant(await this._gets.parkAsync(got, deadline, signal));
      }
      got = this.tryGet(true);
    }
  }

  private async joinAsync(got: number, deadline: number, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (got === OK) return true;
      if (got === NO_CELL) {
        if ((await this._joins.roomAsync(this.seq, deadline, signal)) === 0) return false;
      } else {
        return (await this._joins.parkAsync(got, deadline, signal)) !== 0;
      }
      got = this.tryJoin(true);
    }
  }
}

function init(q: Queue<unknown>, kind: QueueKind, maxsize: number): void {
  const store = Store.create(orderOf(kind), maxsize > 0 ? Math.min(Math.ceil(maxsize), 2 ** 31 - 1) : 0);
  new Float64Array(store.meta.buffer)[Q_MAXSIZE] = maxsize;
  wire(q, store, allocate(kind), allocate(kind), allocate(kind));
}

function wire(q: Queue<unknown>, store: Store, gets: Int32Array, puts: Int32Array, joins: Int32Array): void {
  const w = q as unknown as { _store: Store; _gets: Futex; _puts: Futex; _joins: Futex };
  w._store = store;
  w._gets = new Futex(gets);
  w._puts = new Futex(puts);
  w._joins = new Futex(joins);
}

/**
 * Grants every waiter of `core` (under its GUARD). `brought` lets go of what a dead waiter brought (a
 * putter's HANDS entry: the caller holds the mutex then). `ifDone`: only if nothing of that store is
 * unfinished, as seen under the GUARD.
 */
function grantAll(core: Futex, value: number, brought?: Brought, ifDone?: Store): void {
  if ((Atomics.load(core.i32, STATE) & QUEUED) === 0) return;
  core.lock();
  if (ifDone === undefined || ifDone.unfinished() === 0) {
    for (let cell = core.shift(brought); cell !== NONE; cell = core.shift(brought)) core.grant(cell, value);
  }
  core.settleQueued();
  core.unlock();
}

/**
 * A PriorityQueue's key: the item itself if it is a number or a string, else the first element of an
 * array (`[priority, job]`). TypeError for anything else: the order cannot be a function across threads.
 */
function keyOf(item: unknown): Key {
  const k = Array.isArray(item) ? item[0] : item;
  if ((typeof k === "number" && !Number.isNaN(k)) || typeof k === "string") return k;
  throw new TypeError(
    "a threadkit/threads PriorityQueue orders by a number or string: put a number, a string, or a [priority, item] array",
  );
}

const kindOf = (key: Key): number => (typeof key === "string" ? KEY_STRING : KEY_NUMBER);

function unordered(): TypeError {
  return new TypeError(
    "PriorityQueue cannot order a number key and a string key: every queued key must be of one kind",
  );
}

/** A Queue that gives back the most recently put item first, as Python's `queue.LifoQueue`. */
export class LifoQueue<T> extends Queue<T> {
  declare private readonly lifo: true;
}

/**
 * A Queue that gives back the lowest item first, as Python's `queue.PriorityQueue`, but stable: items of
 * equal priority come out in the order they were put. A function cannot cross threads, so the order is by
 * a key: the item itself when it is a number or a string, else the first element of a `[priority, item]`
 * array (a number or a string); the rest of the array is carried, never compared. Keys of one queue are
 * all numbers or all strings at any time (strings compare by UTF-16 code units, as `<` does); an item
 * whose key is missing, NaN, or of the other kind than the queued keys is refused with a TypeError, and
 * the queue is unchanged.
 */
export class PriorityQueue<T> extends Queue<T> {
  declare private readonly priority: true;

  /**
   * Orders items by their key (a number or a string, or a `[priority, item]` pair's priority). There is no
   * `compare` option: a function cannot be shared between threads, so one given is a TypeError, not ignored.
   */
  constructor(maxsize = 0, options: { compare?: never } = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    if ((options as { compare?: unknown }).compare !== undefined) {
      throw new TypeError(
        "a threadkit/threads PriorityQueue orders items by their key: a compare function cannot be shared between threads",
      );
    }
    super(maxsize);
  }
}

/** An unbounded FIFO queue without task tracking, as Python's `queue.SimpleQueue`, shared across threads. */
export class SimpleQueue<T> implements SimpleQueueApi<T> {
  /** @internal */
  declare readonly _queue: Queue<T>;

  constructor() {
    const q = Object.create(Queue.prototype) as Queue<T>;
    (q as { maxsize: number }).maxsize = 0;
    init(q as Queue<unknown>, Kind.SimpleQueue, 0);
    (this as { _queue: Queue<T> })._queue = q;
  }

  /** @internal A live SimpleQueue over a received handle's buffers (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer, buffers: QueueBuffers): SimpleQueue<unknown> {
    const s = Object.create(SimpleQueue.prototype) as SimpleQueue<unknown>;
    (s as { _queue: Queue<unknown> })._queue = Queue._attach(buffer, buffers, Kind.SimpleQueue);
    return s;
  }

  /**
   * Never waits (the queue is unbounded); resolves once the item is in. TypeError if it cannot be carried.
   * Cancel-safe: it never waits, so an abort before the call rejects and nothing is put.
   * @example
   * ```ts
   * const q = new SimpleQueue<number>();
   * await q.put(1);
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    return this._queue.put(item, opts);
  }
  /**
   * The blocking twin of `put` (it never blocks: the queue is unbounded).
   * Cancel-safe: it never waits; a signal aborted before the call throws and nothing is put.
   * @example
   * ```ts
   * q.putSync(1);
   * ```
   */
  putSync(item: T, opts?: WaitOptions): void {
    this._queue.putSync(item, opts);
  }
  putNowait(item: T): void {
    this._queue.putNowait(item);
  }
  /**
   * As Queue.get: rejects with QueueEmpty on timeout. Cancel-safe: on abort no item was taken.
   * @example
   * ```ts
   * const n = await q.get({ signal: AbortSignal.timeout(1000) });
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    return this._queue.get(opts);
  }
  /**
   * The blocking twin of `get`.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * const n = q.getSync({ timeout: 1000 }); // in a worker
   * ```
   */
  getSync(opts?: WaitOptions): T {
    return this._queue.getSync(opts);
  }
  getNowait(): T {
    return this._queue.getNowait();
  }
  qsize(): number {
    return this._queue.qsize();
  }
  empty(): boolean {
    return this._queue.empty();
  }
}
