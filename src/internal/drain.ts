/**
 * `for await (const item of queue)`, the same in every tier: it gets items until the queue is shut down and
 * drained, and calls `taskDone()` for each item it yielded when the loop asks for the next one or leaves (so
 * `join()` resolves once every iterated item has been handled). Where `taskDone()` is a round trip, it is
 * awaited before the next get, so its failure ends the loop instead of going unseen.
 */
import { QueueEmpty, QueueShutDown } from "../api/errors.ts";
import type { Awaitable } from "../api/options.ts";

/** What the iterator needs of any queue. */
export interface Drainable<T> {
  get(): Promise<T>;
  taskDone(): Awaitable<void>;
}

/** A queue whose non-waiting calls are synchronous: an item already there is taken without a waiting get. */
export interface NowDrainable<T> extends Drainable<T> {
  qsize(): number;
  getNowait(): T;
  taskDone(): void;
}

/** The async iterator of a queue: the `taskDone()` of each item is due when the loop asks for the next one. */
export class Drain<T> implements AsyncIterator<T> {
  private owed = false;
  private readonly now: NowDrainable<T> | null;

  /** `now`: the same queue, where its non-waiting calls are synchronous (local and threads tiers). */
  constructor(
    private readonly queue: Drainable<T>,
    now?: NowDrainable<T>,
  ) {
    this.now = now ?? null;
  }

  next(): Promise<IteratorResult<T>> {
    let settled: Awaitable<void>;
    try {
      settled = this.settle();
    } catch (error) {
      return Promise.reject(error);
    }
    if (settled !== undefined) return settled.then(() => this.get());
    const now = this.now;
    if (now !== null) {
      // An item already there is taken without a waiting get. Another thread may take it first (threads
      // tier): then QueueEmpty says so, and the waiting get below follows; or QueueShutDown, if the queue
      // was shut down meanwhile (it is drained, as when the waiting get rejects with it).
      try {
        if (now.qsize() > 0) return Promise.resolve(this.yielded(now.getNowait()));
      } catch (error) {
        if (error instanceof QueueShutDown) return Promise.resolve(end());
        if (!(error instanceof QueueEmpty)) return Promise.reject(error);
      }
    }
    return this.get();
  }

  return(): Promise<IteratorResult<T>> {
    let settled: Awaitable<void>;
    try {
      settled = this.settle();
    } catch (error) {
      return Promise.reject(error);
    }
    return settled === undefined ? Promise.resolve(end()) : settled.then(end);
  }

  private get(): Promise<IteratorResult<T>> {
    return this.queue.get().then(
      (value) => this.yielded(value),
      (error) => {
        if (error instanceof QueueShutDown) return end();
        throw error;
      },
    );
  }

  private yielded(value: T): IteratorResult<T> {
    this.owed = true;
    return { done: false, value };
  }

  private settle(): Awaitable<void> {
    if (!this.owed) return undefined;
    this.owed = false;
    return this.queue.taskDone();
  }
}

function end(): IteratorResult<never> {
  return { done: true, value: undefined };
}
