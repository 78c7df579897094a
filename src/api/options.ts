/** The one options bag of every call that can wait. */
export interface WaitOptions {
  /** Milliseconds. Omitted or `Infinity`: wait forever. `0`: try once, never wait. */
  timeout?: number;
  /** Aborting it rejects the pending call with `signal.reason`, as if the call had never been made. */
  signal?: AbortSignal;
  /** `false`: try once, never wait (like `timeout: 0`). */
  blocking?: boolean;
}

/** A value, or a promise of it: non-waiting calls are synchronous locally and asynchronous on Redis. */
export type Awaitable<T> = T | Promise<T>;

/** What `hold()` resolves to: releases once, by hand or through `using` / `await using`. */
export interface Guard {
  release(): void;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface BarrierOptions {
  /** Run by the last party to arrive, before any party passes; may be async (it is awaited). */
  action?: () => unknown;
  /** Default timeout (ms) for `wait()` calls that give none. */
  timeout?: number;
}

export interface PriorityQueueOptions<T> {
  /** Negative when `a` comes out first. The default orders numbers, strings and arrays of them. */
  compare?: (a: T, b: T) => number;
}

/**
 * Options of a local `Thread`: `args` are checked against `target`'s parameters, and required when it has
 * required ones.
 */
export type ThreadOptions<A extends unknown[] = unknown[]> = {
  /** Called with `args` when the thread runs; sync or async. */
  target?: (...args: A) => unknown;
  /** Default "Thread-N (target's name)". */
  name?: string;
  /** Default: the current thread's. */
  daemon?: boolean;
} & ([] extends A ? { args?: NoInfer<A> } : { args: NoInfer<A> });
