/**
 * threadkit/threads: the same primitives as `threadkit`, shared by the main thread and any number of worker
 * threads through SharedArrayBuffer + Atomics. Every waiting method has an async form (never blocks the
 * event loop; a pending wait keeps the process alive) and a blocking `...Sync` twin for workers.
 *
 * A tour of the code:
 * - ./futex.ts: the one core: park and wake on shared words, a FIFO of waiter cells in shared memory,
 *   direct hand-off, spinning before sleeping, cancel on timeout/abort with nothing lost. Its parts:
 *   ./futex-word.ts (the word mutex), ./futex-fifo.ts (the waiter FIFO), ./futex-park.ts (spin, sleep,
 *   slices, async waits), ./futex-recovery.ts (what a thread that died held is handed on).
 * - ./layout.ts: which Int32 slot means what, for every primitive.
 * - ./handle.ts: toHandle()/fromHandle(), how a primitive crosses postMessage.
 * - ./thread.ts, ./worker-entry.ts: Thread and Timer, a module function run on a worker with primitives live;
 *   ./loader.ts, how the worker finds and loads the target; ./args-wire.ts, how its args cross;
 *   ./registry.ts, the process's running Threads (enumerate()); ./wire-error.ts, how an error crosses.
 * - ./queue.ts on ./store.ts: the queues and their shared storage; ./order.ts (the ring, stack and heap
 *   orders of the items) and ./arena.ts (where the items' bytes live); ./codec.ts, how an item is encoded.
 * - ./exchange.ts: what shared memory cannot hold (an error, a SharedArrayBuffer) passed to other threads by
 *   ticket, over a process-wide BroadcastChannel.
 * - ./lock.ts, ./rlock.ts, ./condition.ts, ./semaphore.ts, ./event.ts, ./barrier.ts: thin shells on the core.
 *
 * Times are milliseconds. Every call that can wait takes `{ timeout, signal, blocking }`.
 *
 * @module threadkit/threads
 */
export * from "../api/errors.ts";
export type { AsyncGuard, Awaitable, Guard, WaitOptions } from "../api/options.ts";
export type * as api from "../api/primitives.ts";
export { setDeadlockDetection } from "../internal/deadlock.ts";
export { Barrier } from "./barrier.ts";
export { Condition } from "./condition.ts";
export { Event } from "./event.ts";
export { fromHandle, type Handle, type HandleKind, isHandle, toHandle } from "./handle.ts";
export { Lock } from "./lock.ts";
export { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "./queue.ts";
export { RLock } from "./rlock.ts";
export { BoundedSemaphore, Semaphore } from "./semaphore.ts";
export {
  activeCount,
  currentThread,
  enumerate,
  mainThread,
  Thread,
  type ThreadOptions,
  Timer,
} from "./thread.ts";
