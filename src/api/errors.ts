/**
 * Every error the contract names. Each class has a stable `code` (for errors that cross threads or Redis as
 * `{ code, message }`, rebuilt by ../internal/error-record.ts) and an explicit `name` (so minifiers cannot
 * rename it). A fresh instance is thrown each time; messages are Python's where Python has one.
 */

export type ErrorCode =
  | "ERR_THREADING"
  | "ERR_RUNTIME"
  | "ERR_VALUE"
  | "ERR_BROKEN_BARRIER"
  | "ERR_QUEUE_EMPTY"
  | "ERR_QUEUE_FULL"
  | "ERR_QUEUE_SHUT_DOWN"
  | "ERR_TIMEOUT"
  | "ERR_OWNER_DIED"
  | "ERR_DEADLOCK";

/** Base class of every threadkit error. */
export class ThreadingError extends Error {
  readonly code: ErrorCode = "ERR_THREADING";
  override name = "ThreadingError";
}

/** Misuse of state: releasing an unlocked lock, waiting on a Condition without its lock, starting a Thread twice. */
export class RuntimeError extends ThreadingError {
  override readonly code: ErrorCode = "ERR_RUNTIME";
  override name = "RuntimeError";
}

/** A value out of bounds for the state: over-release of a BoundedSemaphore, `taskDone()` called too often. */
export class ValueError extends ThreadingError {
  override readonly code = "ERR_VALUE";
  override name = "ValueError";
}

/** The barrier was broken by `abort()`, `reset()`, a timeout or a failing action. */
export class BrokenBarrierError extends RuntimeError {
  override readonly code = "ERR_BROKEN_BARRIER";
  override name = "BrokenBarrierError";
  constructor(message = "the barrier is broken") {
    super(message);
  }
}

/** `get()` timed out, or `getNowait()` found the queue empty (Python's `queue.Empty`). */
export class QueueEmpty extends ThreadingError {
  override readonly code = "ERR_QUEUE_EMPTY";
  override name = "QueueEmpty";
  constructor(message = "the queue is empty") {
    super(message);
  }
}

/** `put()` timed out, or `putNowait()` found the queue full (Python's `queue.Full`). */
export class QueueFull extends ThreadingError {
  override readonly code = "ERR_QUEUE_FULL";
  override name = "QueueFull";
  constructor(message = "the queue is full") {
    super(message);
  }
}

/** A put after `shutdown()`, or a get from a shut-down queue that is empty (Python's `queue.ShutDown`). */
export class QueueShutDown extends ThreadingError {
  override readonly code = "ERR_QUEUE_SHUT_DOWN";
  override name = "QueueShutDown";
  constructor(message = "the queue is shut down") {
    super(message);
  }
}

/** `hold()` or `run()` timed out before the lock or permit was granted. */
export class TimeoutError extends ThreadingError {
  override readonly code = "ERR_TIMEOUT";
  override name = "TimeoutError";
  constructor(message = "timed out waiting to acquire") {
    super(message);
  }
}

/** The thread that held a lock or permit died; the caller now holds it and should repair what it protects. */
export class OwnerDiedError extends ThreadingError {
  override readonly code = "ERR_OWNER_DIED";
  override name = "OwnerDiedError";
}

/** A wait that can never end was detected; the message names the cycle or the sleeping waiters. */
export class DeadlockError extends ThreadingError {
  override readonly code = "ERR_DEADLOCK";
  override name = "DeadlockError";
}
