import { QueueEmpty, QueueFull, QueueShutDown, ValueError } from "../api/errors.ts";
import type { PriorityQueueOptions, WaitOptions } from "../api/options.ts";
import type { Queue as QueueApi, SimpleQueue as SimpleQueueApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { Drain } from "../internal/drain.ts";
import { defaultCompare, StableHeap } from "../internal/heap.ts";
import { point, probe, resourceOf, timeoutOf, traceAsync } from "../internal/probe.ts";
import { Ring } from "../internal/ring.ts";
import { FALSE, TRUE } from "./lock-like.ts";
import { fail, failAll, peek, WaiterQueue, wakeAll } from "./waiter-queue.ts";

/** Where a queue keeps its items; the order of `take()` is the queue's kind (FIFO, LIFO, priority). */
export interface Store<T> {
  readonly size: number;
  push(item: T): void;
  take(): T;
  clear(): void;
}

class Stack<T> implements Store<T> {
  private items: T[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    this.items.push(item);
  }
  take(): T {
    return this.items.pop() as T;
  }
  clear(): void {
    this.items = [];
  }
}

const DONE: Promise<void> = Promise.resolve();

/**
 * A multi-producer, multi-consumer queue, as Python's `queue.Queue` (3.13, with `shutdown`).
 *
 * Direct hand-off: an item put while getters wait goes to the longest-waiting getter without touching the
 * store; a slot freed while putters wait takes the longest-waiting putter's item. So getters wait only while
 * the store is empty, putters only while it is full, and nobody overtakes a waiter.
 */
export class Queue<T> implements QueueApi<T> {
  readonly maxsize: number;
  private readonly capacity: number;
  private readonly items: Store<T>;
  private readonly getters = new WaiterQueue<T>(() => {
    throw new QueueEmpty();
  }, true).of(this, "queue", "to get from"); // rejects its waiters: on timeout, and by fail
  /** Each putter's payload is its item. */
  private readonly putters = new WaiterQueue<void>(() => {
    throw new QueueFull();
  }, true).of(this, "queue", "to put into"); // rejects its waiters: on timeout, and by fail
  private readonly joiners = new WaiterQueue<boolean>(() => false).of(this, "queue", "to join");
  private unfinished = 0;
  private isShutdown = false;

  /** `maxsize <= 0`: unbounded. */
  constructor(maxsize = 0) {
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) throw new TypeError("maxsize must be a number");
    this.maxsize = maxsize;
    this.capacity = maxsize > 0 ? maxsize : Number.POSITIVE_INFINITY;
    this.items = this.createStore();
  }

  /** Subclasses choose the order. */
  protected createStore(): Store<T> {
    return new Ring<T>();
  }

  qsize(): number {
    return this.items.size;
  }
  empty(): boolean {
    return this.items.size === 0;
  }
  full(): boolean {
    return this.items.size >= this.capacity;
  }

  /**
   * Puts `item`, waiting for a free slot if the queue is full; rejects with QueueFull on timeout or a
   * failed try, QueueShutDown once shut down. Cancel-safe: on abort the item was not put.
   * @example
   * ```ts
   * const q = new Queue<string>(10);
   * await q.put("job"); // waits while 10 are queued
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "queue"), "put", timeoutOf(opts), this.put, item, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    try {
      if (this.offer(item)) return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
    if (ms === 0) return Promise.reject(new QueueFull());
    return this.putters.wait(ms, opts?.signal, item);
  }

  putNowait(item: T): void {
    if (!this.offer(item)) throw new QueueFull();
  }

  /**
   * Takes the next item, waiting for one if the queue is empty; rejects with QueueEmpty on timeout or a
   * failed try, QueueShutDown once shut down and empty. Cancel-safe: on abort no item was taken.
   * @example
   * ```ts
   * const job = await q.get({ timeout: 1000 }); // or QueueEmpty after 1 s
   * q.taskDone();
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "queue"), "get", timeoutOf(opts), this.get, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.items.size > 0) {
      try {
        return Promise.resolve(this.take());
      } catch (error) {
        return Promise.reject(error); // a PriorityQueue's compare threw: nothing was taken
      }
    }
    if (this.isShutdown) return Promise.reject(new QueueShutDown());
    if (ms === 0) return Promise.reject(new QueueEmpty());
    return this.getters.wait(ms, opts?.signal);
  }

  getNowait(): T {
    if (this.items.size > 0) return this.take();
    throw this.isShutdown ? new QueueShutDown() : new QueueEmpty();
  }

  /** Marks one gotten item as handled; when none is left, `join()` resolves. */
  taskDone(): void {
    if (this.unfinished <= 0) throw new ValueError("taskDone() called too many times");
    if (--this.unfinished === 0) wakeAll(this.joiners, true);
  }

  /**
   * Resolves true once every item put has been marked done, false on timeout.
   * Cancel-safe: it takes nothing; on abort it rejects with `signal.reason`.
   * @example
   * ```ts
   * await q.join(); // every item put has been marked done
   * ```
   */
  join(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "queue"), "join", timeoutOf(opts), this.join, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.unfinished === 0) return TRUE;
    return ms === 0 ? FALSE : this.joiners.wait(ms, opts?.signal);
  }

  /**
   * Refuses further puts (QueueShutDown) and wakes every waiting putter and getter with it; gets go on
   * until the queue is empty. `immediate`: drop the items left too, counting them as done for `join()`.
   */
  shutdown(immediate = false): void {
    this.isShutdown = true;
    if (probe.on) point(resourceOf(this, "queue"), "shutdown");
    if (immediate) {
      this.unfinished = Math.max(0, this.unfinished - this.items.size);
      this.items.clear();
      if (this.unfinished === 0) wakeAll(this.joiners, true);
    }
    failAll(this.putters, () => new QueueShutDown());
    failAll(this.getters, () => new QueueShutDown());
  }

  /** Gets items until the queue is shut down and drained, calling `taskDone()` for each as the loop moves on. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new Drain(this, this);
  }

  /** Places `item` if there is room: straight to the longest getter, else into the store. */
  private offer(item: T): boolean {
    if (this.isShutdown) throw new QueueShutDown();
    if (this.getters.size > 0) {
      this.unfinished++;
      this.getters.wake(item);
      return true;
    }
    if (this.items.size >= this.capacity) return false;
    this.items.push(item); // may throw (a PriorityQueue that cannot order it): nothing has changed then
    this.unfinished++;
    return true;
  }

  /** Takes the next item, and gives the freed slot to the longest putter. */
  private take(): T {
    const item = this.items.take();
    while (this.putters.size > 0) {
      try {
        this.items.push(peek(this.putters) as T);
      } catch (error) {
        fail(this.putters, error); // its item cannot be ordered: that putter fails, the next one gets the slot
        continue;
      }
      this.unfinished++;
      this.putters.wake(undefined);
      break;
    }
    return item;
  }
}

