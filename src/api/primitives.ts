/**
 * The tier-agnostic shape of every primitive, which each tier's classes `implements`. What may need a round
 * trip on Redis is typed `Awaitable<T>`: the local and threads tiers keep their synchronous calls (their
 * classes declare the narrower types), and code written against these interfaces awaits every such call.
 * - Non-waiting calls (`release`, `tryAcquire`, `notify`, `set`, `putNowait`, `taskDone`, ...) return
 *   `Awaitable<T>`.
 * - State that lives with the primitive (`Semaphore.value`, `Barrier.nWaiting`, `Barrier.broken`) stays a
 *   property, typed `Awaitable<T>`: on Redis its getter reads the server, one round trip per read. What the
 *   constructor fixed (`Barrier.parties`, `Queue.maxsize`) is a plain value everywhere.
 * - `hold()` resolves an `AsyncGuard`: the scoped form every tier keeps is `await using`. The local and
 *   threads tiers' `Guard` also has the synchronous `using`.
 * Semantics are documented in the README.
 */
import type { AsyncGuard, Awaitable, WaitOptions } from "./options.ts";

/** What every lock-like primitive has: Lock, RLock, Condition, Semaphore, BoundedSemaphore. */
export interface Acquirable {
  acquire(opts?: WaitOptions): Promise<boolean>;
  tryAcquire(): Awaitable<boolean>;
  release(): Awaitable<void>;
  hold(opts?: WaitOptions): Promise<AsyncGuard>;
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T>;
}

export interface Lock extends Acquirable {
  locked(): Awaitable<boolean>;
}

export interface RLock extends Lock {}

export interface Condition extends Lock {
  wait(opts?: WaitOptions): Promise<boolean>;
  /** The predicate may return a promise (on Redis the state it looks at is a round trip away too). */
  waitFor<T>(predicate: () => Awaitable<T>, opts?: WaitOptions): Promise<T>;
  notify(n?: number): Awaitable<void>;
  notifyAll(): Awaitable<void>;
}

export interface Semaphore extends Acquirable {
  release(n?: number): Awaitable<void>;
  readonly value: Awaitable<number>;
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
  readonly nWaiting: Awaitable<number>;
  readonly broken: Awaitable<boolean>;
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
