/**
 * The tier-agnostic shape of every primitive. The local tier implements these with synchronous non-waiting
 * calls; the Redis tier returns promises; `Awaitable<T>` lets generic code (and the contract suites) `await`
 * either. Semantics live in ../../README.md and the contract in shared/design/API.md.
 */
import type { Awaitable, Guard, WaitOptions } from "./options.ts";

/** What every lock-like primitive has: Lock, RLock, Condition, Semaphore, BoundedSemaphore. */
export interface Acquirable {
  acquire(opts?: WaitOptions): Promise<boolean>;
  tryAcquire(): Awaitable<boolean>;
  release(): Awaitable<void>;
  hold(opts?: WaitOptions): Promise<Guard>;
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T>;
}

export interface Lock extends Acquirable {
  locked(): Awaitable<boolean>;
}

export interface RLock extends Lock {}

export interface Condition extends Lock {
  wait(opts?: WaitOptions): Promise<boolean>;
  waitFor<T>(predicate: () => T, opts?: WaitOptions): Promise<T>;
  notify(n?: number): Awaitable<void>;
  notifyAll(): Awaitable<void>;
}

export interface Semaphore extends Acquirable {
  release(n?: number): Awaitable<void>;
  readonly value: number;
}

export interface BoundedSemaphore extends Semaphore {}

export interface Event {
  isSet(): Awaitable<boolean>;
  set(): Awaitable<void>;
  clear(): Awaitable<void>;
  wait(opts?: WaitOptions): Promise<boolean>;
}

export interface Barrier {
  wait(opts?: WaitOptions): Promise<number>;
  reset(): Awaitable<void>;
  abort(): Awaitable<void>;
  readonly parties: number;
  readonly nWaiting: number;
  readonly broken: boolean;
}

export interface SimpleQueue<T> {
  put(item: T, opts?: WaitOptions): Promise<void>;
  putNowait(item: T): Awaitable<void>;
  get(opts?: WaitOptions): Promise<T>;
  getNowait(): Awaitable<T>;
  qsize(): Awaitable<number>;
  empty(): Awaitable<boolean>;
}

export interface Queue<T> extends SimpleQueue<T>, AsyncIterable<T> {
  full(): Awaitable<boolean>;
  readonly maxsize: number;
  taskDone(): Awaitable<void>;
  join(opts?: WaitOptions): Promise<boolean>;
  shutdown(immediate?: boolean): Awaitable<void>;
}

export interface Thread {
  start(): Awaitable<void>;
  join(opts?: WaitOptions): Promise<boolean>;
  isAlive(): boolean;
  name: string;
  readonly ident: number | null;
  daemon: boolean;
  /** The uncaught error of the thread's target, once it has finished with one. */
  readonly error: unknown;
}
