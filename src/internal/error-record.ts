/**
 * How an error crosses a thread or a Redis server: as `{ code, message }`, rebuilt as its class on the other
 * side. A module of its own, not one of ../api/errors.ts: the local tier never needs it, and what a tier's
 * entry exports from there a bundle keeps.
 */
import {
  BrokenBarrierError,
  DeadlockError,
  type ErrorCode,
  OwnerDiedError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  ThreadingError,
  TimeoutError,
  ValueError,
} from "../api/errors.ts";

const byCode = {
  ERR_THREADING: ThreadingError,
  ERR_RUNTIME: RuntimeError,
  ERR_VALUE: ValueError,
  ERR_BROKEN_BARRIER: BrokenBarrierError,
  ERR_QUEUE_EMPTY: QueueEmpty,
  ERR_QUEUE_FULL: QueueFull,
  ERR_QUEUE_SHUT_DOWN: QueueShutDown,
  ERR_TIMEOUT: TimeoutError,
  ERR_OWNER_DIED: OwnerDiedError,
  ERR_DEADLOCK: DeadlockError,
} satisfies Record<ErrorCode, new (message?: string) => ThreadingError>;

/** What an error looks like when it crosses a thread or a Redis server. */
export interface ErrorRecord {
  code: string;
  message: string;
}

/** Rebuilds an error sent as `{ code, message }`; an unknown code becomes a plain `ThreadingError`. */
export function errorFromRecord(record: ErrorRecord): ThreadingError {
  const Class =
    (byCode as Record<string, new (message?: string) => ThreadingError>)[record.code] ?? ThreadingError;
  return new Class(record.message);
}
