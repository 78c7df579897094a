/**
 * `for await (const item of queue)`, the same in every tier that has synchronous non-waiting calls: it gets
 * items until the queue is shut down and drained, and calls `taskDone()` for each item it yielded when the
 * loop asks for the next one or leaves (so `join()` resolves once every iterated item has been handled).
 */
import { QueueEmpty, QueueShutDown } from "../api/errors.ts";

/** What the iterator needs of a queue. */
export interface Drainable<T> {
  qsize(): number;
  getNowait(): T;
  get(): Promise<T>;
  taskDone(): void;
}

/** The async iterator of a queue: the `taskDone()` of each item is due when the loop asks for the next one. */
export class Drain<T> implements AsyncIterator<T> {
  private owed = false;

  constructor(private readonly queue: Drainable<T>) {}

  next(): Promise<IteratorResult<T>> {
    try {
      this.settle();
      // An item already there is taken without a waiting get. Another thread may take it first (threads
      // tier): then QueueEmpty says so, and the waiting get below follows; or QueueShutDown, if the queue
      // was shut down meanwhile (it is drained, as when the waiting get rejects with it).
      if (this.queue.qsize() > 0) return Promise.resolve(this.yielded(this.queue.getNowait()));
    } catch (error) {
      if (error instanceof QueueShutDown) return Promise.resolve({ done: true, value: undefined });
      if (!(error instanceof QueueEmpty)) return Promise.reject(error);
    }
    return this.queue.get().then(
      (value) => this.yielded(value),
      (error) => {
        if (error instanceof QueueShutDown) return { done: true, value: undefined };
        throw error;
      },
    );
  }

  return(): Promise<IteratorResult<T>> {
    try {
      this.settle();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  private yielded(value: T): IteratorResult<T> {
    this.owed = true;
    return { done: false, value };
  }

  private settle(): void {
    if (this.owed) {
      this.owed = false;
      this.queue.taskDone();
    }
  }
}
