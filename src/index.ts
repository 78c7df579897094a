/**
 * threadkit: Python's `threading` primitives and `queue` module for JavaScript.
 *
 * This entry point is the local tier: async tasks on one event loop. A short tour of the code:
 * - ./api: the contract every tier implements: interfaces, options, errors.
 * - ./local/waiter-queue.ts: the one core, a FIFO of waiting tasks with O(1) cancel and direct hand-off.
 * - ./local/*.ts: each primitive, a thin shell on that core.
 * - ./internal: argument checks, deadlines, a linked list, a ring, a stable heap, the runtime adapter.
 *
 * Times are milliseconds. Every call that can wait takes `{ timeout, signal, blocking }`.
 *
 * @module threadkit
 */
export * from "./api/errors.ts";
export type {
  AsyncGuard,
  Awaitable,
  BarrierOptions,
  Guard,
  PriorityQueueOptions,
  ThreadOptions,
  WaitOptions,
} from "./api/options.ts";
export type * as api from "./api/primitives.ts";
export { setDeadlockDetection } from "./internal/deadlock.ts";
export { Barrier } from "./local/barrier.ts";
export { Condition } from "./local/condition.ts";
export { Event } from "./local/event.ts";
export { Lock } from "./local/lock.ts";
export { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "./local/queue.ts";
export { RLock } from "./local/rlock.ts";
export { BoundedSemaphore, Semaphore } from "./local/semaphore.ts";
export { activeCount, currentThread, enumerate, mainThread, Thread, Timer } from "./local/thread.ts";