/** A Queue that gives back the most recently put item first, as Python's `queue.LifoQueue`. */
export class LifoQueue<T> extends Queue<T> {
  protected override createStore(): Store<T> {
    return new Stack<T>();
  }
}

/**
 * A Queue that gives back the least item first, as Python's `queue.PriorityQueue`, but stable: equal items
 * come out in the order they were put. `compare` defaults to ordering numbers, strings and arrays of them
 * (so `[priority, job]` entries work); an item it cannot order is refused with a TypeError.
 */
export class PriorityQueue<T> extends Queue<T> {
  private readonly compare: (a: T, b: T) => number;

  constructor(maxsize = 0, options: PriorityQueueOptions<T> = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    super(maxsize);
    const { compare = defaultCompare } = options;
    if (typeof compare !== "function") throw new TypeError("compare must be a function");
    this.compare = compare;
  }

  // Runs inside super(), before `compare` is set; the heap reads it only once items arrive.
  protected override createStore(): Store<T> {
    return new StableHeap<T>((a, b) => this.compare(a, b));
  }
}

/** An unbounded FIFO queue without task tracking, as Python's `queue.SimpleQueue`. */
export class SimpleQueue<T> implements SimpleQueueApi<T> {
  private readonly queue = new Queue<T>();

  /**
   * Never waits (the queue is unbounded); resolves once the item is in.
   * Cancel-safe: it never waits, so an abort before the call rejects and nothing is put.
   * @example
   * ```ts
   * const q = new SimpleQueue<number>();
   * await q.put(1);
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    return this.queue.put(item, opts);
  }
  putNowait(item: T): void {
    this.queue.putNowait(item);
  }
  /**
   * As Queue.get: rejects with QueueEmpty on timeout. Cancel-safe.
   * @example
   * ```ts
   * const n = await q.get({ signal: AbortSignal.timeout(1000) });
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    return this.queue.get(opts);
  }
  getNowait(): T {
    return this.queue.getNowait();
  }
  qsize(): number {
    return this.queue.qsize();
  }
  empty(): boolean {
    return this.queue.empty();
  }
}
